import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGceProvider } from '../../src/providers/gce/provider.js';
import { WorkerUnreachableError } from '../../src/providers/types.js';
import { SshPool } from '../../src/ssh/pool.js';
import { startComputeApi, type ComputeApiFake } from '../harness/compute-api.js';
import { emptySshConfig, gceWorker, testDeps } from '../harness/compute/gce-worker.js';

describe('attaching to a GCE worker that is not connected', () => {
  let fake: ComputeApiFake;
  let dir: string;
  let pool: SshPool;

  beforeAll(async () => {
    fake = await startComputeApi();
    dir = await mkdtemp(join(tmpdir(), 'mc-gce-attach-'));
    pool = new SshPool({ agent: '' });
  });
  afterAll(async () => {
    await pool.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses with what to do, instead of handing the terminal to gcloud compute ssh (which can change project metadata)', async () => {
    const worker = gceWorker({ name: 'vm-2', provider: 'gce-cos', sshConfigFile: await emptySshConfig(dir) });
    const provider = createGceProvider(worker, testDeps(fake, pool, dir));
    for (const readOnly of [false, true]) {
      let thrown: unknown;
      try {
        provider.attachCommand('$1', { readOnly });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(WorkerUnreachableError);
      expect((thrown as Error).message).toBe('vm-2: not connected yet, so there is no checked route to attach through (wait for the worker to show as up, then attach again)');
    }
    expect(fake.requests).toEqual([]);
  });
});
