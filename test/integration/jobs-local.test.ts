import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import type { WorkerConfig } from '../../src/config/schema.js';
import type { ObserveCommands } from '../../src/app/commands.js';
import { createFleetCommands } from '../../src/app/fleet-commands.js';
import { createJobActions, type JobActions } from '../../src/jobs/actions.js';
import { runJobs, runLaunch, runLogs, runRm, runSetup, runStop } from '../../src/jobs/cli.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import { JobRequestError } from '../../src/jobs/params.js';
import { PlacementError } from '../../src/jobs/placement.js';
import { JobStepError } from '../../src/jobs/remote.js';
import { UnsupportedOperationError, type AttachCommand, type WorkerProvider } from '../../src/providers/types.js';
import { targetOf } from '../../src/state/job-target.js';
import { attachSessionArgs } from '../../src/providers/tmux.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { git, makeRemote } from '../support/git-remote.js';
import { waitFor } from '../support/ssh-fleet.js';
import { captureIo } from '../support/cli-io.js';

const exec = promisify(execFile);

let dir: string;
let settings: JobSettings;
const fleets: Fleet<WorkerProvider>[] = [];
const sockets: string[] = [];

function worker(name: string, overrides: Partial<WorkerConfig> = {}): WorkerConfig {
  const socket = join(dir, `${name}.sock`);
  sockets.push(socket);
  return {
    name,
    provider: 'local',
    tmuxSocket: socket,
    maxJobs: 4,
    pollIntervalMs: 1000,
    stateDir: join(dir, `${name}-state`),
    sessionPrefix: 'mc',
    hostKeyPolicy: 'strict',
    ...overrides,
  } as WorkerConfig;
}

function fleetOf(...workers: WorkerConfig[]): Fleet<WorkerProvider> {
  const fleet = createFleet({ workers, hostKeyPolicy: 'strict', source: undefined, jobs: resolveJobSettings() });
  fleets.push(fleet);
  return fleet;
}

const io = captureIo;

const tmux = (socket: string, args: string[]) => exec('tmux', ['-S', socket, ...args]).catch((e: { stdout?: string; code?: number }) => ({ stdout: e.stdout ?? '', code: e.code }));
const sessions = async (socket: string) => ((await tmux(socket, ['list-sessions', '-F', '#{session_name}'])).stdout ?? '').split('\n').filter(Boolean);
const fileText = (path: string) => readFile(path, 'utf8').catch(() => undefined);

/** Ends the jobs of tmux servers (their wrappers record the hangup) and waits for the wrappers under `marker` to finish. */
async function endJobs(sockets: readonly string[], marker: string): Promise<void> {
  for (const socket of sockets) await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
  const running = async () => {
    for (const pid of await readdir('/proc').catch(() => [] as string[])) {
      if (!/^\d+$/.test(pid)) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(marker) && cmdline.includes('run.sh')) return true;
    }
    return false;
  };
  await waitFor('job wrappers to finish', async () => !(await running()), 10_000).catch(() => undefined);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-jobs-'));
  // The "remote": a bare repository with a main branch and a pull request ref.
  const remote = await makeRemote(dir);

  const kinds = kindsSchema.parse({
    show: {
      params: { pr: { pattern: '^[0-9]+$' } },
      command: ['sh', '-c', 'echo "hello from PR $1"; cat pr.txt', 'job', '{pr}'],
      worktree: { fetch: 'pull/{pr}/head' },
    },
    fail: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'echo failing; exit 3'] },
    sleepy: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'echo started; exec sleep 60'] },
    stubborn: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'trap "" INT; echo stubborn; sleep 60'] },
    deaf: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'trap "" INT TERM; echo deaf; sleep 60'] },
    ticker: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo tick $i; sleep 0.2; done; exit 4'] },
    say: { params: { msg: { pattern: '^[^\\n\\r]{1,200}$' } }, command: ['printf', 'said:%s:end\\n', '{msg}'] },
    peek: {
      params: { pr: { pattern: '^[0-9]+$' } },
      command: ['cat', 'pr.txt'],
      worktree: { fetch: 'pull/{pr}/head' },
    },
    missing: { params: { pr: { pattern: '^[0-9]+$' } }, command: ['true'], worktree: { fetch: 'pull/{pr}/head' } },
  });
  settings = resolveJobSettings({
    kinds,
    repo: { url: remote, mainDir: join(dir, 'main'), worktreesDir: join(dir, 'worktrees'), sync: [{ from: join(dir, 'secret.json'), to: join(dir, 'synced', 'agent.json') }] },
  });
  await writeFile(join(dir, 'secret.json'), '{"token":"s3cret"}\n');
});

afterAll(async () => {
  await Promise.all(fleets.map((f) => f.close()));
  await endJobs(sockets, dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

describe('setup', () => {
  it('clones the main repo, makes the job directories, copies synced files 0600, and changes nothing the second time', async () => {
    const fleet = fleetOf(worker('setup1'));
    const actions = createJobActions(fleet, settings);
    const first = await actions.setup('setup1');
    expect(first.changed.some((line) => line.startsWith('cloned'))).toBe(true);
    expect(first.changed.some((line) => line.includes('agent.json copied'))).toBe(true);
    expect((await git(['-C', join(dir, 'main'), 'remote', 'get-url', 'origin'])).stdout.trim()).toBe(join(dir, 'remote.git'));
    const synced = join(dir, 'synced', 'agent.json');
    expect(await readFile(synced, 'utf8')).toBe('{"token":"s3cret"}\n');
    expect((await stat(synced)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'setup1-state'))).mode & 0o777).toBe(0o700);

    const second = await actions.setup('setup1');
    expect(second.changed).toEqual([]);

    await writeFile(join(dir, 'secret.json'), '{"token":"rotated"}\n');
    const third = await actions.setup('setup1');
    expect(third.changed).toEqual([expect.stringContaining('agent.json updated')]);
    expect(await readFile(synced, 'utf8')).toBe('{"token":"rotated"}\n');
  });
});

describe('launch on a local worker (real tmux, real git)', () => {
  let fleet: Fleet<WorkerProvider>;
  let actions: JobActions;
  let w: WorkerConfig;

  beforeAll(() => {
    w = worker('w1', { maxJobs: 20 });
    fleet = fleetOf(w);
    actions = createJobActions(fleet, settings);
  });

  it('runs the full pipeline: worktree of the PR, output in output.log, exit code recorded, state derived by the scanner', async () => {
    const steps: string[] = [];
    const launched = await actions.launch({ kind: 'show', params: { pr: '12' } }, (s) => steps.push(s));
    expect(launched).toMatchObject({ worker: 'w1', id: '12-show', session: 'mc-12-show', created: true, key: 'w1/12-show' });
    expect(launched.sessionId).toMatch(/^\$\d+$/);
    expect(steps.join('\n')).toMatch(/ready[\s\S]*claiming[\s\S]*worktree[\s\S]*starting tmux session mc-12-show/);

    const jobDir = join(w.stateDir, 'jobs', '12-show');
    await waitFor('exit code', () => existsSync(join(jobDir, 'exit')));
    expect((await fileText(join(jobDir, 'exit')))?.trim()).toBe('0');
    const log = (await fileText(join(jobDir, 'output.log'))) ?? '';
    expect(log).toContain('hello from PR 12');
    expect(log).toContain('the change of PR 12');

    const meta = JSON.parse((await fileText(join(jobDir, 'meta.json')))!);
    expect(meta).toEqual({
      id: '12-show',
      kind: 'show',
      params: { pr: '12' },
      command: ['sh', '-c', 'echo "hello from PR $1"; cat pr.txt', 'job', '12'],
      session: 'mc-12-show',
      worktree: join(dir, 'worktrees', '12-show'),
      baseCommit: (await git(['-C', join(dir, 'worktrees', '12-show'), 'rev-parse', 'HEAD'])).stdout.trim(),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await fileText(join(jobDir, 'meta.json')))!.trim().split('\n')).toHaveLength(1);

    await fleet.refreshAll();
    const job = selectAllJobs(fleet.store.getState()).find((j) => j.key === 'w1/12-show');
    expect(job).toMatchObject({ state: 'exited', exitCode: 0, kind: 'show', params: { pr: '12' } });
  });

  it('records a failing job as failed (exit 3), and `jobs` says so', async () => {
    await actions.launch({ kind: 'fail', params: { n: '1' } });
    await waitFor('exit code', () => existsSync(join(w.stateDir, 'jobs', '1-fail', 'exit')));
    await fleet.refreshAll();
    expect(selectAllJobs(fleet.store.getState()).find((j) => j.id === '1-fail')).toMatchObject({ state: 'failed', exitCode: 3 });
    const out = io();
    expect(await runJobs(fleet, [], out, settings)).toBe(0);
    expect(out.out()).toMatch(/w1\/1-fail\s+failed \(exit 3\)/);
    const json = io();
    await runJobs(fleet, ['--json'], json, settings);
    expect(JSON.parse(json.out())).toContainEqual(expect.objectContaining({ key: 'w1/1-fail', state: 'failed', exitCode: 3 }));
  });

  it('is idempotent: launching an existing job reports it; a new fleet (a restarted CLI) finds the running job', async () => {
    const first = await actions.launch({ kind: 'sleepy', params: { n: '5' } });
    expect(first.created).toBe(true);
    const again = await actions.launch({ kind: 'sleepy', params: { n: '5' } });
    expect(again).toMatchObject({ created: false, sessionId: first.sessionId, paneId: first.paneId });

    const restarted = fleetOf(w);
    await restarted.refreshAll();
    const job = selectAllJobs(restarted.store.getState()).find((j) => j.id === '5-sleepy');
    expect(job).toMatchObject({ state: 'running', session: { id: first.sessionId, name: 'mc-5-sleepy' } });
    expect(restarted.provider('w1')!.attachCommand(job!.session!.id).argv).toEqual(['tmux', '-u', '-S', w.tmuxSocket, ...attachSessionArgs(first.sessionId!)]);
    const cli = io();
    expect(await runLaunch(restarted, ['sleepy', '5'], cli, settings)).toBe(0);
    expect(cli.out()).toMatch(/5-sleepy already exists on w1: running/);
    expect((await sessions(w.tmuxSocket)).filter((s) => s === 'mc-5-sleepy')).toHaveLength(1);
  });

  it('two launches of the same job at the same moment (two fleets, as two dashboards) end with one session', async () => {
    const other = createJobActions(fleetOf(w), settings);
    const [a, b] = await Promise.all([
      actions.launch({ kind: 'sleepy', params: { n: '7' } }),
      other.launch({ kind: 'sleepy', params: { n: '7' } }),
    ]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.sessionId).toBe(b.sessionId);
    expect((await sessions(w.tmuxSocket)).filter((s) => s === 'mc-7-sleepy')).toHaveLength(1);
    expect((await readdir(join(w.stateDir, 'jobs'))).filter((name) => name.startsWith('.launch'))).toEqual([]);
  });

  it('rejects hostile parameters by pattern or passes them inert: nothing they say is executed', async () => {
    const pwned = join(dir, 'pwned');
    const hostile = [
      '1; rm -rf ~',
      `$(touch ${pwned}-a)`,
      `\`touch ${pwned}-b\``,
      `12\ntouch ${pwned}-c`,
      `it's "quoted"`,
      `#(touch ${pwned}-d)`,
      `#{session_name};touch ${pwned}-e;`,
    ];
    for (const value of hostile) {
      await expect(actions.launch({ kind: 'review', params: { pr: value } })).rejects.toBeInstanceOf(JobRequestError);
      const cli = io();
      expect(await runLaunch(fleet, ['review', value], cli, settings)).toBe(2);
      expect(cli.err()).toMatch(/pr \(pull request number\) must match/);
    }
    // A kind whose pattern lets them through: they reach the command as one argv word each, and tmux names stay safe.
    const inert = hostile.filter((value) => !value.includes('\n'));
    for (const value of inert) {
      const launched = await actions.launch({ kind: 'say', params: { msg: value } });
      expect(launched.session).toMatch(/^mc-[A-Za-z0-9_-]+$/);
      const jobDir = join(w.stateDir, 'jobs', launched.id);
      await waitFor(`exit of ${launched.id}`, () => existsSync(join(jobDir, 'exit')));
      // The pane reaches the log through tmux's pipe, which may still be writing when the exit code is recorded.
      await waitFor(`output of ${launched.id}`, async () => ((await fileText(join(jobDir, 'output.log'))) ?? '').includes(`said:${value}:end`));
    }
    await expect(actions.launch({ kind: 'say', params: { msg: `x\ntouch ${pwned}-f` } })).rejects.toBeInstanceOf(JobRequestError);
    const leftovers = (await readdir(dir)).filter((name) => name.startsWith('pwned'));
    expect(leftovers).toEqual([]);
    expect(existsSync(join(dir, 'main'))).toBe(true);
  });

  it('stop interrupts with C-c and records the code; a job that ignores C-c is killed after the grace period', async () => {
    await actions.launch({ kind: 'sleepy', params: { n: '20' } });
    await waitFor('started', async () => ((await fileText(join(w.stateDir, 'jobs', '20-sleepy', 'output.log'))) ?? '').includes('started'));
    expect(await actions.stop('w1/20-sleepy', { graceMs: 5000 })).toBe('interrupted');
    await waitFor('exit', () => existsSync(join(w.stateDir, 'jobs', '20-sleepy', 'exit')));
    expect((await fileText(join(w.stateDir, 'jobs', '20-sleepy', 'exit')))?.trim()).toBe('130');

    await actions.launch({ kind: 'stubborn', params: { n: '21' } });
    await waitFor('stubborn output', async () => ((await fileText(join(w.stateDir, 'jobs', '21-stubborn', 'output.log'))) ?? '').includes('stubborn'));
    const started = Date.now();
    expect(await actions.stop('w1/21-stubborn', { graceMs: 1500 })).toBe('terminated');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    await waitFor('exit', () => existsSync(join(w.stateDir, 'jobs', '21-stubborn', 'exit')));
    expect((await fileText(join(w.stateDir, 'jobs', '21-stubborn', 'exit')))?.trim()).toBe('143');
    expect(await sessions(w.tmuxSocket)).not.toContain('mc-21-stubborn');
    expect(await actions.stop('w1/21-stubborn')).toBe('not-running');

    // Deaf to C-c and TERM: KILL (the job's processes, not the wrapper, which records 137).
    await actions.launch({ kind: 'deaf', params: { n: '22' } });
    await waitFor('deaf output', async () => ((await fileText(join(w.stateDir, 'jobs', '22-deaf', 'output.log'))) ?? '').includes('deaf'));
    expect(await actions.stop('w1/22-deaf', { graceMs: 300, termGraceMs: 500 })).toBe('killed');
    await waitFor('exit', () => existsSync(join(w.stateDir, 'jobs', '22-deaf', 'exit')));
    expect((await fileText(join(w.stateDir, 'jobs', '22-deaf', 'exit')))?.trim()).toBe('137');
    const { stdout: ps } = await exec('ps', ['-eo', 'args']);
    expect(ps).not.toMatch(/echo deaf; sleep 60/);
  });

  it('a session killed by hand (tmux kill-session) hangs its job up: nothing runs on unseen, 129 is recorded', async () => {
    const launched = await actions.launch({ kind: 'stubborn', params: { n: '23' } });
    await waitFor('output', async () => ((await fileText(join(w.stateDir, 'jobs', '23-stubborn', 'output.log'))) ?? '').includes('stubborn'));
    await tmux(w.tmuxSocket, ['kill-session', '-t', launched.sessionId!]);
    await waitFor('exit', () => existsSync(join(w.stateDir, 'jobs', '23-stubborn', 'exit')), 5000);
    expect((await fileText(join(w.stateDir, 'jobs', '23-stubborn', 'exit')))?.trim()).toBe('129');
    // The pane's output reader finishes its hang-up round a moment after the exit code lands; then nothing is left.
    const jobDir = join(w.stateDir, 'jobs', '23-stubborn');
    await waitFor('no process of the job left', async () => !(await exec('ps', ['-eo', 'args'])).stdout.includes(jobDir), 5000);
    expect((await exec('ps', ['-eo', 'args'])).stdout).not.toContain(jobDir);
  });

  it('rm kills the session and removes the worktree but keeps the log; --purge removes it too', async () => {
    // 12-show ran in the first test and has ended.
    const worktree = join(dir, 'worktrees', '12-show');
    expect(existsSync(join(worktree, 'pr.txt'))).toBe(true);
    const removed = await actions.remove('w1/12-show');
    expect(removed).toMatchObject({ worktreeRemoved: worktree, purged: false });
    expect(existsSync(worktree)).toBe(false);
    expect((await git(['-C', join(dir, 'main'), 'worktree', 'list'])).stdout).not.toContain('12-show');
    expect(existsSync(join(w.stateDir, 'jobs', '12-show'))).toBe(false);
    expect(await fileText(join(removed.archivedTo!, 'output.log'))).toContain('hello from PR 12');
    expect((await fileText(join(removed.archivedTo!, 'exit')))?.trim()).toBe('0');
    // Removed: the same launch starts it again, in a new worktree.
    const relaunched = await actions.launch({ kind: 'show', params: { pr: '12' } });
    expect(relaunched).toMatchObject({ created: true, worktree });
    await waitFor('exit', () => existsSync(join(w.stateDir, 'jobs', '12-show', 'exit')));

    const running = await actions.launch({ kind: 'sleepy', params: { n: '30' } });
    const purged = await actions.remove('w1/30-sleepy', { purge: true });
    expect(purged).toMatchObject({ sessionKilled: true, purged: true });
    expect(existsSync(join(w.stateDir, 'jobs', '30-sleepy'))).toBe(false);
    expect(await sessions(w.tmuxSocket)).not.toContain(running.session);
    expect((await readdir(join(w.stateDir, 'archive'))).filter((name) => name.startsWith('30-sleepy'))).toEqual([]);
    // Removed: the same launch starts it again.
    expect((await actions.launch({ kind: 'sleepy', params: { n: '30' } })).created).toBe(true);
  });

  it('rm --all-finished lists exactly what it removes, asks, and removes only finished jobs', async () => {
    await fleet.refreshAll();
    const finished = selectAllJobs(fleet.store.getState()).filter((j) => j.state === 'exited' || j.state === 'failed').map((j) => j.key);
    expect(finished.length).toBeGreaterThan(2);
    const declined = io(false);
    expect(await runRm(fleet, ['--all-finished'], declined, settings)).toBe(0);
    for (const key of finished) expect(declined.out()).toContain(key);
    expect(declined.out()).toContain('nothing removed');
    expect(existsSync(join(w.stateDir, 'jobs', '1-fail'))).toBe(true);

    const yes = io();
    expect(await runRm(fleet, ['--all-finished', '--yes'], yes, settings)).toBe(0);
    expect(existsSync(join(w.stateDir, 'jobs', '1-fail'))).toBe(false);
    expect(existsSync(join(w.stateDir, 'jobs', '5-sleepy'))).toBe(true);
    await fleet.refreshAll();
    expect(selectAllJobs(fleet.store.getState()).filter((j) => j.state === 'exited' || j.state === 'failed')).toEqual([]);
  });

  it('logs prints the tail, and -f follows until the exit code is recorded', async () => {
    await actions.launch({ kind: 'ticker', params: { n: '1' } });
    const follow = io();
    expect(await runLogs(fleet, ['1-tick', '-f'], follow, settings)).toBe(0);
    for (let i = 1; i <= 5; i += 1) expect(follow.out()).toContain(`tick ${i}`);
    expect(follow.err()).toContain('failed (exit 4)');
    const tail = io();
    expect(await runLogs(fleet, ['w1/1-ticker', '--bytes', '8'], tail, settings)).toBe(0);
    expect(tail.out()).toMatch(/tick 5/);
    expect(tail.out().length).toBeLessThanOrEqual(10);
  });

  it('refuses a session of the same name started by hand, waits for a held launch lock, and takes over a stale one', async () => {
    await tmux(w.tmuxSocket, ['new-session', '-d', '-s', 'mc-50-sleepy', 'sleep 60']);
    const clash = await actions.launch({ kind: 'sleepy', params: { n: '50' } }).catch((e: unknown) => e);
    expect(clash).toMatchObject({ step: 'claim', worker: 'w1', detail: 'a tmux session named mc-50-sleepy exists but has no job record' });
    await tmux(w.tmuxSocket, ['kill-session', '-t', '=mc-50-sleepy']);

    const jobs = join(w.stateDir, 'jobs');
    await mkdir(join(jobs, '.launch-51-sleepy'));
    await writeFile(join(jobs, '.launch-51-sleepy', 'started'), `${Math.floor(Date.now() / 1000)}\n`);
    const impatient = createJobActions(fleet, settings, { launch: { lockWaitMs: 600 } });
    const held = await impatient.launch({ kind: 'sleepy', params: { n: '51' } }).catch((e: unknown) => e);
    expect(String(held)).toMatch(/claim failed on w1: another launch of 51-sleepy has been running for \d+s \(wait for it, or if no launch is running remove .*\.launch-51-sleepy\)/);

    await writeFile(join(jobs, '.launch-51-sleepy', 'started'), `${Math.floor(Date.now() / 1000) - 3600}\n`);
    const steps: string[] = [];
    expect((await actions.launch({ kind: 'sleepy', params: { n: '51' } }, (s) => steps.push(s))).created).toBe(true);
    expect(steps.join('\n')).toMatch(/took over a launch lock left 3\d\d\ds ago/);
    expect((await readdir(jobs)).filter((name) => name.startsWith('.launch'))).toEqual([]);
  });

  it('implement: a new branch from the remote default branch, kept (with its work) when the job is removed', async () => {
    const launched = await actions.launch({ kind: 'implement', params: { issue: '5' } });
    const worktree = join(dir, 'worktrees', '5-implement');
    expect(launched).toMatchObject({ created: true, worktree });
    expect((await git(['-C', worktree, 'rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim()).toBe('mc/issue-5');
    expect(existsSync(join(worktree, 'README'))).toBe(true);
    expect(existsSync(join(worktree, 'pr.txt'))).toBe(false);
    // `gemini` is not installed here: the job fails with the shell's 127, recorded like any exit code.
    await waitFor('exit', () => existsSync(join(w.stateDir, 'jobs', '5-implement', 'exit')));
    expect((await fileText(join(w.stateDir, 'jobs', '5-implement', 'exit')))?.trim()).toBe('127');
    await writeFile(join(worktree, 'work.txt'), 'progress\n');
    await git(['-C', worktree, 'add', '.']);
    await git(['-C', worktree, 'commit', '-qm', 'work']);
    await actions.remove('w1/5-implement', { purge: true });
    expect(existsSync(worktree)).toBe(false);
    await actions.launch({ kind: 'implement', params: { issue: '5' } });
    expect(await fileText(join(worktree, 'work.txt'))).toBe('progress\n');
    await actions.remove('w1/5-implement', { purge: true });
  });

  it('a failed step says which step on which worker and leaves nothing behind', async () => {
    const failure = await actions.launch({ kind: 'missing', params: { pr: '999' } }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(JobStepError);
    expect(failure).toMatchObject({ step: 'worktree', worker: 'w1' });
    expect(String((failure as Error).message)).toMatch(/worktree failed on w1: git fetch origin pull\/999\/head failed/);
    expect(existsSync(join(w.stateDir, 'jobs', '999-missing'))).toBe(false);
    expect((await readdir(join(w.stateDir, 'jobs'))).filter((name) => name.startsWith('.launch'))).toEqual([]);

    // tmux cannot start (its socket's directory is a file): the worktree made for the job is taken back.
    const broken = worker('broken', { tmuxSocket: join(dir, 'secret.json', 'sock') });
    const brokenActions = createJobActions(fleetOf(broken), settings);
    const startFailure = await brokenActions.launch({ kind: 'peek', params: { pr: '12' }, worker: 'broken' }).catch((e: unknown) => e);
    expect(startFailure, (startFailure as Error).message).toMatchObject({ step: 'start', worker: 'broken' });
    expect(String((startFailure as Error).message)).toMatch(/^start failed on broken: tmux new-session failed: /);
    expect(existsSync(join(dir, 'worktrees', '12-peek'))).toBe(false);
    expect((await git(['-C', join(dir, 'main'), 'worktree', 'list'])).stdout).not.toContain('12-peek');
    expect((await git(['-C', join(dir, 'main'), 'for-each-ref', 'refs/mission-control/'])).stdout).not.toContain('12-peek');
    expect(existsSync(join(broken.stateDir, 'jobs', '12-peek'))).toBe(false);
    expect((await readdir(join(broken.stateDir, 'jobs'))).filter((name) => name.startsWith('.launch'))).toEqual([]);
  });
});

describe('the CLI handlers and the command layer', () => {
  it('setup, launch --attach, stop and rm through the CLI; launch/stop/remove through FleetCommands', async () => {
    const w = worker('cli');
    const fleet = fleetOf(w);
    const setup = io();
    expect(await runSetup(fleet, ['cli'], setup, settings)).toBe(0);
    expect(setup.out()).toMatch(/\d+ changed, \d+ already as wanted/);
    expect(await runSetup(fleet, ['nope'], io(), settings)).toBe(1);

    const attached: AttachCommand[] = [];
    const launch = { ...io(), attach: async (command: AttachCommand) => (attached.push(command), 0) };
    expect(await runLaunch(fleet, ['--worker', 'cli', 'sleepy', '40', '--attach'], launch, settings)).toBe(0);
    expect(launch.out()).toMatch(/^started 40-sleepy on cli \(asked for with --worker\): session mc-40-sleepy\n$/);
    expect(launch.err()).toMatch(/cli: claiming job 40-sleepy/);
    expect(attached[0]!.argv).toEqual(['tmux', '-u', '-S', w.tmuxSocket, ...attachSessionArgs(attached[0]!.argv.at(-1)!)]);
    expect(await runLaunch(fleet, ['sleepy'], io(), settings)).toBe(2);
    expect(await runLaunch(fleet, ['nosuchkind', '1'], io(), settings)).toBe(2);

    const stop = io();
    expect(await runStop(fleet, ['40-sl', '--grace', '5'], stop, settings)).toBe(0);
    expect(stop.out()).toBe('cli/40-sleepy stopped (it ended after C-c)\n');
    const rm = io();
    expect(await runRm(fleet, ['cli/40-sleepy', '--purge'], rm, settings)).toBe(0);
    expect(rm.out()).toBe('cli/40-sleepy: no live session, record and log deleted\n');
    expect(await runRm(fleet, ['cli/40-sleepy'], io(), settings)).toBe(2);

    const observe: ObserveCommands = {
      refresh: () => undefined,
      attachCommand: () => ({ argv: [] }),
      capture: async () => '',
      readLog: async () => '',
      readDiff: async () => '',
      containerLog: async () => '',
    };
    const commands = createFleetCommands(fleet, observe, settings);
    const outcome = await commands.launch({ kind: 'sleepy', params: { n: '41' } });
    expect(outcome).toEqual({ jobKey: 'cli/41-sleepy', worker: 'cli', created: true, placement: expect.stringContaining('free slot') });
    expect((await commands.launch({ kind: 'sleepy', params: { n: '41' } })).created).toBe(false);
    const listed = targetOf(await createJobActions(fleet, settings).find('cli/41-sleepy'));
    await commands.stopJob(listed);
    await commands.removeJob(listed, { purge: true });
    expect(existsSync(join(w.stateDir, 'jobs', '41-sleepy'))).toBe(false);
    await expect(commands.provisionWorker('cli')).rejects.toBeInstanceOf(UnsupportedOperationError);
    await expect(commands.rebuildWorker('cli')).rejects.toBeInstanceOf(UnsupportedOperationError);
  });
});

describe('placement across two workers with maxJobs 1', () => {
  it('fills local workers in config order, says where and why, and starts nothing when all are full', async () => {
    const a = worker('pa', { maxJobs: 1 });
    const b = worker('pb', { maxJobs: 1 });
    await mkdir(a.stateDir, { recursive: true });
    const fleet = fleetOf(a, b);
    const actions = createJobActions(fleet, settings);
    const first = await actions.launch({ kind: 'sleepy', params: { n: '101' } });
    expect(first).toMatchObject({ worker: 'pa', created: true });
    expect(first.placement).toMatch(/first ready worker .* free slot \(0\/1 jobs\)/);
    const second = await actions.launch({ kind: 'sleepy', params: { n: '102' } });
    expect(second).toMatchObject({ worker: 'pb', created: true });
    expect(second.placement).toContain('pa is full (1/1 jobs)');
    const again = await actions.launch({ kind: 'sleepy', params: { n: '101' } });
    expect(again).toMatchObject({ worker: 'pa', created: false });

    const full = await actions.launch({ kind: 'sleepy', params: { n: '103' } }).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(PlacementError);
    expect(String((full as Error).message)).toMatch(/nothing was started: pa is full \(1\/1 jobs\), pb is full \(1\/1 jobs\)/);
    expect(existsSync(join(a.stateDir, 'jobs', '103-sleepy'))).toBe(false);
    expect(existsSync(join(b.stateDir, 'jobs', '103-sleepy'))).toBe(false);
    const cli = io();
    expect(await runLaunch(fleet, ['sleepy', '103'], cli, settings)).toBe(1);
    expect(cli.err()).toContain('no worker can take the job');
  });

  it('does not count sessions started by hand on the private socket toward maxJobs', async () => {
    const a = worker('ph', { maxJobs: 1 });
    await mkdir(a.stateDir, { recursive: true });
    for (const name of ['by-hand-1', 'by-hand-2']) await exec('tmux', ['-S', a.tmuxSocket!, 'new-session', '-d', '-s', name, 'sleep 60']);
    const fleet = fleetOf(a);
    await fleet.refreshAll();
    const jobs = fleet.store.getState().jobsByWorker['ph'] ?? [];
    expect(jobs.filter((job) => job.adhoc)).toHaveLength(2);
    const launched = await createJobActions(fleet, settings).launch({ kind: 'sleepy', params: { n: '111' } });
    expect(launched).toMatchObject({ worker: 'ph', created: true });
    expect(launched.placement).toContain('(0/1 jobs)');
  });
});
