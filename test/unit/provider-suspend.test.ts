import { describe, expect, it } from 'vitest';
import { configFileSchema, resolveFleet, type DockerWorkerConfig } from '../../src/config/schema.js';
import { DockerProvider } from '../../src/providers/docker.js';
import { LocalProvider } from '../../src/providers/local.js';
import { readOnlyView } from '../../src/providers/read-only.js';
import { SshProvider } from '../../src/providers/ssh.js';
import { UnsupportedOperationError } from '../../src/providers/types.js';

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
