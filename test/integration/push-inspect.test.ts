import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWatcherCommand, frameMarker, newStreamSecret } from '../../src/scanners/worker-events/command.js';

const exec = promisify(execFile);

/** A stand-in for docker that notes each subcommand: `inspect` says running, `exec -i NAME …` runs the rest here. */
const DOCKER_SHIM = `#!/bin/sh
echo "$1" >>"$DOCKER_LOG"
case $1 in
inspect) printf 'true\\037running\\0372026-11-23T00:40:12.123456789Z\\037local/worker\\n' ;;
exec) shift; [ "$1" = -i ] && shift; shift; exec "$@" ;;
esac
`;

describe('a watcher for a worker with a container', () => {
  let dir: string;
  let socket: string;
  let watcher: ChildProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-push-inspect-'));
    socket = join(dir, 'tmux.sock');
    await mkdir(join(dir, 'bin'));
    await writeFile(join(dir, 'bin', 'docker'), DOCKER_SHIM, { mode: 0o755 });
    await exec('tmux', ['-S', socket, 'new-session', '-d', '-s', 'first', 'sleep 3600']);
  });

  afterAll(async () => {
    if (watcher?.pid !== undefined) {
      try {
        process.kill(-watcher.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('inspects the container once per stream, not once per pushed scan', async () => {
    const secret = newStreamSecret();
    const command = buildWatcherCommand({ tmuxSocketArgs: ['-S', socket], container: 'maintainer-worker', stateDir: join(dir, 'state'), secret, lifetimeS: 120 });
    const { script } = command as { script: string };
    const env = { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, HOME: dir, DOCKER_LOG: join(dir, 'docker.log') };
    watcher = spawn('sh', ['-c', script], { env, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    watcher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const ends = () => out.split(`${frameMarker(secret)} END `).length - 1;
    const until = async (count: number) => {
      for (let waited = 0; ends() < count; waited += 50) {
        if (waited > 30_000) throw new Error(`only ${ends()} pushed scans within 30 s, wanted ${count}:\n${out.slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await until(1);
    for (let i = 1; i <= 3; i++) {
      await exec('tmux', ['-S', socket, 'new-session', '-d', '-s', `s${i}`, 'sleep 3600']);
      await until(i + 1);
    }
    const calls = (await readFile(join(dir, 'docker.log'), 'utf8')).split('\n').filter(Boolean);
    expect(calls.filter((c) => c === 'inspect')).toHaveLength(1);
    // Every pushed scan still reports the container and enters it.
    expect(out.split('BEGIN container').length - 1).toBeGreaterThanOrEqual(4);
    expect(out).not.toContain('the container is not running');
    expect(out.split('\ntrue\x1frunning\x1f').length - 1).toBeGreaterThanOrEqual(4);
  });
});
