import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFleet } from '../../src/app/fleet.js';
import { runSuspend } from '../../src/cli/suspend.js';
import { configFileSchema, DEFAULT_SETTINGS, defaultFleet, resolveFleet, type DockerWorkerConfig } from '../../src/config/schema.js';
import { DockerProvider } from '../../src/providers/docker.js';
import { LocalProvider } from '../../src/providers/local.js';
import { readOnlyView } from '../../src/providers/read-only.js';
import { SshProvider } from '../../src/providers/ssh.js';
import { UnsupportedOperationError } from '../../src/providers/types.js';
import { captureIo } from '../support/cli-io.js';

describe('suspend on providers that cannot keep a machine suspended', () => {
  const local = new LocalProvider({ name: 'here', tmuxSocket: 'mc-suspend-test', stateDir: '/nonexistent/state' });
  const ssh = new SshProvider({
    name: 'box',
    tmuxSocket: 'mc-suspend-test',
    attachArgs: [],
    stateDir: '~/.mc',
    connect: () => Promise.reject(new Error('no connection is made to refuse a suspend')),
  });
  const file = configFileSchema.parse({ workers: [{ name: 'sandbox', provider: 'docker' }] });
  const docker = new DockerProvider(resolveFleet(file, undefined).workers[0] as DockerWorkerConfig);

  it('rejects with a typed error that names the worker, the operation and what can be suspended', async () => {
    for (const provider of [local, ssh, docker]) {
      const failure = await provider.suspend().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(UnsupportedOperationError);
      expect((failure as Error).message).toMatch(new RegExp(`^${provider.name}: suspend is not supported: .*only GCE workers can be suspended`));
    }
  });

  it('is absent from the read-only view', () => {
    expect('suspend' in readOnlyView(local)).toBe(false);
  });
});

describe('mission-control suspend WORKER', () => {
  it('says which worker cannot be suspended and why (exit 1), names the workers for an unknown one (exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-suspend-cli-'));
    const fleet = createFleet(defaultFleet(undefined, { ...DEFAULT_SETTINGS, tmuxSocket: join(dir, 'sock'), stateDir: join(dir, 'state') }));
    const io = captureIo();
    // What the last call wrote to standard error.
    let seen = 0;
    const err = () => io.err().slice(seen);
    try {
      expect(await runSuspend(fleet, ['local'], io)).toBe(1);
      expect(err()).toBe('mission-control suspend: error: local: suspend is not supported: mission-control does not suspend the machine it runs on; only GCE workers can be suspended\n');
      seen = io.err().length;
      expect(await runSuspend(fleet, ['nowhere'], io)).toBe(2);
      expect(err()).toBe('mission-control suspend: there is no worker named "nowhere" (workers: local)\n');
      seen = io.err().length;
      expect(await runSuspend(fleet, [], io)).toBe(2);
      expect(err()).toContain('name one WORKER');
      expect(io.out()).toBe('');
    } finally {
      await fleet.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
