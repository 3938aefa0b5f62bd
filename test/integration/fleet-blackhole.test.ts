import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet } from '../../src/app/fleet.js';
import { refreshWorker, scanTimeoutMs } from '../../src/app/refresh.js';
import { loadConfig } from '../../src/config/load.js';
import { run } from '../harness/process.js';

describe('a worker that accepts connections and never answers (a black hole on loopback)', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let dir: string;
  let config: string;

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    dir = await mkdtemp(join(tmpdir(), 'mc-blackhole-'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
    await writeFile(join(dir, 'ssh_config'), `Host hole\n  HostName 127.0.0.1\n  Port ${port}\n  User nobody\n  IdentityFile ${join(dir, 'id')}\n`);
    config = join(dir, 'config.yaml');
    await writeFile(config, ['workers:', '  - name: hole', '    provider: ssh', '    ssh: hole', `    sshConfigFile: ${join(dir, 'ssh_config')}`].join('\n'));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('is reported unreachable when the scan deadline passes, not when the much longer connect timeout does', async () => {
    const loaded = await loadConfig(config);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const fleet = createFleet(loaded.config, { readOnly: true });
    try {
      const started = Date.now();
      await expect(refreshWorker(fleet.store, fleet.provider('hole')!, 2000)).rejects.toThrow(/^hole: /);
      // Not before the scan deadline (a lower bound, which load cannot break) and by the scan deadline's own
      // error, not the connect timeout's: the message names the deadline that fired.
      expect(Date.now() - started).toBeGreaterThanOrEqual(scanTimeoutMs(2000) - 50);
      expect(fleet.store.getState().workers.hole!.connection).toBe('down');
      const within = /^hole: .*within (\d+) ms/.exec(fleet.store.getState().workers.hole!.lastError ?? '');
      expect(Number(within?.[1])).toBeLessThanOrEqual(scanTimeoutMs(2000));
    } finally {
      await fleet.close();
    }
  });
});
