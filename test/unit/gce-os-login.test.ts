import { describe, expect, it } from 'vitest';
import type { ComputeApi } from '../../src/providers/gce/compute-api.js';
import { GceError } from '../../src/providers/gce/errors.js';
import { LoginIdentity } from '../../src/providers/gce/login-user.js';
import { detectWorkerOsLogin, OS_LOGIN_UNKNOWN_OFF, type OsLoginState } from '../../src/providers/gce/os-login.js';

const WORKER = { project: 'p', zone: 'z', instance: 'vm' };

/** A Compute API whose project read fails with `error`, once or always. */
function failingApi(error: GceError): ComputeApi {
  return {
    getInstance: async () => undefined,
    getProject: async () => {
      throw error;
    },
    account: async () => ({ email: 'alice@example.com' }),
  } as unknown as ComputeApi;
}

describe('whether OS Login governs a worker', () => {
  it('takes a refusal of the API as off, but a call that did not get through as no answer (it rejects)', async () => {
    await expect(detectWorkerOsLogin(failingApi(new GceError('permission', 'no access to project p', '')), WORKER)).resolves.toEqual(OS_LOGIN_UNKNOWN_OFF);
    for (const kind of ['network', 'credentials', 'rate-limit', 'api'] as const) {
      await expect(detectWorkerOsLogin(failingApi(new GceError(kind, `${kind} trouble`, '')), WORKER)).rejects.toThrow(`${kind} trouble`);
    }
  });

  it('asks again once a failed question has stood for the retry time, and then uses the OS Login name', async () => {
    let now = 1_000_000;
    const answers: (() => Promise<OsLoginState>)[] = [
      () => Promise.reject(new GceError('network', 'compute.googleapis.com did not answer', '')),
      () => Promise.resolve({ enabled: true, source: 'project', twoFactor: false, user: 'alice_example_com' }),
    ];
    let asked = 0;
    const identity = new LoginIdentity({ ssh: {} }, () => answers[asked++]!(), 'alice', 30_000, () => now);
    await expect(identity.user()).rejects.toThrow('did not answer');
    now += 10_000;
    await expect(identity.state()).rejects.toThrow('did not answer');
    expect(asked).toBe(1);
    now += 25_000;
    await expect(identity.user()).resolves.toBe('alice_example_com');
    expect(asked).toBe(2);
    expect(identity.known).toMatchObject({ enabled: true });
  });

  it('needs no answer for a configured user', async () => {
    const identity = new LoginIdentity({ ssh: { user: 'bob' } }, () => Promise.reject(new GceError('network', 'down', '')), 'alice');
    await expect(identity.user()).resolves.toBe('bob');
  });
});
