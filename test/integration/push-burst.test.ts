import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWatcherCommand, frameMarker, newStreamSecret } from '../../src/scanners/worker-events/command.js';
import { WatcherStreamReader } from '../../src/scanners/worker-events/parse.js';
import { run } from '../harness/process.js';
import { waitFor } from '../support/ssh-fleet.js';

/**
 * The watcher script run directly on this machine against a private tmux server, with nothing polling: every scan
 * seen here was pushed. `tmux` on the watcher's PATH is a wrapper that, once asked (a `slow` file), holds one scan's
 * pane listing for a few seconds after taking it, so changes can be made while that scan runs.
 */
describe('pushed scans under a burst of changes (real tmux, the watcher script alone)', () => {
  let dir: string;
  let socket: string;
  let watcher: ChildProcess;
  const scans: string[] = [];
  const tmux = (args: readonly string[]) => run('tmux', ['-u', '-S', socket, ...args], { allowFailure: true });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-push-burst-'));
    socket = join(dir, 'sock');
    const real = (await run('sh', ['-c', 'command -v tmux'])).stdout.trim();
    await mkdir(join(dir, 'bin'));
    await writeFile(
      join(dir, 'bin', 'tmux'),
      [
        '#!/bin/sh',
        `case "$*" in *list-panes*) if mv ${dir}/slow ${dir}/in-scan 2>/dev/null; then`,
        `  out=$(${real} "$@"); rc=$?; sleep 4; printf '%s\\n' "$out"; exit $rc; fi ;; esac`,
        `exec ${real} "$@"`,
        '',
      ].join('\n'),
    );
    await chmod(join(dir, 'bin', 'tmux'), 0o755);
    expect((await tmux(['new-session', '-d', '-s', 'mc-base', 'sleep 600'])).code).toBe(0);
    const secret = newStreamSecret();
    const command = buildWatcherCommand({ tmuxSocketArgs: ['-S', socket], stateDir: join(dir, 'state'), secret, lifetimeS: 300 });
    const script = 'script' in command ? command.script : '';
    const reader = new WatcherStreamReader(frameMarker(secret), 1 << 20);
    watcher = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}` } });
    watcher.stdout!.on('data', (chunk: Buffer) => {
      for (const event of reader.push(chunk)) if (event.kind === 'scan') scans.push(event.output);
    });
    await waitFor('the first pushed scan', () => scans.some((s) => s.includes('mc-base')), 30_000);
  });
  afterAll(async () => {
    // The server first: its end wakes the watcher's waiting client, so no waiting client is killed.
    await tmux(['kill-server']);
    if (watcher?.pid) process.kill(-watcher.pid, 'SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('two changes made while a pushed scan runs reach a later pushed scan', async () => {
    await writeFile(join(dir, 'slow'), '');
    expect((await tmux(['new-session', '-d', '-s', 'mc-burst-1', 'sleep 600'])).code).toBe(0);
    await waitFor('the slow scan running', () => existsSync(join(dir, 'in-scan')), 30_000);
    // Two signals while the watcher is not waiting: tmux alone keeps them as a toggle, which the second clears.
    expect((await tmux(['new-session', '-d', '-s', 'mc-burst-2', 'sleep 600'])).code).toBe(0);
    expect((await tmux(['new-session', '-d', '-s', 'mc-burst-3', 'sleep 600'])).code).toBe(0);
    await waitFor('the slow scan sent', () => scans.some((s) => s.includes('mc-burst-1')), 30_000);
    expect(scans.find((s) => s.includes('mc-burst-1'))).not.toContain('mc-burst-3');
    await waitFor('mc-burst-3 in a pushed scan', () => scans.some((s) => s.includes('mc-burst-3')), 15_000);
  });

  it('with nothing changed the watcher waits again: no scan follows the last change', async () => {
    await waitFor('mc-burst-3 in a pushed scan', () => scans.some((s) => s.includes('mc-burst-3')), 15_000);
    const seen = scans.length;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(scans.length).toBe(seen);
    expect((await tmux(['new-session', '-d', '-s', 'mc-burst-4', 'sleep 600'])).code).toBe(0);
    await waitFor('mc-burst-4 in a pushed scan', () => scans.some((s) => s.includes('mc-burst-4')), 15_000);
  });
});
