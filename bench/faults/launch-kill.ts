/**
 * Launches killed with SIGKILL at each step (ready, claim, worktree, start), from the CLI (the built binary, killed
 * when its progress names the step) and from an in-process launch with the fleet polling (the dashboard's way),
 * then the same launch run again with the CLI: exactly one job, no stale lock, no orphan worktree. And a launch into
 * a full disk (a 2 MB tmpfs over w5's worktrees directory): a clear error naming the step, everything rolled back.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jobIdFor } from '../../src/jobs/params.js';
import { run } from '../../test/harness/process.js';
import { runCli, runLaunchChild } from './cli.js';
import type { FaultRow } from './table.js';
import { countLeftovers, findLeftovers, type FaultWorld } from './world.js';

const STEPS = [
  ['ready', /making the worker ready/],
  ['claim', /claiming job/],
  ['worktree', /preparing worktree/],
  ['start', /starting tmux session/],
] as const;

/** How long a re-run may take: just past the recovery goal (one backoff cap), so a miss is a miss of the goal. */
const RERUN_LIMIT_MS = 31_000;

/** What is on w5 for job `id`: its sessions, record, lock, worktrees (registered and on disk), fetched ref. */
async function inspect(world: FaultWorld, id: string) {
  const w5 = world.worker('w5');
  const listed = await w5.tmux(['list-sessions', '-F', '#{session_name}']);
  const sessions = listed.stdout.split('\n').filter((name) => name === `mc-${id}`).length;
  const jobs = join(w5.stateDir, 'jobs');
  const record = existsSync(join(jobs, id));
  const lock = existsSync(join(jobs, `.launch-${id}`));
  const worktreeDir = existsSync(join(world.repo.worktrees, id));
  const registered = (await run('git', ['-C', world.repo.main, 'worktree', 'list', '--porcelain'])).stdout
    .split('\n')
    .filter((line) => line === `worktree ${join(world.repo.worktrees, id)}`).length;
  const ref = (await run('git', ['-C', world.repo.main, 'show-ref', '--verify', '--quiet', `refs/mission-control/${id}`], { allowFailure: true })).code === 0;
  return { sessions, record, lock, worktreeDir, registered, ref };
}

/** Removes every trace of job `id` on w5, so the next case starts clean (by name and socket only). */
async function scrub(world: FaultWorld, id: string): Promise<void> {
  const w5 = world.worker('w5');
  const found = await w5.tmux(['list-sessions', '-F', '#{session_id} #{session_name}']);
  for (const line of found.stdout.split('\n')) {
    const [sid, name] = line.split(' ');
    if (sid && name === `mc-${id}`) await w5.tmux(['kill-session', '-t', sid]);
  }
  await run('git', ['-C', world.repo.main, 'worktree', 'remove', '--force', join(world.repo.worktrees, id)], { allowFailure: true });
  await run('git', ['-C', world.repo.main, 'worktree', 'prune'], { allowFailure: true });
  await run('git', ['-C', world.repo.main, 'update-ref', '-d', `refs/mission-control/${id}`], { allowFailure: true });
  await run('rm', ['-rf', '--', join(w5.stateDir, 'jobs', id), join(w5.stateDir, 'jobs', `.launch-${id}`), join(world.repo.worktrees, id)]);
}

/** Kill at each step from both launchers, then launch again; one row per launcher and step. */
export async function launchKillRows(world: FaultWorld): Promise<FaultRow[]> {
  const kind = world.config.jobs.kinds.get('wt');
  if (!kind) return [{ fault: 'launch killed', notRun: 'the suite config has no wt kind' }];
  const rows: FaultRow[] = [];
  let n = 100;
  for (const launcher of ['CLI', 'dashboard'] as const) {
    for (const [step, pattern] of STEPS) {
      n += 1;
      const id = jobIdFor(kind, { n: String(n) });
      const name = `${launcher} SIGKILL at ${step}`;
      const options = { timeoutMs: 30_000, killOn: pattern };
      const killed =
        launcher === 'CLI'
          ? await runCli(world.configPath, ['launch', '--worker', 'w5', 'wt', String(n)], options)
          : await runLaunchChild(world.configPath, 'w5', 'wt', String(n), options);
      if (!killed.killedAt) {
        rows.push({ fault: name, notRun: `the launch never reported the ${step} step (exit ${killed.code}: ${(killed.stderr || killed.stdout).trim().split('\n').pop()})` });
        await scrub(world, id);
        continue;
      }
      const afterKill = await inspect(world, id);
      const again = await runCli(world.configPath, ['launch', '--worker', 'w5', 'wt', String(n)], { timeoutMs: RERUN_LIMIT_MS });
      const state = await inspect(world, id);
      const ok = again.code === 0 && !again.timedOut;
      const leftovers = (state.lock ? 1 : 0) + (state.worktreeDir && !state.record ? 1 : 0) + (state.registered > 1 ? state.registered - 1 : 0) + (state.ref && !state.record ? 1 : 0);
      const notes = [`after kill: ${describe(afterKill)}`];
      if (!ok) notes.push(again.timedOut ? `re-run still waiting after ${RERUN_LIMIT_MS / 1000} s: ${lastLine(again.stderr)}` : `re-run failed: ${lastLine(again.stderr)}`);
      rows.push({
        fault: name,
        recoverMs: ok ? again.ms : Infinity,
        lost: state.sessions === 0 || !state.record ? 1 : 0,
        duplicated: Math.max(0, state.sessions - 1),
        leftovers,
        note: notes.join('; '),
      });
      await scrub(world, id);
    }
  }
  return rows;
}

function describe(state: Awaited<ReturnType<typeof inspect>>): string {
  const parts = [];
  if (state.lock) parts.push('lock');
  if (state.record) parts.push('record');
  if (state.sessions) parts.push(`${state.sessions} session`);
  if (state.worktreeDir || state.registered) parts.push('worktree');
  return parts.length ? parts.join('+') : 'nothing';
}

const shorten = (text: string) => (text.length <= 150 ? text : `${text.slice(0, 80)}…${text.slice(-65)}`);
const lastLine = (text: string) => text.trim().split('\n').pop()?.trim().slice(0, 120) ?? '';

/** A launch on w5 while its worktrees directory is a full 2 MB tmpfs. */
export async function diskFullRow(world: FaultWorld): Promise<FaultRow> {
  const fault = 'disk full during launch (w5 worktrees, 2 MB tmpfs)';
  const kind = world.config.jobs.kinds.get('wt');
  if (!kind) return { fault, notRun: 'the suite config has no wt kind' };
  const target = world.repo.worktrees;
  await mkdir(target, { recursive: true });
  if (readdirSync(target).length > 0) return { fault, notRun: `${target} is not empty` };
  const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'mc-fault-full', target], { allowFailure: true });
  if (mounted.code !== 0) return { fault, notRun: `mount tmpfs failed: ${mounted.stderr.trim()}` };
  const id = jobIdFor(kind, { n: '900' });
  try {
    // Fill it: writes stop at ENOSPC.
    await writeFile(join(target, '.filler'), Buffer.alloc(4 * 1024 * 1024)).catch(() => undefined);
    const launch = await runCli(world.configPath, ['launch', '--worker', 'w5', 'wt', '900'], { timeoutMs: 60_000 });
    await run('rm', ['-f', join(target, '.filler')]);
    const state = await inspect(world, id);
    const message = launch.stderr.trim().split('\n').filter((l) => /failed/.test(l)).pop() ?? lastLine(launch.stderr);
    const clear = launch.code !== 0 && /worktree failed on w5/.test(message) && /space/i.test(message);
    const leftovers = (state.lock ? 1 : 0) + (state.record ? 1 : 0) + (state.worktreeDir ? 1 : 0) + state.registered + (state.ref ? 1 : 0) + state.sessions;
    return {
      fault,
      detectMs: launch.code !== 0 ? launch.ms : Infinity,
      lost: 0,
      duplicated: 0,
      leftovers,
      note: `error: "${shorten(message)}"${leftovers ? `; left: ${[state.lock || state.record || state.sessions || state.worktreeDir || state.registered ? describe(state) : '', state.ref ? `the fetched ref refs/mission-control/${id}` : ''].filter(Boolean).join(', ')}` : ''}`,
      noteMet: clear,
    };
  } finally {
    await run('umount', [target], { allowFailure: true });
    await scrub(world, id);
  }
}

/** Leftovers on the whole fleet after the launch cases (a stale lock from any of them shows here too). */
export async function fleetLeftoversAfterLaunches(world: FaultWorld): Promise<string> {
  const found = countLeftovers(await findLeftovers(world, (name) => name.startsWith('crowd-')));
  return found.count ? found.text : 'none';
}
