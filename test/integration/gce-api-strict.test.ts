import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ComputeApi } from '../../src/providers/gce/compute-api.js';
import { egressOf } from '../../src/providers/gce/egress.js';
import { GceError } from '../../src/providers/gce/errors.js';
import { detectOsLogin, osLoginUserName } from '../../src/providers/gce/os-login.js';
import { createGceProvider } from '../../src/providers/gce/provider.js';
import { SshPool } from '../../src/ssh/pool.js';
import { serviceDisabled, startComputeApi, type ComputeApiFake } from '../harness/compute-api.js';
import { emptySshConfig, gceWorker, PROJECT, REGION, testDeps, ZONE } from '../harness/compute/gce-worker.js';

/**
 * What a real project does that the happy path never meets: no way out of the default network, OS Login, inserts
 * that fail on what the VM refers to, a disabled API, operations that stay RUNNING, rate-limited guest attributes,
 * and answers lost in transit. All against the local Compute server, as strict as the real API on these points.
 */
describe('GCE against a strict Compute API', () => {
  let fake: ComputeApiFake;
  let dir: string;
  let pool: SshPool;
  const ref = { project: PROJECT, zone: ZONE, instance: 'vm' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-gce-strict-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fake = await startComputeApi({ delays: { provisioning: 30, staging: 30, stopping: 30, deleting: 30 } });
    pool = new SshPool({ agent: '' });
  });
  afterEach(async () => {
    await pool.close();
    await fake.close();
  });

  /** A provider whose VM nothing backs: provisioning ends at the SSH stage, after the insert. */
  const provider = async (entry: Record<string, unknown>, nat = true) => {
    const deps = testDeps(fake, pool, dir, { timeouts: { operation: 5000, state: 5000, ssh: 300, ready: 300 } });
    if (!nat) fake.world.projects.routers.clear();
    const worker = gceWorker({ name: 'vm', sshConfigFile: await emptySshConfig(dir), ssh: { host: '127.0.0.1', port: 1, user: 'alice' }, iap: { enabled: false }, ...entry });
    return createGceProvider(worker, deps);
  };
  const inserts = () => fake.requestsTo('POST', /\/instances$/);

  describe('a way out of the network', () => {
    it('refuses the defaults on a new project (no external IP, no Cloud NAT, no Private Google Access), naming the fixes', async () => {
      const steps: string[] = [];
      const error = await (await provider({ provider: 'gce-cos' }, false)).provision((s) => steps.push(s)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GceError);
      expect(error).toMatchObject({ kind: 'network' });
      const message = (error as Error).message;
      expect(message).toContain(
        'vm: VM vm would have no way to the internet: no external IP (`externalIp` is off) and no Cloud NAT for subnetwork default in us-central1, ' +
          'and Private Google Access is off, so the pull of us-docker.pkg.dev/gemini-code-dev/gemini-cli/maintainer:latest, apt, GitHub, npm',
      );
      expect(message).toContain(
        `\`gcloud compute routers create mission-control-nat-router --project ${PROJECT} --region ${REGION} --network default && ` +
          `gcloud compute routers nats create mission-control-nat --project ${PROJECT} --region ${REGION} --router mission-control-nat-router --auto-allocate-nat-external-ips --nat-all-subnet-ip-ranges\``,
      );
      expect(message).toContain('or set `externalIp: true` for this worker');
      expect(message).toContain(`\`gcloud compute networks subnets update default --project ${PROJECT} --region ${REGION} --enable-private-ip-google-access\``);
      expect(inserts()).toHaveLength(0);
      // What it read: the network (auto mode: its subnetwork in the region), the subnetwork, the routers.
      expect(fake.requestsTo('GET', /\/global\/networks\/default$/)).toHaveLength(1);
      expect(fake.requestsTo('GET', /\/regions\/us-central1\/subnetworks\/default$/)).toHaveLength(1);
      expect(fake.requestsTo('GET', /\/regions\/us-central1\/routers$/)).toHaveLength(1);
    });

    it('Private Google Access alone reaches Artifact Registry but not the internet; a router without NAT does not count', async () => {
      fake.world.projects.addSubnet(PROJECT, REGION, 'default', 'default', true);
      fake.world.projects.addRouter(PROJECT, REGION, 'bgp-only');
      const api = new ComputeApi({ client: fake.clientOptions() });
      const worker = gceWorker({ name: 'vm', provider: 'gce-cos' });
      if (worker.provider !== 'gce-cos') throw new Error('unreachable');
      expect(await egressOf(api, worker)).toEqual({
        internet: false,
        googleApis: true,
        via: 'Private Google Access',
        subnet: { project: PROJECT, region: REGION, name: 'default', network: 'default' },
      });
      const error = await (await provider({ provider: 'gce-linux', container: { image: 'ghcr.io/me/worker:1' } }, false)).provision().catch((e: unknown) => e);
      expect((error as Error).message).toContain(
        "Private Google Access is on for subnetwork default, so Google APIs are reachable, but nothing else: the image ghcr.io/me/worker:1, apt, GitHub, npm and the agents' own calls would fail",
      );
      expect((error as Error).message).not.toContain('--enable-private-ip-google-access');
    });

    it('goes on with Cloud NAT for the subnetwork, with an external IP (nothing to read), or with egressCheck: warn', async () => {
      await (await provider({ provider: 'gce-cos' })).provision().catch(() => undefined);
      expect(inserts()).toHaveLength(1);

      fake.world.projects.routers.clear();
      fake.world.projects.addNetwork(PROJECT, 'work');
      fake.world.projects.addSubnet(PROJECT, REGION, 'work-us', 'work');
      fake.world.projects.addCloudNat(PROJECT, REGION, 'work', ['work-us']);
      const api = new ComputeApi({ client: fake.clientOptions() });
      const listed = gceWorker({ name: 'vm', provider: 'gce-linux', network: 'work', subnet: 'work-us' });
      if (listed.provider !== 'gce-linux') throw new Error('unreachable');
      expect(await egressOf(api, listed)).toMatchObject({ internet: true, via: 'Cloud NAT nat-work on router nat-router-work' });

      const before = fake.requests.length;
      const external = gceWorker({ name: 'vm', provider: 'gce-linux', externalIp: true });
      if (external.provider !== 'gce-linux') throw new Error('unreachable');
      expect(await egressOf(api, external)).toEqual({ internet: true, googleApis: true, via: 'its external IP' });
      expect(fake.requests.length).toBe(before);

      await fake.close();
      fake = await startComputeApi({ delays: { provisioning: 30, staging: 30 } });
      const steps: string[] = [];
      await (await provider({ name: 'vm', provider: 'gce-cos', egressCheck: 'warn' }, false)).provision((s) => steps.push(s)).catch(() => undefined);
      expect(steps.find((s) => s.startsWith('warning: VM vm would have no way to the internet'))).toBeDefined();
      expect(inserts()).toHaveLength(1);
    });
  });

  it('OS Login: read from project metadata, the instance wins, and the user name comes from the credentials', async () => {
    fake.world.projects.setMetadata(PROJECT, 'enable-oslogin', 'TRUE');
    const api = new ComputeApi({ client: { ...fake.clientOptions(), account: { email: 'alice@example.com' } } });
    expect(await detectOsLogin(api, PROJECT)).toEqual({ enabled: true, source: 'project', twoFactor: false, user: 'alice_example_com' });
    expect(fake.requestsTo('GET', new RegExp(`^/compute/v1/projects/${PROJECT}$`))).toHaveLength(1);

    const vm = fake.world.addInstance(PROJECT, ZONE, { name: 'vm', metadata: { items: [{ key: 'enable-oslogin', value: 'false' }] } });
    const instance = await api.getInstance(ref);
    expect(instance?.metadata?.items).toEqual([{ key: 'enable-oslogin', value: 'false' }]);
    expect(await detectOsLogin(api, PROJECT, instance)).toMatchObject({ enabled: false, source: 'instance' });
    expect(vm.name).toBe('vm');

    const robot = new ComputeApi({ client: { ...fake.clientOptions(), account: { email: 'worker@mc-test-project.iam.gserviceaccount.com', uniqueId: '112233445566778899' } } });
    expect(await detectOsLogin(robot, PROJECT)).toMatchObject({ enabled: true, user: 'sa_112233445566778899' });
  });

  it("OS Login name of a service account key's account, read by google-auth-library from the key file", async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(dir, 'sa-key.json');
    const key = {
      type: 'service_account',
      project_id: PROJECT,
      private_key_id: 'abc123',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: `worker@${PROJECT}.iam.gserviceaccount.com`,
      client_id: '104554811455433325217',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
    await writeFile(keyFile, JSON.stringify(key));
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
    try {
      // Application Default Credentials (no auth client given); nothing is sent anywhere to find the account.
      const api = new ComputeApi({ client: { apiEndpoint: '127.0.0.1', port: fake.port, protocol: 'http' } });
      const account = await api.account();
      expect(account).toEqual({ email: `worker@${PROJECT}.iam.gserviceaccount.com`, uniqueId: '104554811455433325217' });
      expect(osLoginUserName(account!)).toBe('sa_104554811455433325217');
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });

  describe('insert errors explained by what the VM refers to', () => {
    it('404 names the missing image (not the VM), 409 on the boot disk names the disk', async () => {
      const image = await (await provider({ provider: 'gce-linux', image: { project: 'debian-cloud', family: 'debian-99' } })).provision().catch((e: unknown) => e);
      expect(image).toMatchObject({ kind: 'not-found', status: 404 });
      expect((image as Error).message).toBe(
        "vm: creating the VM failed: the boot image does not exist (The resource 'projects/debian-cloud/global/images/family/debian-99' was not found). " +
          'Check `image:` (project and family or name) in the config, e.g. with `gcloud compute images describe-from-family FAMILY --project IMAGE_PROJECT`',
      );

      // With an external IP nothing is read before the insert: the insert itself finds the network missing.
      const network = await (await provider({ provider: 'gce-linux', network: 'nope', externalIp: true })).provision().catch((e: unknown) => e);
      expect((network as GceError).detail).toBe(
        `vm: creating the VM failed: the network does not exist (The resource 'projects/${PROJECT}/global/networks/nope' was not found)`,
      );

      fake.world.disks.add(`${PROJECT}/${ZONE}/vm`);
      const disk = await (await provider({ provider: 'gce-linux' })).provision().catch((e: unknown) => e);
      expect(disk).toMatchObject({ kind: 'exists', status: 409 });
      expect((disk as Error).message).toBe(
        `vm: creating the VM failed: a disk named vm already exists in ${PROJECT}/${ZONE}, and the boot disk takes the VM's name. ` +
          `It is probably left from an earlier VM: delete it with \`gcloud compute disks delete vm --zone ${ZONE} --project ${PROJECT}\` ` +
          'if nothing on it is needed, or set `instance:` to another name in the config',
      );
    });

    it('SERVICE_DISABLED says which command enables the API', async () => {
      fake.world.projects.disabled.add(PROJECT);
      const api = new ComputeApi({ client: fake.clientOptions() });
      const error = await api.getInstance(ref).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'service-disabled', status: 403, reason: 'SERVICE_DISABLED' });
      expect((error as GceError).hint).toBe(`Enable it with \`gcloud services enable compute.googleapis.com --project ${PROJECT}\` (it takes a minute to apply), then try again`);
      expect(serviceDisabled(PROJECT).body.error.status).toBe('PERMISSION_DENIED');
    });
  });

  it('a create whose answer is lost is sent again with the same requestId: one VM, one operation', async () => {
    fake.dropResponses('POST', /\/instances$/);
    const api = new ComputeApi({ client: fake.clientOptions(), retryDelayMs: 20, waitFloorMs: 20 });
    const operation = await api.insertInstance(PROJECT, ZONE, { name: 'vm' });
    await api.waitOperation(PROJECT, ZONE, operation, { action: 'creating the VM', project: PROJECT });
    const sent = inserts();
    expect(sent).toHaveLength(2);
    expect(sent[0]!.query.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sent[1]!.query.requestId).toBe(sent[0]!.query.requestId);
    expect([...fake.world.instances.keys()]).toEqual([`${PROJECT}/${ZONE}/vm`]);
    expect([...fake.world.operations.values()].filter((op) => op.operationType === 'insert')).toHaveLength(1);
  });

  it('waits on an operation with a floor between wait calls, however fast the API answers RUNNING', async () => {
    await fake.close();
    // `wait` answers at once while the operation runs for a while, as the real API may.
    fake = await startComputeApi({ waitMs: 0, delays: { provisioning: 400, staging: 400 } });
    const api = new ComputeApi({ client: fake.clientOptions(), waitFloorMs: 200 });
    const operation = await api.insertInstance(PROJECT, ZONE, { name: 'vm' });
    const done = await api.waitOperation(PROJECT, ZONE, operation, { action: 'creating the VM', project: PROJECT });
    expect(done.status).toBe('DONE');
    const waits = fake.requestsTo('POST', /\/wait$/).length;
    // 800 ms of RUNNING at one call per 200 ms at most; without the floor it is hundreds.
    expect(waits).toBeGreaterThan(1);
    expect(waits).toBeLessThan(15);
  });

  it('a wait call that outlives its own deadline means the operation still runs: it is asked again', async () => {
    await fake.close();
    // The server holds `wait` for up to 5 s; the client gives each call 150 ms.
    fake = await startComputeApi({ waitMs: 5000, delays: { provisioning: 300, staging: 300 } });
    const api = new ComputeApi({ client: fake.clientOptions(), waitCallMs: 150, waitFloorMs: 50 });
    const operation = await api.insertInstance(PROJECT, ZONE, { name: 'vm' });
    expect((await api.waitOperation(PROJECT, ZONE, operation, { action: 'creating the VM', project: PROJECT })).status).toBe('DONE');
    expect(fake.requestsTo('POST', /\/wait$/).length).toBeGreaterThan(1);
    expect(fake.instance(PROJECT, ZONE, 'vm')?.status).toBe('RUNNING');
  });

  it('queries guest attributes at most 10 times a minute per VM, answering from the last query past that', async () => {
    const vm = fake.world.addInstance(PROJECT, ZONE, { name: 'vm' });
    fake.world.addInstance(PROJECT, ZONE, { name: 'other' });
    vm.guestAttributes = [{ namespace: 'hostkeys', key: 'ssh-ed25519', value: 'AAAAC3NzaC1lZDI1NTE5AAAAIB' }];
    const api = new ComputeApi({ client: fake.clientOptions() });
    const answers = [];
    for (let i = 0; i < 15; i++) answers.push(await api.guestAttributes(ref, 'hostkeys/'));
    expect(answers.every((a) => a.length === 1 && a[0]!.value === 'AAAAC3NzaC1lZDI1NTE5AAAAIB')).toBe(true);
    expect(fake.requestsTo('GET', /\/instances\/vm\/getGuestAttributes$/)).toHaveLength(10);
    // Per VM: another VM has its own ten.
    expect(await api.guestAttributes({ ...ref, instance: 'other' }, 'hostkeys/')).toEqual([]);
    expect(fake.requestsTo('GET', /\/instances\/other\/getGuestAttributes$/)).toHaveLength(1);
  });
});
