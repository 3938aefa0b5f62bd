import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import type { WorkerConfig } from '../../src/config/schema.js';
import { createJobActions } from '../../src/jobs/actions.js';
import { runLaunch, runResume } from '../../src/jobs/cli.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import { installFakeAgents } from '../support/fake-agents.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { captureIo } from '../support/cli-io.js';
import { git, makeRemote } from '../support/git-remote.js';
import { waitFor } from '../support/ssh-fleet.js';

const exec = promisify(execFile);

let dir: string;
let settings: JobSettings;
let fleet: Fleet<WorkerProvider>;
let w: WorkerConfig;
let originalPath: string | undefined;

const fileText = (path: string) => readFile(path, 'utf8').catch(() => undefined);
const jobDir = (id: string) => join(w.stateDir, 'jobs', id);
const sessions = async () =>
  ((await exec('tmux', ['-S', w.tmuxSocket!, 'list-sessions', '-F', '#{session_name}']).catch(() => ({ stdout: '' }))).stdout ?? '').split('\n').filter(Boolean);

/**
 * The worker loses power: every job's process group is killed at once (its wrapper gets no chance to record an exit
 * code), then the tmux server goes. Killing only the server would let the wrappers record the hangup (exit 129).
 */
async function powerOff(): Promise<void> {
  const { stdout } = await exec('tmux', ['-S', w.tmuxSocket!, 'list-panes', '-a', '-F', '#{pane_pid}']).catch(() => ({ stdout: '' }));
  for (const pid of stdout.split('\n').filter((line) => /^\d+$/.test(line))) {
    try {
      process.kill(-Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await exec('tmux', ['-S', w.tmuxSocket!, 'kill-server']).catch(() => undefined);
}

/** Launches `launch ARGS…` through the CLI; returns its exit code, output and the job id it printed. */
async function launch(...args: string[]) {
  const io = captureIo();
  const code = await runLaunch(fleet, args, io, settings);
  const id = /(?:started|^)\s*(\S+) (?:on|already exists)/m.exec(io.out())?.[1];
  return { code, out: io.out(), err: io.err(), id };
}

/** Waits until the job's output log (copied by tmux, which may lag behind the exit file) contains `text`; returns it. */
async function logWith(id: string, text: string): Promise<string> {
  const read = async () => (await fileText(join(jobDir(id), 'output.log'))) ?? '';
  await waitFor(`${JSON.stringify(text)} in the log of ${id}`, async () => (await read()).includes(text));
  return read();
}

async function jobState(id: string) {
  await fleet.refreshAll();
  return selectAllJobs(fleet.store.getState()).find((job) => job.id === id);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-run-'));
  const remote = await makeRemote(dir);
  // A branch of its own on the remote: the commit that adds pr.txt.
  await git(['push', '-q', remote, 'HEAD:refs/heads/feature'], join(dir, 'src'));
  settings = resolveJobSettings({ kinds: kindsSchema.parse({ ask: { params: { n: { pattern: '^[0-9]+$' } }, prompt: 'task {n}', agent: 'claude' } }), repo: { url: remote, mainDir: join(dir, 'main'), worktreesDir: join(dir, 'worktrees') } });
  w = {
    name: 'r1',
    provider: 'local',
    tmuxSocket: join(dir, 'r1.sock'),
    maxJobs: 20,
    pollIntervalMs: 1000,
    stateDir: join(dir, 'r1-state'),
    sessionPrefix: 'mc',
    hostKeyPolicy: 'strict',
  } as WorkerConfig;
  fleet = createFleet({ workers: [w], hostKeyPolicy: 'strict', source: undefined, jobs: settings });
  await git(['clone', '-q', remote, join(dir, 'main')]);
});

afterAll(async () => {
  if (originalPath !== undefined) process.env.PATH = originalPath;
  await fleet?.close();
  await exec('tmux', ['-S', join(dir, 'r1.sock'), 'kill-server']).catch(() => undefined);
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

describe('launch run', () => {
  const hostile = ['$(touch pwned)', '; touch pwned2', "it's", '`id`', '#{session_name}', 'a\\b', '-n', '*'];

  it('runs any argv, words passed as they are, in a fresh worktree of the default branch; the same argv is the same job', async () => {
    const first = await launch('run', '--', 'printf', '[%s]\\n', ...hostile);
    expect(first.code, first.err).toBe(0);
    expect(first.id).toMatch(/^run-[0-9a-f]{8}$/);
    const id = first.id!;
    await waitFor('exit code', () => existsSync(join(jobDir(id), 'exit')));
    expect((await fileText(join(jobDir(id), 'exit')))?.trim()).toBe('0');
    const log = await logWith(id, `[${hostile.at(-1)}]`);
    for (const word of hostile) expect(log).toContain(`[${word}]`);
    const worktree = join(dir, 'worktrees', id);
    expect(existsSync(join(worktree, 'README'))).toBe(true);
    expect(existsSync(join(worktree, 'pr.txt'))).toBe(false);
    expect(existsSync(join(worktree, 'pwned')) || existsSync(join(worktree, 'pwned2')) || existsSync(join(homedir(), 'pwned'))).toBe(false);
    const meta = JSON.parse((await fileText(join(jobDir(id), 'meta.json')))!);
    expect(meta).toMatchObject({ id, kind: 'run', command: ['printf', '[%s]\\n', ...hostile], worktree });

    const again = await launch('run', '--', 'printf', '[%s]\\n', ...hostile);
    expect(again).toMatchObject({ code: 0, id });
    expect(again.out).toContain('already exists');
    const other = await launch('run', '--', 'printf', '[%s]\\n', ...hostile.slice(1));
    expect(other.code).toBe(0);
    expect(other.id).toMatch(/^run-[0-9a-f]{8}$/);
    expect(other.id).not.toBe(id);
  });

  it('takes --name as the id, and refuses a name that is not a job id', async () => {
    const named = await launch('run', '--name', 'my_job-1', '--', 'true');
    expect(named).toMatchObject({ code: 0, id: 'my_job-1' });
    expect(existsSync(join(jobDir('my_job-1'), 'meta.json'))).toBe(true);
    const bad = await launch('run', '--name', '../x', '--', 'true');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--name takes a job id');
    expect(existsSync(join(w.stateDir, 'x'))).toBe(false);
  });

  it('--no-worktree runs in the home directory; --branch starts the worktree from that branch', async () => {
    const home = await launch('run', '--no-worktree', '--', 'sh', '-c', 'echo "in:$(pwd)"');
    expect(home.code, home.err).toBe(0);
    await waitFor('exit code', () => existsSync(join(jobDir(home.id!), 'exit')));
    await logWith(home.id!, `in:${homedir()}`);
    expect(existsSync(join(dir, 'worktrees', home.id!))).toBe(false);
    expect(JSON.parse((await fileText(join(jobDir(home.id!), 'meta.json')))!).worktree).toBeUndefined();

    const branch = await launch('run', '--branch', 'feature', '--', 'cat', 'pr.txt');
    expect(branch.code, branch.err).toBe(0);
    await waitFor('exit code', () => existsSync(join(jobDir(branch.id!), 'exit')));
    await logWith(branch.id!, 'the change of PR 12');
    expect(branch.id).not.toBe((await launch('run', '--', 'cat', 'pr.txt')).id);
  });
});

describe('launch shell', () => {
  it('opens an interactive shell in a fresh worktree, and refuses a command', async () => {
    const shell = await launch('shell');
    expect(shell.code, shell.err).toBe(0);
    expect(shell.id).toMatch(/^shell-[0-9a-f]{8}$/);
    expect(shell.out).toContain(`attach: mission-control launch shell --name ${shell.id} --attach --`);
    expect(await sessions()).toContain(`mc-${shell.id}`);
    const cwd = async () => (await exec('tmux', ['-S', w.tmuxSocket!, 'display-message', '-p', '-t', `=mc-${shell.id}:`, '#{pane_current_path}'])).stdout.trim();
    await waitFor('the shell in its worktree', async () => (await cwd()) === join(dir, 'worktrees', shell.id!));
    const refused = await launch('shell', '--', 'ls');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('shell takes no command');
  });
});

describe('run from the dashboard form', () => {
  it('runs the command line by sh -c in a fresh worktree, and records its exit code', async () => {
    const actions = createJobActions(fleet, settings);
    const launched = await actions.launch({ kind: 'run', params: { command: 'echo "form $0" > out.txt; exit 4' } });
    expect(launched.id).toMatch(/^run-[0-9a-f]{8}$/);
    await waitFor('exit code', () => existsSync(join(jobDir(launched.id), 'exit')));
    expect((await fileText(join(jobDir(launched.id), 'exit')))?.trim()).toBe('4');
    expect(await fileText(join(dir, 'worktrees', launched.id, 'out.txt'))).toBe('form sh\n');
    await expect(actions.launch({ kind: 'run', params: { pr: '1' } })).rejects.toThrow(/run has no parameter "pr"/);
  });
});

describe('resume', () => {
  // First run: leaves a mark in its worktree and waits; a resumed run finds the mark and fails with exit 5.
  const script = 'if [ -f mark ]; then echo "second run"; exit 5; fi; touch mark; echo "first run"; exec sleep 120';

  it('restarts a lost job in the same worktree with its command; the record is continued and the exit code recorded', async () => {
    const launched = await launch('run', '--name', 'res1', '--', 'sh', '-c', script);
    expect(launched.code, launched.err).toBe(0);
    await logWith('res1', 'first run');
    expect((await jobState('res1'))?.state).not.toBe('lost');

    const running = captureIo();
    expect(await runResume(fleet, ['res1'], running, settings)).toBe(1);
    expect(running.err()).toMatch(/is (running|idle|working), not lost/);

    await powerOff();
    await waitFor('the job lost', async () => (await jobState('res1'))?.state === 'lost');

    const io = captureIo();
    expect(await runResume(fleet, ['res1'], io, settings), io.err()).toBe(0);
    expect(io.out()).toContain('resumed r1/res1 (time 1)');
    await waitFor('exit code', () => existsSync(join(jobDir('res1'), 'exit')));
    expect((await fileText(join(jobDir('res1'), 'exit')))?.trim()).toBe('5');
    const log = await logWith('res1', 'second run');
    expect(log).toMatch(/first run[\s\S]*\[mission-control: resumed at [^\]]+\][\s\S]*second run/);
    const meta = JSON.parse((await fileText(join(jobDir('res1'), 'meta.json')))!);
    expect(meta).toMatchObject({ id: 'res1', kind: 'run', worktree: join(dir, 'worktrees', 'res1'), resumeCount: 1, resumedAt: expect.stringMatching(/^\d{4}-/) });
    expect(await jobState('res1')).toMatchObject({ state: 'failed', exitCode: 5 });

    const ended = captureIo();
    expect(await runResume(fleet, ['res1'], ended, settings)).toBe(1);
    expect(ended.err()).toContain('is failed (exit 5), not lost');
  });

  it('resumes a job whose wrapper recorded the hangup of its killed tmux server, archiving that exit file', async () => {
    const launched = await launch('run', '--name', 'res3', '--', 'sh', '-c', script);
    expect(launched.code, launched.err).toBe(0);
    await logWith('res3', 'first run');
    await powerOff();
    // What the wrapper writes when it outlives the server: the job's hangup, 128 + SIGHUP.
    await writeFile(join(jobDir('res3'), 'exit'), '129\n');
    await waitFor('the job failed by a hangup', async () => (await jobState('res3'))?.exitCode === 129);
    const io = captureIo();
    expect(await runResume(fleet, ['res3'], io, settings), io.err()).toBe(0);
    expect(await fileText(join(jobDir('res3'), 'exit.before-resume-1'))).toBe('129\n');
    await waitFor('exit code', async () => (await fileText(join(jobDir('res3'), 'exit')))?.trim() === '5');
    expect(await jobState('res3')).toMatchObject({ state: 'failed', exitCode: 5 });
  });

  it('refuses a lost job whose worktree is gone, and changes nothing', async () => {
    const launched = await launch('run', '--name', 'res2', '--', 'sleep', '120');
    expect(launched.code, launched.err).toBe(0);
    await powerOff();
    await waitFor('the job lost', async () => (await jobState('res2'))?.state === 'lost');
    // A launch of the same job in progress (its lock held): the resume waits for nothing and changes nothing.
    const lock = join(w.stateDir, 'jobs', '.launch-res2');
    await mkdir(lock);
    const busy = captureIo();
    expect(await runResume(fleet, ['res2'], busy, settings)).toBe(1);
    expect(busy.err()).toContain('a launch or resume of res2 is in progress');
    await rm(lock, { recursive: true });
    await git(['-C', join(dir, 'main'), 'worktree', 'remove', '--force', join(dir, 'worktrees', 'res2')]);
    const io = captureIo();
    expect(await runResume(fleet, ['res2'], io, settings)).toBe(1);
    expect(io.err()).toContain(`the working directory ${join(dir, 'worktrees', 'res2')} of r1/res2 is gone`);
    expect(await sessions()).not.toContain('mc-res2');
    expect(JSON.parse((await fileText(join(jobDir('res2'), 'meta.json')))!).resumeCount).toBeUndefined();
    expect(existsSync(join(w.stateDir, 'jobs', '.launch-res2'))).toBe(false);
  });
});

describe('resume of an agent job', () => {
  it("runs the agent's resume argv, with its hooks wired again", async () => {
    // The fake agents are found on the PATH; the tmux server started after this inherits it.
    await exec('tmux', ['-S', w.tmuxSocket!, 'kill-server']).catch(() => undefined);
    const bin = await installFakeAgents(dir);
    originalPath = process.env.PATH;
    process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
    const launched = await launch('ask', '3');
    expect(launched.code, launched.err).toBe(0);
    const log = () => fileText(join(jobDir('3-ask'), 'output.log')).then((text) => text ?? '');
    await waitFor('the agent started', async () => (await log()).includes('claude (fake) starting: task 3'));
    await powerOff();
    await waitFor('the job lost', async () => (await jobState('3-ask'))?.state === 'lost');

    const io = captureIo();
    expect(await runResume(fleet, ['r1/3-ask'], io, settings), io.err()).toBe(0);
    expect(io.out()).toContain("with its agent's resume command: claude --continue");
    await waitFor('the agent resumed', async () => (await log()).includes('claude (fake) starting: --continue'));
    expect(await sessions()).toContain('mc-3-ask');
    const meta = JSON.parse((await fileText(join(jobDir('3-ask'), 'meta.json')))!);
    expect(meta).toMatchObject({ agent: 'claude', command: ['claude', 'task 3'], resumeCount: 1 });
    // Its hooks report again: the resumed session is seen as the agent's, not as a bare process.
    await waitFor('a state report', async () => ['working', 'waiting', 'done'].includes((await jobState('3-ask'))?.state ?? ''));
  });
});
