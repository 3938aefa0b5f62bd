/**
 * Which job, and which files, an action reaches: real tmux on a private socket, real git, real files. A session
 * started by hand with a job's name and the job itself are two jobs, and stopping or removing one leaves the other
 * whole (session, record, worktree); `rm` removes only the job's own linked worktree.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import type { WorkerConfig } from '../../src/config/schema.js';
import { createJobActions, type JobActions } from '../../src/jobs/actions.js';
import { runRm, runStop } from '../../src/jobs/cli.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import type { Job } from '../../src/state/types.js';
import { git, makeRemote } from '../support/git-remote.js';
import { waitFor } from '../support/ssh-fleet.js';
import { captureIo } from '../support/cli-io.js';

const exec = promisify(execFile);

let dir: string;
let settings: JobSettings;
let w: WorkerConfig;
let fleet: Fleet<WorkerProvider>;
let actions: JobActions;

const tmux = (args: string[]) =>
  exec('tmux', ['-u', '-S', w.tmuxSocket, ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { stdout?: string; code?: number }) => ({ code: e.code ?? 1, stdout: e.stdout ?? '' }),
  );
/** `name id` of every session on the worker's server. */
const sessions = async () => (await tmux(['list-sessions', '-F', '#{session_name} #{session_id}'])).stdout.split('\n').filter(Boolean);
const idOf = async (name: string) => (await sessions()).find((line) => line.startsWith(`${name} `))?.split(' ')[1];
const fileText = (path: string) => readFile(path, 'utf8').catch(() => undefined);

const io = captureIo;

async function jobs(): Promise<readonly Job[]> {
  await fleet.refreshAll();
  return selectAllJobs(fleet.store.getState());
}

/** The job with a record `id`, and the session with no record named `name`, from a fresh scan. */
async function twins(id: string, name: string): Promise<{ job: Job; byHand: Job }> {
  const all = await jobs();
  const job = all.find((j) => j.id === id && !j.adhoc);
  const byHand = all.find((j) => j.adhoc && j.session?.name === name);
  if (!job || !byHand) throw new Error(`expected the job ${id} and the session ${name}; got ${all.map((j) => j.key).join(', ')}`);
  return { job, byHand };
}

/** Launches `held <pr>` (a worktree, then `sleep`) and starts a session by hand named like the job. */
async function jobBesideItsNamesake(pr: string): Promise<{ id: string; worktree: string; jobDir: string }> {
  const launched = await actions.launch({ kind: 'held', params: { pr } });
  expect(launched.created).toBe(true);
  const jobDir = join(w.stateDir, 'jobs', launched.id);
  await waitFor('the job to start', async () => ((await fileText(join(jobDir, 'output.log'))) ?? '').includes('held'));
  expect((await tmux(['new-session', '-d', '-s', launched.id, 'exec sleep 600'])).code).toBe(0);
  return { id: launched.id, worktree: launched.worktree!, jobDir };
}

/** The job's session, record and worktree are all still there, and it still runs. */
async function expectIntact(id: string, worktree: string, jobDir: string): Promise<void> {
  expect((await sessions()).some((line) => line.startsWith(`mc-${id} `))).toBe(true);
  expect(existsSync(join(jobDir, 'meta.json'))).toBe(true);
  expect(existsSync(join(jobDir, 'exit'))).toBe(false);
  expect(await fileText(join(worktree, 'pr.txt'))).toBe('the change of PR 12\n');
  expect((await git(['-C', join(dir, 'main'), 'worktree', 'list'])).stdout).toContain(worktree);
  const job = (await jobs()).find((j) => j.id === id && !j.adhoc);
  expect(job).toMatchObject({ state: 'running', session: { name: `mc-${id}` } });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-identity-'));
  const remote = await makeRemote(dir, ['12', '13', '14', '15', '16', '17', '18', '19']);
  const kinds = kindsSchema.parse({
    held: { params: { pr: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'echo held; exec sleep 600'], worktree: { fetch: 'pull/{pr}/head' } },
    quick: { params: { pr: { pattern: '^[0-9]+$' } }, command: ['true'], worktree: { fetch: 'pull/{pr}/head' } },
  });
  settings = resolveJobSettings({ kinds, repo: { url: remote, mainDir: join(dir, 'main'), worktreesDir: join(dir, 'worktrees') } });
  w = {
    name: 'h1',
    provider: 'local',
    tmuxSocket: join(dir, 'h1.sock'),
    maxJobs: 20,
    pollIntervalMs: 1000,
    stateDir: join(dir, 'state'),
    sessionPrefix: 'mc',
    hostKeyPolicy: 'strict',
  } as WorkerConfig;
  fleet = createFleet({ workers: [w], hostKeyPolicy: 'strict', source: undefined, jobs: settings });
  actions = createJobActions(fleet, settings, { stop: { graceMs: 2000 } });
  await actions.setup('h1');
});

afterAll(async () => {
  await fleet?.close();
  if (w) await exec('tmux', ['-S', w.tmuxSocket, 'kill-server']).catch(() => undefined);
  // The wrappers record the hang-up in their job directories: let them finish before the directory goes.
  await waitFor('job wrappers to finish', async () => !(await exec('ps', ['-eo', 'args'])).stdout.includes(join(dir, 'state')), 10_000).catch(() => undefined);
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

describe('a session started by hand named like a job, beside that job', () => {
  it('are two jobs with keys of their own, shown as such', async () => {
    const { id } = await jobBesideItsNamesake('12');
    const { job, byHand } = await twins(id, id);
    expect(job.key).toBe(`h1/${id}`);
    expect(byHand.key).toBe(`h1/${await idOf(id)}`);
    expect(byHand).toMatchObject({ id: await idOf(id), adhoc: true, session: { name: id } });
  });

  it('removing the hand-made session ends only it: the job keeps its session, record and worktree', async () => {
    const { id, worktree, jobDir } = await jobBesideItsNamesake('13');
    const { byHand } = await twins(id, id);
    const result = await actions.remove(byHand);
    expect(result).toMatchObject({ sessionKilled: true, purged: false });
    expect(result.archivedTo).toBeUndefined();
    expect(result.worktreeRemoved).toBeUndefined();
    expect(await idOf(id)).toBeUndefined();
    await expectIntact(id, worktree, jobDir);
    expect((await readdir(join(w.stateDir, 'archive')).catch(() => [] as string[])).filter((name) => name.startsWith(id))).toEqual([]);
  });

  it('stopping either one leaves the other running', async () => {
    const { id, worktree, jobDir } = await jobBesideItsNamesake('14');
    const { job, byHand } = await twins(id, id);
    expect(await actions.stop(byHand)).not.toBe('not-running');
    expect(await idOf(id)).toBeUndefined();
    await expectIntact(id, worktree, jobDir);

    expect((await tmux(['new-session', '-d', '-s', id, 'exec sleep 600'])).code).toBe(0);
    const again = await twins(id, id);
    expect(await actions.stop(again.job)).toBe('interrupted');
    await waitFor('the exit code', () => existsSync(join(jobDir, 'exit')));
    expect((await fileText(join(jobDir, 'exit')))?.trim()).toBe('130');
    expect(await idOf(id)).toBe(again.byHand.session!.id);
    expect(job.session!.name).toBe(`mc-${id}`);
  });

  it('the CLI names both apart: the bare name is ambiguous, and each key it lists reaches exactly that job', async () => {
    const { id, worktree, jobDir } = await jobBesideItsNamesake('15');
    const { byHand } = await twins(id, id);
    const ambiguous = io();
    expect(await runRm(fleet, [id], ambiguous, settings)).toBe(2);
    expect(ambiguous.err()).toBe(
      `mission-control rm: "${id}" matches 2 jobs: h1/${id}, 'h1/${byHand.session!.id}' (session ${id}, no record); name one by its key\n`,
    );
    expect(await idOf(id)).toBe(byHand.session!.id);

    const stop = io();
    expect(await runStop(fleet, [byHand.key], stop, settings)).toBe(0);
    expect(stop.out()).toMatch(new RegExp(`^h1/\\${byHand.session!.id} (stopped|terminated|killed)`));
    expect(await idOf(id)).toBeUndefined();
    await expectIntact(id, worktree, jobDir);
  });

  it('an action on a session that was replaced since the list was read is refused and touches nothing', async () => {
    const { id, worktree, jobDir } = await jobBesideItsNamesake('16');
    const { byHand } = await twins(id, id);
    // Gone, and another session now has its name.
    await tmux(['kill-session', '-t', byHand.session!.id]);
    expect((await tmux(['new-session', '-d', '-s', id, 'exec sleep 600'])).code).toBe(0);
    const successor = await idOf(id);
    await expect(actions.remove(byHand)).rejects.toThrow(`rm failed on h1: session ${byHand.session!.id} (${id}) is gone, and ${successor} now has its name: left alone`);
    await expect(actions.stop(byHand)).rejects.toThrow(/is gone, and .* now has its name: left alone/);
    expect(await idOf(id)).toBe(successor);

    // Same id, another name.
    const { byHand: listed } = await twins(id, id);
    await tmux(['rename-session', '-t', listed.session!.id, 'renamed']);
    await expect(actions.stop(listed)).rejects.toThrow(`stop failed on h1: session ${listed.session!.id} is now named renamed, not ${id}: left alone`);
    expect(await idOf('renamed')).toBe(listed.session!.id);
    await expectIntact(id, worktree, jobDir);
  });
});

describe('rm removes the job worktree and nothing else', () => {
  const home = () => join(dir, 'home');
  let realHome: string | undefined;

  beforeAll(async () => {
    // The worker's $HOME: a dotfiles repository, so git would take it for a working tree.
    await mkdir(home(), { recursive: true });
    await writeFile(join(home(), '.profile'), 'export EDITOR=vi\n');
    await git(['init', '-q', home()]);
    await git(['-C', home(), 'add', '.profile']);
    await git(['-C', home(), 'commit', '-qm', 'dotfiles']);
    realHome = process.env['HOME'];
    process.env['HOME'] = home();
  });

  afterAll(() => {
    if (realHome === undefined) delete process.env['HOME'];
    else process.env['HOME'] = realHome;
  });

  /** A finished `quick` job whose meta.json names `worktree` instead of its own. */
  async function finishedJobNaming(pr: string, worktree: (own: string) => string | Promise<string>): Promise<{ id: string; own: string }> {
    const launched = await actions.launch({ kind: 'quick', params: { pr } });
    const jobDir = join(w.stateDir, 'jobs', launched.id);
    await waitFor('the exit code', () => existsSync(join(jobDir, 'exit')));
    const meta = JSON.parse((await fileText(join(jobDir, 'meta.json')))!);
    await writeFile(join(jobDir, 'meta.json'), `${JSON.stringify({ ...meta, worktree: await worktree(launched.worktree!) })}\n`);
    return { id: launched.id, own: launched.worktree! };
  }

  async function snapshot(path: string): Promise<string> {
    return (await exec('sh', ['-c', 'cd "$1" && find . -path ./.git/index -prune -o -print | sort && git status --porcelain', 'sh', path])).stdout;
  }

  it('refuses a record naming the main clone, and leaves the clone whole', async () => {
    const main = join(dir, 'main');
    const { id } = await finishedJobNaming('17', () => main);
    const before = await snapshot(main);
    const out = io();
    expect(await runRm(fleet, [`h1/${id}`], out, settings)).toBe(1);
    expect(out.out()).toContain(`worktree NOT removed: the record names ${main} as its worktree, but the worktree of ${id} is ${join(dir, 'worktrees', id)}: left alone`);
    expect(await snapshot(main)).toBe(before);
    expect(await fileText(join(main, 'README'))).toBe('main\n');
  });

  it("refuses a record naming the worker's $HOME, and leaves it whole", async () => {
    const { id } = await finishedJobNaming('18', () => home());
    const before = await snapshot(home());
    const result = await actions.remove(`h1/${id}`);
    expect(result.worktreeProblem).toBe(`the record names ${home()} as its worktree, but the worktree of ${id} is ${join(dir, 'worktrees', id)}: left alone`);
    expect(result.worktreeRemoved).toBeUndefined();
    expect(await snapshot(home())).toBe(before);
    expect(await fileText(join(home(), '.profile'))).toBe('export EDITOR=vi\n');
  });

  it("refuses a record naming another job's worktree, and that job keeps its worktree with its work", async () => {
    const other = (await actions.launch({ kind: 'held', params: { pr: '19' } })).worktree!;
    await writeFile(join(other, 'work.txt'), 'uncommitted work\n');
    const { id } = await finishedJobNaming('13', () => other);
    const before = await snapshot(other);
    const result = await actions.remove(`h1/${id}`);
    expect(result.worktreeProblem).toBe(`the record names ${other} as its worktree, but the worktree of ${id} is ${join(dir, 'worktrees', id)}: left alone`);
    expect(await snapshot(other)).toBe(before);
    expect(await fileText(join(other, 'work.txt'))).toBe('uncommitted work\n');
    expect((await git(['-C', join(dir, 'main'), 'worktree', 'list'])).stdout).toContain(other);
  });

  it('refuses the job worktree path when it leads to the main clone (not a linked worktree)', async () => {
    const main = join(dir, 'main');
    const { id } = await finishedJobNaming('12', async (own) => {
      await git(['-C', main, 'worktree', 'remove', '--force', own]);
      await symlink(main, own);
      return own;
    });
    const before = await snapshot(main);
    const result = await actions.remove(`h1/${id}`);
    expect(result.worktreeProblem).toBe(`${join(dir, 'worktrees', id)} is a main clone, not a job worktree: left alone`);
    expect(await snapshot(main)).toBe(before);
  });
});
