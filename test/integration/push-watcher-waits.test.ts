import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildWatcherCommand, frameMarker, newStreamSecret, PUSH_CHANNEL } from '../../src/scanners/worker-events/command.js';
import { WatcherStreamReader, type WatcherEvent } from '../../src/scanners/worker-events/parse.js';
import { run } from '../harness/process.js';
import { waitFor } from '../support/ssh-fleet.js';

/** Processes still alive (not zombies) in process group `pgid`, read from /proc. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

/** The watcher script run here directly (its own process group), on a private tmux server, with 2 s waits. */
describe('the watcher waits a bounded time (real tmux)', () => {
  let dir: string;
  let socket: string;
  let child: ChildProcess | undefined;
  let events: WatcherEvent[];
  const tmux = (args: readonly string[], at = socket) => run('tmux', ['-u', '-S', at, ...args], { allowFailure: true });
  const scans = () => events.filter((e): e is Extract<WatcherEvent, { kind: 'scan' }> => e.kind === 'scan');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-watcher-waits-'));
    socket = join(dir, 'tmux.sock');
    events = [];
    expect((await tmux(['new-session', '-d', '-s', 'mc-base', 'sleep 600'])).code).toBe(0);
    const secret = newStreamSecret();
    const command = buildWatcherCommand({ tmuxSocketArgs: ['-S', socket], stateDir: join(dir, 'state'), secret, lifetimeS: 600, waitBoundS: 2 });
    const reader = new WatcherStreamReader(frameMarker(secret), 1 << 20);
    child = spawn('sh', ['-c', 'script' in command ? command.script : ''], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout!.on('data', (chunk: Buffer) => events.push(...reader.push(chunk)));
    child.stdout!.on('error', () => undefined);
    await waitFor('the watcher up and its first scan', () => events.some((e) => e.kind === 'up') && scans().length > 0, 30_000);
  });
  afterEach(async () => {
    if (child?.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await tmux(['kill-server']);
    await tmux(['kill-server'], `${socket}.old`);
    await rm(dir, { recursive: true, force: true });
  });

  it('a server that takes the socket over while the watcher waits on the old one gets the hooks and pushes', async () => {
    // The old server lives on (its socket moved away): a wait on it would never be signalled again.
    await rename(socket, `${socket}.old`);
    expect((await tmux(['new-session', '-d', '-s', 'mc-other', 'sleep 600'])).code).toBe(0);
    await waitFor('hooks armed on the new server', async () => (await tmux(['show-hooks', '-g'])).stdout.includes(PUSH_CHANNEL), 30_000);
    expect((await tmux(['new-session', '-d', '-s', 'mc-fresh', 'sleep 600'])).code).toBe(0);
    await waitFor('a pushed scan showing the new session', () => scans().some((s) => s.output.includes('mc-fresh')), 30_000);
  });

  it('a watcher whose reader is gone ends, its tmux clients with it', async () => {
    const pgid = child!.pid!;
    // The client side goes away (a closed stream, a dropped connection): the next write of the reader fails.
    child!.stdout!.destroy();
    expect((await tmux(['new-session', '-d', '-s', 'mc-wake', 'sleep 600'])).code).toBe(0);
    await waitFor('every process of the watcher gone', () => groupMembers(pgid).length === 0, 30_000);
  });
});
