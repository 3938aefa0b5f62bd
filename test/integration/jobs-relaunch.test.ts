import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import type { WorkerConfig } from '../../src/config/schema.js';
import { createJobActions, type JobActions } from '../../src/jobs/actions.js';
import { kindsSchema, resolveJobSettings } from '../../src/jobs/kinds.js';
import { JobStepError } from '../../src/jobs/remote.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { git, makeMovableRemote, type TestRemote } from '../support/git-remote.js';
import { waitFor } from '../support/ssh-fleet.js';

// A local worker with real tmux and real git: what a job's files look like, and what a relaunch runs on.
const exec = promisify(execFile);

let dir: string;
let origin: TestRemote;
let socket: string;
let stateDir: string;
let fleet: Fleet<WorkerProvider>;
let actions: JobActions;
let savedUmask: number;

const pushPr = (text: string) => origin.pushPr(12, text);

/** Waits for a job's exit code, then drops its record by hand, as a record lost or removed outside mission-control. */
async function finishAndForget(id: string): Promise<void> {
  const jobDir = join(stateDir, 'jobs', id);
  await waitFor(`${id} to exit`, () => existsSync(join(jobDir, 'exit')));
  await rm(jobDir, { recursive: true, force: true });
}

beforeAll(async () => {
  // The launch's own umask must not decide the job's: run as a login whose umask is 022.
  savedUmask = process.umask(0o022);
  dir = await mkdtemp(join(tmpdir(), 'mc-relaunch-'));
  socket = join(dir, 'tmux.sock');
  stateDir = join(dir, 'state');
  origin = await makeMovableRemote(dir);
  await pushPr('first version\n');

  const kinds = kindsSchema.parse({
    touch: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'umask >"$MC_JOB_DIR/umask.txt"; echo made >"$MC_JOB_DIR/made.txt"'] },
    peek: { params: { pr: { pattern: '^[0-9]+$' } }, command: ['cat', 'pr.txt'], worktree: { fetch: 'pull/{pr}/head' } },
  });
  const settings = resolveJobSettings({ kinds, repo: { url: origin.remote, mainDir: join(dir, 'main'), worktreesDir: join(dir, 'worktrees') } });
  const worker = {
    name: 'w',
    provider: 'local',
    tmuxSocket: socket,
    maxJobs: 8,
    pollIntervalMs: 1000,
    stateDir,
    sessionPrefix: 'mc',
    hostKeyPolicy: 'strict',
  } as WorkerConfig;
  fleet = createFleet({ workers: [worker], hostKeyPolicy: 'strict', source: undefined, jobs: settings });
  actions = createJobActions(fleet, settings);
  await actions.setup('w');
});

afterAll(async () => {
  await fleet?.close();
  await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  process.umask(savedUmask);
});

describe('a job launched on a worker whose tmux server the launch starts', () => {
  it("gets the login's umask, not the launch's private 077, and so does the tmux server", async () => {
    await expect(exec('tmux', ['-S', socket, 'has-session'])).rejects.toThrow();
    await actions.launch({ kind: 'touch', params: { n: '1' } });
    const jobDir = join(stateDir, 'jobs', '1-touch');
    await waitFor('the exit code', () => existsSync(join(jobDir, 'exit')));
    expect((await readFile(join(jobDir, 'exit'), 'utf8')).trim()).toBe('0');
    expect((await readFile(join(jobDir, 'umask.txt'), 'utf8')).trim()).toBe('0022');
    expect((await stat(join(jobDir, 'made.txt'))).mode & 0o777).toBe(0o644);
    // The records stay private.
    expect((await stat(jobDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(jobDir, 'meta.json'))).mode & 0o777).toBe(0o600);

    // A session started by hand on the same server gets the login's umask too.
    const file = join(dir, 'by-hand.txt');
    await exec('tmux', ['-S', socket, 'new-session', '-d', '-s', 'by-hand', `umask >${file}`]);
    await waitFor('the hand-made session to write', async () => ((await readFile(file, 'utf8').catch(() => '')).trim() !== ''));
    expect((await readFile(file, 'utf8')).trim()).toBe('0022');
  });
});

describe('relaunching a job whose worktree is still there', () => {
  const worktree = () => join(dir, 'worktrees', '12-peek');
  const head = async () => (await git(['-C', worktree(), 'rev-parse', 'HEAD'])).stdout.trim();
  const log = () => readFile(join(stateDir, 'jobs', '12-peek', 'output.log'), 'utf8');

  it('fetches the ref again and runs on the new commit', async () => {
    await actions.launch({ kind: 'peek', params: { pr: '12' } });
    await finishAndForget('12-peek');
    const second = await pushPr('second version\n');

    const relaunched = await actions.launch({ kind: 'peek', params: { pr: '12' } });
    expect(relaunched.created).toBe(true);
    expect(await head()).toBe(second);
    await waitFor('the exit code', () => existsSync(join(stateDir, 'jobs', '12-peek', 'exit')));
    expect(await log()).toContain('second version');
  });

  it('refuses a worktree with uncommitted changes, says so, and leaves it as it was', async () => {
    await finishAndForget('12-peek');
    const before = await head();
    await writeFile(join(worktree(), 'pr.txt'), 'edited by the last run\n');
    await pushPr('third version\n');

    const failure = await actions.launch({ kind: 'peek', params: { pr: '12' } }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(JobStepError);
    expect(failure).toMatchObject({ step: 'worktree', worker: 'w' });
    expect((failure as Error).message).toMatch(/the worktree .*12-peek from an earlier run has uncommitted changes: M pr\.txt/);
    expect((failure as Error).message).toMatch(/commit, stash or discard them/);
    expect(await head()).toBe(before);
    expect(await readFile(join(worktree(), 'pr.txt'), 'utf8')).toBe('edited by the last run\n');
    expect(existsSync(join(stateDir, 'jobs', '12-peek'))).toBe(false);
    expect((await readdir(join(stateDir, 'jobs'))).filter((name) => name.startsWith('.launch'))).toEqual([]);
  });
});
