import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalProvider } from '../../src/providers/local.js';
import { readOnlyView } from '../../src/providers/read-only.js';
import { MUTATING_OPERATIONS, observation, ReadOnlyError, UnsupportedOperationError } from '../../src/providers/types.js';
import { shellJoin } from '../../src/ssh/quote.js';
import { run } from '../harness/process.js';
import { waitFor } from '../support/ssh-fleet.js';

/** True while a process exists and is not a zombie (one whose parent has not reaped it counts as ended). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('LocalProvider', () => {
  let dir: string;
  let socket: string;
  let provider: LocalProvider;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-local-'));
    socket = join(dir, 'tmux.sock');
    provider = new LocalProvider({ name: 'local', tmuxSocket: socket, stateDir: join(dir, 'state') });
  });
  afterAll(async () => {
    await run('tmux', ['-S', socket, 'kill-server'], { allowFailure: true });
    await rm(dir, { recursive: true, force: true });
  });

  it('runs argv without a shell: metacharacters are plain bytes', async () => {
    const hostile = `$(touch ${dir}/pwned); \`touch ${dir}/pwned2\` 'q' "d" \n end`;
    const result = await provider.exec({ argv: ['printf', '%s', hostile] });
    expect(result).toEqual({ code: 0, stdout: hostile, stderr: '' });
    const ls = await run('ls', [dir]);
    expect(ls.stdout).not.toContain('pwned');
  });

  it('runs a script with sh -c, reports exit codes, stderr and stdin', async () => {
    const result = await provider.exec({ script: 'cat; echo oops >&2; exit 3' }, { stdin: 'fed' });
    expect(result).toEqual({ code: 3, stdout: 'fed', stderr: 'oops\n' });
  });

  it('kills a command that runs past its time limit, with everything it started, and returns without waiting for it', async () => {
    const pids = join(dir, 'pids');
    const marker = join(dir, 'survived');
    // Left alone, the command would outlive the test's own time limit: the call returning at all shows it did not wait.
    const script = `sleep 600 & echo $$ $! >${pids}; wait; touch ${marker}`;
    await expect(provider.exec({ script }, { timeoutMs: 1500 })).rejects.toThrow(/did not finish within 1500 ms/);
    const [shell, sleeper] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number);
    await waitFor('the command and what it started to end', () => !running(shell!) && !running(sleeper!));
    expect(existsSync(marker)).toBe(false);
  });

  it('cancels a command when its signal aborts', async () => {
    const controller = new AbortController();
    const pending = provider.exec({ argv: ['sleep', '5'] }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow('sleep was cancelled');
  });

  it('says which program is missing', async () => {
    await expect(provider.exec({ argv: ['no-such-program-mc'] })).rejects.toThrow('no-such-program-mc is not installed');
  });

  it('says which working directory is missing, rather than blaming the program', async () => {
    const home = process.env.HOME;
    const missing = join(dir, 'no-such-home');
    process.env.HOME = missing;
    try {
      const failure = await provider.exec({ script: 'true' }).catch((e: unknown) => e as Error);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toBe(
        `cannot run sh: its working directory ${missing} (the home directory, from HOME) does not exist; set HOME to an existing directory`,
      );
    } finally {
      process.env.HOME = home;
    }
  });

  it('attaches by session id on its private socket, read-only when asked', () => {
    const release = ['set-option', '-wu', '-t', '$3', 'window-size', ';'];
    expect(provider.attachCommand('$3').argv).toEqual(['tmux', '-u', '-S', socket, ...release, 'attach-session', '-t', '$3']);
    const pin = ['if-shell', '-F', '-t', '$3', '#{session_attached}', '', 'set-option -w -t $3 window-size manual', ';'];
    expect(provider.attachCommand('$3', { readOnly: true }).argv).toEqual(['tmux', '-u', '-S', socket, ...pin, 'attach-session', '-r', '-t', '$3']);
    const inContainer = new LocalProvider({ name: 'c', tmuxSocket: 'mc', stateDir: '~/.mc', container: 'maintainer-worker' });
    expect(inContainer.attachCommand('$1').argv).toEqual(['docker', 'exec', '-it', 'maintainer-worker', 'tmux', '-u', '-L', 'mc', 'set-option', '-wu', '-t', '$1', 'window-size', ';', 'attach-session', '-t', '$1']);
  });

  it('a read-only client attached alone leaves the job window its size; a read-write client still sizes it', async () => {
    const outer = join(dir, 'outer.sock');
    const tmux = (args: string[]) => run('tmux', ['-S', socket, ...args], { allowFailure: true });
    await tmux(['new-session', '-d', '-s', 'wide', '-x', '200', '-y', '50', 'sleep 600']);
    const id = (await tmux(['display-message', '-p', '-t', 'wide', '#{session_id}'])).stdout.trim();
    const size = async () => (await tmux(['display-message', '-p', '-t', id, '#{window_width}x#{window_height}'])).stdout.trim();
    const clients = async () => (await tmux(['list-clients', '-t', id, '-F', '#{client_readonly}'])).stdout.split('\n').filter(Boolean);
    expect(await size()).toBe('200x50');
    try {
      // The watcher's terminal: a pane of 80x23 in another tmux server.
      await run('tmux', ['-S', outer, 'new-session', '-d', '-x', '80', '-y', '24', shellJoin(provider.attachCommand(id, { readOnly: true }).argv)]);
      await waitFor('the watcher to attach', async () => (await clients()).join() === '1');
      expect(await size()).toBe('200x50');
      // A person attaching to type gets the window at their terminal's size, as before.
      await run('tmux', ['-S', outer, 'split-window', '-h', shellJoin(provider.attachCommand(id).argv)]);
      await waitFor('the read-write client to attach', async () => (await clients()).length === 2);
      await waitFor('the window to follow the read-write client', async () => (await size()) !== '200x50');
    } finally {
      await run('tmux', ['-S', outer, 'kill-server'], { allowFailure: true });
      await tmux(['kill-session', '-t', id]);
    }
  });

  it('rejects lifecycle operations it cannot do with a typed error', async () => {
    await expect(provider.provision()).rejects.toBeInstanceOf(UnsupportedOperationError);
    await expect(provider.stop()).rejects.toThrow('local: stop is not supported');
  });

  it('read-only view: no mutating method exists, and only observations run', async () => {
    const view = readOnlyView(provider);
    for (const operation of MUTATING_OPERATIONS) expect(operation in view).toBe(false);
    const ok = await view.observe(observation({ argv: ['echo', 'seen'] }));
    expect(ok.stdout).toBe('seen\n');
    const forged = { argv: ['touch', join(dir, 'forged')] } as never;
    await expect(view.observe(forged)).rejects.toBeInstanceOf(ReadOnlyError);
    await expect(provider.observe(forged)).rejects.toBeInstanceOf(ReadOnlyError);
    expect((await run('ls', [dir])).stdout).not.toContain('forged');
    expect(view.attachCommand('$1').argv).toContain('-r');
    expect(Object.isFrozen(view)).toBe(true);
  });
});
