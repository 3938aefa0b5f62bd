import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runBinary } from '../support/binary.js';
import { git, makeRemote } from '../support/git-remote.js';
import { TuiDriver } from './tui-driver.js';

// A newcomer's first minutes, on the built binary: a fresh HOME, a real git repository cloned from a local bare
// remote, `init --yes`, a generic `run` job that writes a file and fails, the dashboard showing it, its diff, rm.

let dir: string;
let checkout: string;
let env: Record<string, string>;
let tui: TuiDriver | undefined;

const cli = (args: string[]) => runBinary(args, { cwd: checkout, env });

/** The job objects of `status --json`, once some job matches `test`. */
async function waitForJob(test: (job: { state: string; exitCode: number | null; key: string }) => boolean) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { stdout } = await cli(['status', '--json']);
    const jobs = (JSON.parse(stdout) as { jobs: { state: string; exitCode: number | null; key: string }[] }).jobs;
    const found = jobs.find(test);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such job; jobs: ${JSON.stringify(jobs)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'mc-newcomer-')));
  const remote = await makeRemote(dir, []);
  checkout = join(dir, 'checkout');
  await git(['clone', '-q', remote, checkout]);
  await mkdir(join(dir, 'home'));
  // TMUX_TMPDIR keeps the local worker's private tmux server in this test's directory.
  env = { PATH: process.env.PATH ?? '', HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'xdg'), XDG_STATE_HOME: join(dir, 'state'), NO_COLOR: '1', TMUX_TMPDIR: dir };
});

afterAll(async () => {
  await tui?.stop();
  // The local worker's tmux server, by its socket in this test's TMUX_TMPDIR.
  await new Promise((resolve) => spawn('tmux', ['-L', 'mission-control', 'kill-server'], { env, stdio: 'ignore' }).on('close', resolve));
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

describe('a newcomer: init, a run job, the dashboard, its diff, rm (the real binary)', () => {
  it('ends with the failed job shown with its exit code, its diff naming the new file, and nothing left', async () => {
    // No config yet: the dashboard opens on the local worker and its status line says what `init` would write.
    const first = await TuiDriver.start({ argv: [process.execPath, BIN], env, cwd: checkout, columns: 200 });
    try {
      const offer = await first.waitFor('mission-control init', { what: 'the offer to write a config', timeoutMs: 30_000 });
      expect(offer).toContain('no config at');
      await first.send('q');
    } finally {
      await first.stop();
    }

    const init = await cli(['init', '--yes']);
    expect(init.code).toBe(0);

    const launched = await cli(['launch', 'run', '--', 'sh', '-c', 'echo hi > hi.txt; exit 3']);
    expect(launched.stderr).not.toMatch(/error/i);
    expect(launched.code).toBe(0);
    const job = await waitForJob((j) => j.state === 'failed');
    expect(job).toMatchObject({ exitCode: 3 });
    expect(job.key).toMatch(/^local\/run-[0-9a-f]{8}$/);

    tui = await TuiDriver.start({ argv: [process.execPath, BIN], env, cwd: checkout });
    const screen = await tui.waitFor((s) => s.includes('failed (exit 3)') && s.includes(job.key.slice('local/'.length)), { what: 'the failed job', timeoutMs: 30_000 });
    expect(screen).toContain('─ Jobs 1 ─');
    await tui.send('q');

    const diff = await cli(['diff', job.key, '--stat']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('hi.txt');

    const removed = await cli(['rm', job.key]);
    expect(removed.code).toBe(0);
    const after = await cli(['status', '--json']);
    expect((JSON.parse(after.stdout) as { jobs: unknown[] }).jobs).toEqual([]);
  });
});
