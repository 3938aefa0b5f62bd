import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildWatcherCommand, frameMarker, newStreamSecret } from '../../src/scanners/worker-events/command.js';
import { WatcherStreamReader, type WatcherEvent } from '../../src/scanners/worker-events/parse.js';
import { run } from '../harness/process.js';
import { waitFor } from '../support/ssh-fleet.js';

/** The watcher script run here directly (its own process group), on a private tmux server. */
describe('the watcher under a burst of changes (real tmux)', () => {
  let dir: string;
  let socket: string;
  let child: ChildProcess | undefined;
  let events: WatcherEvent[];
  const tmux = (args: readonly string[], at = socket) => run('tmux', ['-u', '-S', at, ...args], { allowFailure: true });
  const scans = () => events.filter((e): e is Extract<WatcherEvent, { kind: 'scan' }> => e.kind === 'scan');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-watcher-burst-'));
    socket = join(dir, 'tmux.sock');
    events = [];
    expect((await tmux(['new-session', '-d', '-s', 'mc-base', 'sleep 600'])).code).toBe(0);
    const secret = newStreamSecret();
    const command = buildWatcherCommand({ tmuxSocketArgs: ['-S', socket], stateDir: join(dir, 'state'), secret, lifetimeS: 600 });
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
    await rm(dir, { recursive: true, force: true });
  });

  it('a burst of changes: the last one reaches a pushed scan (no signal lost between waits)', async () => {
    // 200 sessions, one tmux command each: changes arrive while scans run and while the watcher waits for `sent`.
    const burst = `i=0; while [ $i -lt 200 ]; do tmux -u -S "$1" new-session -d -s "mc-burst-$i" "sleep 600" || exit 1; i=$((i+1)); done`;
    expect((await run('sh', ['-c', burst, 'sh', socket], { allowFailure: true })).code).toBe(0);
    const shown = (output: string) => new Set(output.match(/mc-burst-\d+/g) ?? []).size;
    await waitFor('a pushed scan showing all 200 sessions', () => scans().some((s) => shown(s.output) === 200), 30_000);
  });
});
