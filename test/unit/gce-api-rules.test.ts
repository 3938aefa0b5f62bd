import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { describeComputeError, GceError, httpStatusOfGrpc } from '../../src/providers/gce/errors.js';
import { buildInstanceBody } from '../../src/providers/gce/instance-body.js';
import { metadataFlag, osLoginFromMetadata, osLoginUserName } from '../../src/providers/gce/os-login.js';
import { runStage } from '../../src/providers/gce/stages.js';

const context = { action: 'creating the VM', project: 'p', zone: 'us-central1-a', instance: 'vm' };

describe('Compute errors by gRPC status as well as HTTP status', () => {
  it('maps gRPC codes (numbers from gRPC clients, names from error bodies) to the HTTP status they stand for', () => {
    expect([5, 7, 16, 8, 6, 3, 14, 4].map((code) => httpStatusOfGrpc(code))).toEqual([404, 403, 401, 429, 409, 400, 503, 504]);
    expect(httpStatusOfGrpc('NOT_FOUND')).toBe(404);
    expect(httpStatusOfGrpc(0)).toBeUndefined();
    expect(httpStatusOfGrpc('ECONNREFUSED')).toBeUndefined();
  });

  it('a request that gets no answer in time is unreachable, not an API error', () => {
    const aborted = Object.assign(new Error('The operation was aborted.'), { cause: Object.assign(new Error('aborted'), { name: 'AbortError' }) });
    expect(describeComputeError(aborted, { ...context, action: 'reading the VM' })).toMatchObject({
      kind: 'unreachable',
      detail: 'reading the VM failed: no answer from the Compute API in time',
    });
  });

  it('explains an error that carries only a gRPC code or status name', () => {
    expect(describeComputeError(Object.assign(new Error('5 NOT_FOUND: no such instance'), { code: 5 }), { ...context, action: 'reading the VM' })).toMatchObject({
      kind: 'not-found',
      status: 404,
    });
    expect(describeComputeError(Object.assign(new Error('7 PERMISSION_DENIED: denied'), { code: 7 }), context)).toMatchObject({ kind: 'permission', status: 403 });
    expect(describeComputeError(Object.assign(new Error('16 UNAUTHENTICATED'), { code: 16 }), context)).toMatchObject({ kind: 'credentials', status: 401 });
    expect(describeComputeError(Object.assign(new Error('8 RESOURCE_EXHAUSTED'), { code: 8 }), context)).toMatchObject({ kind: 'rate-limit', status: 429 });
    const byName = describeComputeError({ message: 'failed', response: { data: { error: { message: 'Permission denied', status: 'PERMISSION_DENIED' } } } }, context);
    expect(byName).toMatchObject({ kind: 'permission', status: 403, reason: 'PERMISSION_DENIED' });
  });
});

describe('a 404 answering an insert names what the VM refers to', () => {
  const notFound = (resource: string) => ({
    message: 'failed',
    response: { status: 404, data: { error: { code: 404, message: `The resource '${resource}' was not found`, errors: [{ reason: 'notFound', domain: 'global' }] } } },
  });
  it.each([
    ['projects/cos-cloud/global/images/family/cos-nope', 'the boot image', '`image:`'],
    ['projects/p/global/networks/work', 'the network', '`network:`'],
    ['projects/p/regions/us-central1/subnetworks/work-us', 'the subnetwork', '`subnet:`'],
    ['projects/p/zones/us-central1-a/machineTypes/e2-nope', 'the machine type', '`machineType:`'],
    ['projects/p/zones/us-central1-z', 'the zone', '`zone:`'],
  ])('%s → %s', (resource, what, field) => {
    const error = describeComputeError(notFound(resource), { ...context, insert: true });
    expect(error).toMatchObject({ kind: 'not-found', status: 404 });
    expect(error.detail).toBe(`creating the VM failed: ${what} does not exist (The resource '${resource}' was not found)`);
    expect(error.hint).toContain(field);
  });
  it('a 404 on anything but an insert is still about the VM', () => {
    expect(describeComputeError(notFound('projects/p/zones/us-central1-a/instances/vm'), { ...context, action: 'starting the VM' }).detail).toBe(
      "starting the VM failed: VM vm does not exist in p/us-central1-a (The resource 'projects/p/zones/us-central1-a/instances/vm' was not found)",
    );
  });
});

describe('OS Login from metadata and credentials', () => {
  it('reads enable-oslogin as the guest agent does; the instance value wins over the project value', () => {
    expect(metadataFlag([{ key: 'enable-oslogin', value: 'TRUE' }], 'enable-oslogin')).toBe(true);
    expect(metadataFlag([{ key: 'enable-oslogin', value: 'False' }], 'enable-oslogin')).toBe(false);
    expect(metadataFlag([{ key: 'enable-oslogin', value: 'yes please' }], 'enable-oslogin')).toBeUndefined();
    expect(osLoginFromMetadata(undefined, undefined)).toEqual({ enabled: false, source: 'default', twoFactor: false });
    expect(osLoginFromMetadata([{ key: 'enable-oslogin', value: 'true' }], [])).toEqual({ enabled: true, source: 'project', twoFactor: false });
    expect(osLoginFromMetadata([{ key: 'enable-oslogin', value: 'true' }], [{ key: 'enable-oslogin', value: 'FALSE' }])).toEqual({
      enabled: false,
      source: 'instance',
      twoFactor: false,
    });
    expect(
      osLoginFromMetadata([{ key: 'enable-oslogin-2fa', value: 'TRUE' }], [{ key: 'enable-oslogin', value: 'TRUE' }]),
    ).toEqual({ enabled: true, source: 'instance', twoFactor: true });
  });

  it('derives the OS Login user name: email with _ for every other character, sa_<uniqueId> for service accounts', () => {
    expect(osLoginUserName({ email: 'alice@example.com' })).toBe('alice_example_com');
    expect(osLoginUserName({ email: 'Alice.Smith@Example.co.uk' })).toBe('alice_smith_example_co_uk');
    expect(osLoginUserName({ email: 'worker@p.iam.gserviceaccount.com', uniqueId: '104554811455433325217' })).toBe('sa_104554811455433325217');
    expect(osLoginUserName({ email: 'worker@p.iam.gserviceaccount.com' })).toBeUndefined();
    expect(osLoginUserName({ email: 'a-very-long-name.with.parts@subdomain.example.com' })).toHaveLength(32);
  });
});

describe('Linux user names and the IAP hint', () => {
  it('refuses to build a VM for a local user name that cannot be a Linux user', () => {
    const parsed = parseConfig('workers:\n  - name: vm\n    provider: gce-linux\n    project: my-project\n    zone: us-central1-a\n', 'c.yaml');
    if (!parsed.ok) throw new Error('config');
    const worker = parsed.config.workers[0];
    if (worker?.provider !== 'gce-linux') throw new Error('config');
    expect(() => buildInstanceBody({ kind: 'gce-linux', worker, user: 'Alice.Smith' })).toThrow(
      new GceError(
        'invalid',
        "the SSH user \"Alice.Smith\" cannot be a user on the VM: expected a Linux user name: a lowercase letter or '_', then up to 31 lowercase letters, digits, '_' or '-'",
        'Set `ssh: {user: NAME}` for this worker in the config',
      ),
    );
    expect(buildInstanceBody({ kind: 'gce-linux', worker, user: 'alice_example_com' }).name).toBe('vm');
  });

  it('a stalled SSH stage names the IAP role besides the firewall rule', async () => {
    const error = await runStage('vm', 'provisioning', 'ssh', 20, () => new Promise<never>(() => undefined)).catch((e: unknown) => e);
    expect((error as GceError).hint).toContain('the roles/iap.tunnelResourceAccessor role on the project or VM');
    expect((error as GceError).hint).toContain('35.235.240.0/20');
  });
});
