import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWatcherCommand, frameMarker, newStreamSecret } from '../../src/scanners/worker-events/command.js';
import { WatcherStreamReader, type WatcherEvent } from '../../src/scanners/worker-events/parse.js';
import { sharedDocker, type TestDocker } from '../harness/docker.js';
import { waitFor } from '../support/ssh-fleet.js';

/** A watcher run here (its own process group) whose waits are inside a container of a private dockerd, 2 s bounds. */
describe('a closed watcher leaves nothing in its container (real dockerd, real tmux)', () => {
  let docker: TestDocker;
  let child: ChildProcess | undefined;
  const container = 'mc-watcher-box';
  const socket = '/tmp/mc-watcher-box.sock';
  const events: WatcherEvent[] = [];
  /** Command lines of the container's processes that are tmux `wait-for` clients. */
  const waiters = async () =>
    (await docker.docker(['exec', container, 'sh', '-c', 'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " <"$f"; echo; done 2>/dev/null']))
      .stdout.split('\n')
      .filter((line) => line.includes('wait-for') && !line.includes('/proc/'));

  beforeAll(async () => {
    docker = await sharedDocker();
    await docker.runWorker({ name: container });
    expect((await docker.docker(['exec', container, 'tmux', '-u', '-S', socket, 'new-session', '-d', '-s', 'mc-base', 'sleep 600'])).code).toBe(0);
  });
  afterAll(async () => {
    if (child?.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await docker?.docker(['rm', '-f', container]);
  });

  it('the in-container waiter ends when the stream is killed on the host', async () => {
    const secret = newStreamSecret();
    const command = buildWatcherCommand({ tmuxSocketArgs: ['-S', socket], container, stateDir: '/tmp/mc-state', secret, lifetimeS: 600, waitBoundS: 2 });
    const reader = new WatcherStreamReader(frameMarker(secret), 1 << 20);
    child = spawn('sh', ['-c', 'script' in command ? command.script : ''], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ...docker.env } });
    child.stdout!.on('data', (chunk: Buffer) => events.push(...reader.push(chunk)));
    await waitFor('the watcher up and its first scan', () => events.some((e) => e.kind === 'up') && events.some((e) => e.kind === 'scan'), 60_000);
    await waitFor('its waiter in the container', async () => (await waiters()).length > 0, 30_000);
    // What closing a stream does on the host (the local provider's abort, the SSH connection's kill of the group).
    process.kill(-child.pid!, 'SIGKILL');
    child = undefined;
    await waitFor('no waiter left in the container', async () => (await waiters()).length === 0, 30_000);
  });
});
