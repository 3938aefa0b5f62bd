import { describe, expect, it } from 'vitest';
import { describeComputeError, describeOperationError, GceError } from '../../src/providers/gce/errors.js';
import { GCE_STATE_MAP, machineStatusOf } from '../../src/providers/gce/machine-state.js';
import { pollUntil, runStage } from '../../src/providers/gce/stages.js';

/** The shape the REST client throws: a GaxiosError whose message is the JSON body. */
function httpError(status: number, reason: string, message: string): Error {
  const error = new Error(JSON.stringify({ error: { code: status, message, errors: [{ message, domain: 'global', reason }] } }));
  return Object.assign(error, { code: status, status, response: { status } });
}

const context = { action: 'starting the VM', project: 'p1', zone: 'us-central1-a', instance: 'vm' };

describe('GCE state mapping', () => {
  it.each([
    ['PROVISIONING', 'provisioning'],
    ['PENDING', 'provisioning'],
    ['STAGING', 'starting'],
    ['REPAIRING', 'starting'],
    ['RUNNING', 'running'],
    ['STOPPING', 'stopping'],
    ['SUSPENDING', 'suspending'],
    ['DEPROVISIONING', 'stopping'],
    ['SUSPENDED', 'suspended'],
    ['STOPPED', 'stopped'],
    ['TERMINATED', 'stopped'],
  ])('%s is %s, with the GCE word as detail', (gce, state) => {
    expect(machineStatusOf(gce)).toEqual({ state, detail: gce });
  });

  it('covers every documented status; a missing instance is missing; anything else unknown', () => {
    expect(Object.keys(GCE_STATE_MAP)).toHaveLength(11);
    expect(machineStatusOf(undefined)).toEqual({ state: 'missing', detail: 'not found' });
    expect(machineStatusOf('SOMETHING_NEW')).toEqual({ state: 'unknown', detail: 'SOMETHING_NEW' });
    expect(machineStatusOf(null)).toEqual({ state: 'unknown', detail: 'no status' });
  });
});

describe('Compute errors as actions', () => {
  it.each([
    [401, 'authError', 'Request had invalid authentication credentials.', 'credentials', /gcloud auth application-default login/],
    [429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'rate-limit', /Wait a minute and try again$/],
    [403, 'rateLimitExceeded', 'Rate Limit Exceeded', 'rate-limit', /Wait a minute/],
    [400, 'invalid', "Invalid value for field 'resource.machineType'", 'invalid', /Check the worker's machineType, image, network/],
    [503, 'backendError', 'Internal error', 'api', /HTTP 503 from the Compute API \(Internal error\)\. Try again/],
  ])('HTTP %i %s', (status, reason, message, kind, text) => {
    const error = describeComputeError(httpError(status, reason, message), context);
    expect(error).toBeInstanceOf(GceError);
    expect(error).toMatchObject({ kind, status, reason });
    expect(error.message).toMatch(text);
  });

  it('operation errors: quota, capacity, and anything else', () => {
    expect(describeOperationError({ errors: [{ code: 'QUOTA_EXCEEDED', message: "Quota 'CPUS' exceeded." }] }, 403, context)).toMatchObject({ kind: 'quota' });
    expect(
      describeOperationError({ errors: [{ code: 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS', message: 'no room' }] }, 503, { ...context, machineType: 'c3-standard-8' })
        .message,
    ).toBe('starting the VM failed: zone us-central1-a has no capacity for c3-standard-8 right now (no room). Try again later, or set another zone or machineType for this worker');
    expect(describeOperationError({ errors: [{ code: 'RESOURCE_NOT_READY', message: 'not ready' }] }, 400, context)).toMatchObject({ kind: 'invalid' });
  });

  it('a worker name is put in front once', () => {
    const error = describeComputeError(httpError(409, 'alreadyExists', 'exists'), context);
    expect(error.on('w1').on('w1').message).toMatch(/^w1: starting the VM failed: VM vm already exists in p1\/us-central1-a\. /);
  });
});

describe('stages', () => {
  it('a stage that runs out of time says which stage stalled and what it saw last', async () => {
    const error = await runStage('w1', 'provisioning', 'ssh', 120, async ({ signal, note }) => {
      note('connection refused at 10.0.0.2:22');
      await pollUntil(signal, async () => undefined, { initialMs: 10 });
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GceError);
    expect(error).toMatchObject({ kind: 'stalled' });
    expect((error as Error).message).toMatch(
      /^w1: provisioning stalled at stage "ssh": not done within 120 ms \(last: connection refused at 10\.0\.0\.2:22\)\. Check that a firewall rule allows TCP 22/,
    );
  });

  it('the deadline holds even when the work ignores the signal', async () => {
    // The work never settles: only the stage's own deadline can end this call.
    await expect(runStage('w1', 'starting', 'operation', 50, () => new Promise(() => undefined))).rejects.toThrow('stalled at stage "operation"');
  });

  it('polls with growing waits until the condition holds, and passes other errors through', async () => {
    let calls = 0;
    const value = await runStage('w1', 'x', 'state', 5000, ({ signal }) => pollUntil(signal, async () => (++calls === 4 ? 'done' : undefined), { initialMs: 1 }));
    expect([value, calls]).toEqual(['done', 4]);
    await expect(runStage('w1', 'x', 'state', 5000, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
