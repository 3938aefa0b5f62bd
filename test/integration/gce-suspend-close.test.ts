import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCosWorker, type CosWorker } from '../harness/compute/cos-worker.js';
import { waitFor } from '../support/ssh-fleet.js';

const exec = promisify(execFile);

/** This process's TCP sockets that it closed and whose peer has not closed its side, from `ss`. */
async function halfClosedSockets(): Promise<string[]> {
  const { stdout } = await exec('ss', ['-tnpH', 'state', 'fin-wait-2']);
  return stdout.split('\n').filter((line) => line.includes(`pid=${process.pid},`));
}

/**
 * A program that suspended a worker exits: its SSH connection to the frozen VM (whose sshd answers nothing while
 * suspended, so a polite end is never answered) is let go when the pool closes, not left holding the process open.
 */
describe('closing after a suspend (real Compute client, fake API, real sshd + dockerd)', () => {
  let cos: CosWorker;

  beforeAll(async () => {
    cos = await startCosWorker({ name: 'cos-close' });
    await cos.provider.provision();
  }, 180_000);
  afterAll(() => cos?.close());

  it('the pool ends its socket to the suspended VM although the VM never answers', async () => {
    expect((await cos.provider.exec({ argv: ['true'] })).code).toBe(0);
    await cos.provider.suspend();
    expect(cos.backing.frozen.length).toBeGreaterThan(0);
    await cos.provider.close();
    await cos.pool.close();
    let left: string[] = [];
    await waitFor('no socket of this process left waiting for the frozen sshd', async () => (left = await halfClosedSockets()).length === 0, 30_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}: ${left.join('\n')}`);
      },
    );
  }, 120_000);
});
