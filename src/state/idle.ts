/**
 * The idle rule: when a worker with an idle policy may be suspended or stopped, or why it is kept up. One pure
 * function serves the workers pane, `status`, the dashboard's and the autopilot's actions and `bench:economy`.
 */
import type { IdleAction, IdlePolicy } from '../config/idle-schema.js';
import { formatAge } from '../text/format.js';
import type { Job, WorkerView } from './types.js';

/** What the rule is given: the policy, the worker's jobs from one scan, and what is known of the worker's past. */
export interface IdleInputs {
  readonly policy: IdlePolicy;
  readonly jobs: readonly Job[];
  /** Our clock, ms since epoch. */
  readonly now: number;
  /**
   * Since when the worker has been up as far as anyone watching knows (boot, resume, or the first scan of an
   * observer that just started), ms since epoch: a worker is never idle sooner than `after` past it.
   */
  readonly awakeSince?: number;
  /** The last time the worker was seen kept up (a job working, a client attached), ms since epoch. */
  readonly heldUntil?: number;
}

/** The rule's answer. */
export type IdleVerdict =
  /** Something keeps the worker up: `reason` names it ("build-7 running", "client attached to fix-3"). */
  | { readonly kind: 'kept-up'; readonly reason: string }
  /** The worker may be put away at `deadline` (ms since epoch; in the past when it is due now). */
  | { readonly kind: 'idle'; readonly action: IdleAction; readonly deadline: number; readonly reason: string };

/**
 * Decides a worker's idle deadline. A worker is idle when no job is working, no client is attached and nothing
 * produced output or changed state for `after`; a job waiting for its user counts only once it has waited
 * `waitingAfter`; a live job that reports no agent state (`running`, `idle`, `unknown`) keeps the worker up while its
 * pane is alive, because a quiet build is still a build. Ended jobs count only through their last output.
 */
export function decideIdle(inputs: IdleInputs): IdleVerdict {
  const { policy, jobs, now } = inputs;
  const kept = keptUpBy(jobs);
  if (kept !== undefined) return { kind: 'kept-up', reason: kept };
  let deadline = Math.max(inputs.awakeSince ?? -Infinity, inputs.heldUntil ?? -Infinity) + policy.afterMs;
  let reason = 'no output';
  // The latest candidate sets the deadline, and its reason is the one given.
  const consider = (at: number, why: string) => {
    if (at > deadline) [deadline, reason] = [at, why];
  };
  for (const job of jobs) {
    const output = job.lastOutputAt === undefined ? undefined : (job.lastOutputAt - job.clockSkew) * 1000;
    consider(Math.max(output ?? -Infinity, hasPane(job) ? job.since : -Infinity) + policy.afterMs, 'no output');
    if (job.state === 'waiting') consider(job.since + policy.waitingAfterMs, `${job.id} has waited ${formatAge((now - job.since) / 1000)} for its user`);
  }
  // With nothing known at all (no jobs, no history) the worker gets one full period from now.
  if (!Number.isFinite(deadline)) deadline = now + policy.afterMs;
  return { kind: 'idle', action: policy.action, deadline, reason };
}

/** The first thing that keeps the worker up, in words, or undefined when nothing does. */
function keptUpBy(jobs: readonly Job[]): string | undefined {
  for (const job of jobs) if (job.state === 'working') return `${job.id} working`;
  for (const job of jobs) if ((job.session?.attached ?? 0) > 0) return `client attached to ${job.id}`;
  for (const job of jobs) {
    if (!hasPane(job)) continue;
    if (job.state === 'running' || job.state === 'idle' || job.state === 'unknown') return `${job.id} running`;
  }
  return undefined;
}

/** A job whose program is still alive in its pane. */
function hasPane(job: Job): boolean {
  return job.session !== undefined && (job.state === 'running' || job.state === 'idle' || job.state === 'working' || job.state === 'waiting' || job.state === 'done' || job.state === 'unknown');
}

/** The verb of an action in a countdown: "suspends", "stops". */
function verb(action: IdleAction): string {
  return action === 'suspend' ? 'suspends' : 'stops';
}

/** The verdict in a few words for the workers pane and `status`: "suspends in 12m", "stops now", "kept up: build-7 running". */
export function idleLabel(verdict: IdleVerdict, now: number): string {
  if (verdict.kind === 'kept-up') return `kept up: ${verdict.reason}`;
  const left = verdict.deadline - now;
  return left <= 0 ? `${verb(verdict.action)} now` : `${verb(verdict.action)} in ${formatAge(Math.ceil(left / 1000))}`;
}

/** What is remembered of a worker between scans (by the store, or a simulation), so a detach or a resume restarts the countdown. */
export interface IdleMemory {
  /** When the machine was first seen running this time (ms since epoch); undefined while it is not running. */
  readonly awakeSince?: number;
  /** The last scan at which something kept the worker up (ms since epoch), if any. */
  readonly heldUntil?: number;
}

/**
 * The memory after one scan. A machine seen not running is remembered as such, so its next run counts from the
 * moment it is seen running again (a resumed VM's uptime includes its time suspended). On a first sighting,
 * `bootedAt` (from the host's uptime) stands in, so an observer that starts late does not wait a full period for a
 * worker that has long been idle. A kept-up verdict moves `heldUntil` to now.
 */
export function rememberIdle(
  memory: IdleMemory | undefined,
  running: boolean,
  verdict: IdleVerdict | undefined,
  now: number,
  bootedAt?: number,
): IdleMemory {
  if (!running) return {};
  const awakeSince = memory?.awakeSince ?? (memory === undefined ? (bootedAt ?? now) : now);
  const heldUntil = verdict?.kind === 'kept-up' ? now : memory?.heldUntil;
  return heldUntil === undefined ? { awakeSince } : { awakeSince, heldUntil };
}

/**
 * A worker's verdict from the store's view of it: undefined when it has no idle policy or is not known to be up and
 * running (a suspended, stopped or unreachable worker has nothing to count down). The view's own memory (kept by the
 * store across scans, see {@link nextIdleMemory}) restarts the countdown after a detach or a resume; without one,
 * the host's boot time bounds it.
 */
export function workerIdle(view: WorkerView, jobs: readonly Job[], now: number): IdleVerdict | undefined {
  if (!view.idle || view.connection !== 'up' || view.machine?.state !== 'running') return undefined;
  const memory = view.idleMemory;
  const awakeSince = memory?.awakeSince ?? bootTime(view);
  return decideIdle({
    policy: view.idle,
    jobs,
    now,
    ...(awakeSince !== undefined ? { awakeSince } : {}),
    ...(memory?.heldUntil !== undefined ? { heldUntil: memory.heldUntil } : {}),
  });
}

/**
 * The memory a worker's view keeps after a scan (`view` already holds that scan, `jobs` its jobs): undefined without
 * a policy. A failed scan of a machine still running keeps the memory as it was.
 */
export function nextIdleMemory(view: WorkerView, jobs: readonly Job[], now: number): IdleMemory | undefined {
  if (!view.idle) return undefined;
  const running = view.connection === 'up' && view.machine?.state === 'running';
  if (view.connection === 'down' && view.machine?.state === 'running') return view.idleMemory;
  const memory = rememberIdle(view.idleMemory, running, undefined, now, bootTime(view));
  return rememberIdle(memory, running, workerIdle({ ...view, idleMemory: memory }, jobs, now), now);
}

/**
 * When the worker came up, on our clock (ms since epoch): the host's boot from its uptime at the last scan, or the
 * container's start when later (a docker worker shares its host's uptime).
 */
function bootTime(view: WorkerView): number | undefined {
  const host = view.host;
  if (!host || !host.now || host.uptimeSeconds === undefined || view.lastRefresh === undefined) return undefined;
  const booted = view.lastRefresh - host.uptimeSeconds * 1000;
  const started = view.container?.running && view.container.startedAt ? Date.parse(view.container.startedAt) - (host.now * 1000 - view.lastRefresh) : NaN;
  return Number.isFinite(started) ? Math.max(booted, started) : booted;
}
