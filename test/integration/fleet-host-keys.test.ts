import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet } from '../../src/app/fleet.js';
import { refreshWorker } from '../../src/app/refresh.js';
import { loadConfig } from '../../src/config/load.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';

describe("each worker's hostKeyPolicy decides for its own connection (real sshd)", () => {
  let sshd: TestSshd;
  let config: string;
  let knownHosts: string;

  beforeAll(async () => {
    sshd = await startSshd();
    knownHosts = join(sshd.dir, 'empty_known_hosts');
    await writeFile(knownHosts, '');
    const sshConfig = join(sshd.dir, 'ssh_config');
    await writeFile(
      sshConfig,
      `Host box\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.clientKeyPath}\n  UserKnownHostsFile ${knownHosts}\n`,
    );
    config = join(sshd.dir, 'config.yaml');
    const worker = (name: string, extra: string[] = []) => [
      `  - name: ${name}`, '    provider: ssh', '    ssh: box', `    sshConfigFile: ${sshConfig}`, `    tmuxSocket: ${join(sshd.home, 'sock')}`, ...extra,
    ];
    await writeFile(
      config,
      ['defaults:', '  hostKeyPolicy: accept-new', 'workers:', ...worker('careful', ['    hostKeyPolicy: strict']), ...worker('trusting')].join('\n'),
    );
  });
  afterAll(async () => {
    await sshd.stop();
  });

  it('a strict worker refuses the unknown key even when the defaults accept new keys', async () => {
    const loaded = await loadConfig(config);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const fleet = createFleet(loaded.config, { readOnly: true });
    try {
      await expect(refreshWorker(fleet.store, fleet.provider('careful')!, 2000)).rejects.toThrow(/not known/);
      expect(await readFile(knownHosts, 'utf8')).toBe('');
      expect(fleet.store.getState().workers.careful!.lastError).toMatch(/SHA256:/);
      await refreshWorker(fleet.store, fleet.provider('trusting')!, 2000);
      expect(await readFile(knownHosts, 'utf8')).toContain(sshd.hostPublicKey.split(' ')[1]);
      expect(fleet.store.getState().workers.trusting!.connection).toBe('up');
    } finally {
      await fleet.close();
    }
  });
});
