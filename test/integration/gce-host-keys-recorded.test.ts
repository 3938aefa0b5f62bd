import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGceProvider } from '../../src/providers/gce/provider.js';
import { startCosWorker, type CosWorker } from '../harness/compute/cos-worker.js';
import { PROJECT, testDeps, ZONE } from '../harness/compute/gce-worker.js';

/**
 * Every run of the program (each `status`, each `autopilot --once`) reads the VM's published host keys, and GCE
 * answers at most 10 such queries a minute per VM. A run that is refused still connects with the keys an earlier
 * run recorded for that VM, rather than failing as if the host key were unknown.
 */
describe('host keys recorded by an earlier run (real Compute client, fake API, real sshd + dockerd)', () => {
  let cos: CosWorker;

  beforeAll(async () => {
    cos = await startCosWorker({ name: 'cos-keys' });
    await cos.provider.provision();
  }, 180_000);
  afterAll(() => cos?.close());

  it('connects with the recorded keys while the guest attribute queries are rate-limited', async () => {
    expect((await cos.provider.exec({ argv: ['true'] })).code).toBe(0);
    // Spend the VM's guest attribute queries for this minute.
    const url = `${cos.fake.url}/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/cos-keys/getGuestAttributes?queryPath=hostkeys/`;
    let status = 0;
    while (status !== 429) status = (await fetch(url)).status;
    // A later run: a new provider over the same files (known_hosts included).
    const later = createGceProvider(cos.worker, testDeps(cos.fake, cos.pool, cos.dir));
    try {
      const result = await later.exec({ argv: ['echo', 'reached'] });
      expect(result.stdout.trim()).toBe('reached');
    } finally {
      await later.close();
    }
  }, 120_000);
});
