import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import type { WorkerConfig } from '../../src/config/schema.js';
import { createJobActions, type JobActions } from '../../src/jobs/actions.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import { launcherToken } from '../../src/jobs/launch-owner.js';
import { JobStepError } from '../../src/jobs/remote.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { git, makeRemote } from '../support/git-remote.js';

// A launcher killed while it holds a job's launch lock, and a worktree that cannot be made: a local worker with real
// tmux and real git.
const exec = promisify(execFile);

let dir: string;
let socket: string;
let stateDir: string;
let settings: JobSettings;
let fleet: Fleet<WorkerProvider>;
let actions: JobActions;

/** The token a launcher with this pid would have written (boot id and start time read the way the product does). */
function tokenOf(pid: number): string {
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return `${boot}/${pid}/${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}

/** A lock on `id` as a launcher holding it leaves it: its start time now, and its owner. */
async function holdLock(id: string, owner: string): Promise<string> {
  const lock = join(stateDir, 'jobs', `.launch-${id}`);
  await mkdir(lock, { recursive: true });
  await writeFile(join(lock, 'started'), `${Math.floor(Date.now() / 1000)}\n`);
  await writeFile(join(lock, 'owner'), `${owner}\n`);
  return lock;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-recovery-'));
  socket = join(dir, 'tmux.sock');
  stateDir = join(dir, 'state');
  const remote = await makeRemote(dir);
  const kinds = kindsSchema.parse({
    hold: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sleep', '300'] },
    peek: { params: { pr: { pattern: '^[0-9]+$' } }, command: ['cat', 'pr.txt'], worktree: { fetch: 'pull/{pr}/head' } },
  });
  settings = resolveJobSettings({ kinds, repo: { url: remote, mainDir: join(dir, 'main'), worktreesDir: join(dir, 'worktrees') } });
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
  // A short wait for a held lock: a launch that waits on a live holder fails fast instead of after two minutes.
  actions = createJobActions(fleet, settings, { launch: { lockWaitMs: 3000 } });
  await actions.setup('w');
});

afterAll(async () => {
  await fleet?.close();
  await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

describe('a launch lock left by a launcher', () => {
  it('is taken over at once when its launcher on this machine was killed, and the launch makes exactly one job', async () => {
    const victim = spawn('sleep', ['300']);
    const owner = tokenOf(victim.pid!);
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('exit', resolve));
    const lock = await holdLock('1-hold', owner);

    const steps: string[] = [];
    const launched = await actions.launch({ kind: 'hold', params: { n: '1' } }, (text) => steps.push(text));
    expect(launched).toMatchObject({ id: '1-hold', created: true });
    expect(steps.join('\n')).toContain('took over a launch lock');
    expect(existsSync(lock)).toBe(false);
    const sessions = (await exec('tmux', ['-S', socket, 'list-sessions', '-F', '#{session_name}'])).stdout.split('\n').filter(Boolean);
    expect(sessions.filter((name) => name === 'mc-1-hold')).toHaveLength(1);
  });

  it('is waited for while its launcher still runs, and never taken from it', async () => {
    const holder = spawn('sleep', ['300']);
    try {
      const lock = await holdLock('2-hold', tokenOf(holder.pid!));
      const error = await actions.launch({ kind: 'hold', params: { n: '2' } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobStepError);
      expect((error as JobStepError).message).toMatch(/another launch of 2-hold has been running/);
      expect(existsSync(lock)).toBe(true);
      expect(existsSync(join(stateDir, 'jobs', '2-hold'))).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('of this very process is never taken as dead', async () => {
    const token = launcherToken();
    expect(token).toMatch(/^[0-9a-f-]{36}\/\d+\/\d+$/);
    const lock = await holdLock('3-hold', token!);
    const error = await actions.launch({ kind: 'hold', params: { n: '3' } }).catch((e: unknown) => e);
    expect((error as JobStepError).message).toMatch(/another launch of 3-hold has been running/);
    expect(existsSync(lock)).toBe(true);
  });
});

describe('a worktree that cannot be made', () => {
  it('says which step failed and leaves neither the lock nor the ref fetched for it', async () => {
    // The worktrees directory cannot be created: a file stands where it would go.
    await rm(join(dir, 'worktrees'), { recursive: true, force: true });
    await writeFile(join(dir, 'worktrees'), 'not a directory\n');
    try {
      const error = await actions.launch({ kind: 'peek', params: { pr: '12' } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobStepError);
      expect((error as JobStepError).step).toBe('worktree');
      expect((error as JobStepError).message).toContain('cannot create the worktrees directory');
      const refs = (await git(['for-each-ref', '--format=%(refname)', 'refs/mission-control/'], join(dir, 'main'))).stdout.trim();
      expect(refs).toBe('');
      expect(existsSync(join(stateDir, 'jobs', '.launch-12-peek'))).toBe(false);
      expect(existsSync(join(stateDir, 'jobs', '12-peek'))).toBe(false);
    } finally {
      await rm(join(dir, 'worktrees'), { force: true });
    }
  });
});
