/**
 * Watching the fleet through a fault: every successful refresh of every worker is recorded from the store (its scan
 * time), so a case can ask for the other workers' refresh p50 before and during the fault, and how long the store
 * took to show the fault and to show the worker well again.
 */
import { performance } from 'node:perf_hooks';
import { isLiveState, selectAllJobs } from '../../src/state/selectors.js';
import type { FleetState } from '../../src/state/store.js';
import type { Job } from '../../src/state/types.js';
import type { FaultRow } from './table.js';
import { countLeftovers, findLeftovers, type FaultWorld } from './world.js';

/** One successful refresh: when (performance clock) and how long its scan took. */
interface Sample {
  readonly worker: string;
  readonly at: number;
  readonly scanMs: number;
}

/** Records refreshes from the store for as long as it runs. */
export class RefreshRecorder {
  private readonly samples: Sample[] = [];
  private readonly unsubscribe: () => void;

  constructor(private readonly world: FaultWorld) {
    let last = new Map<string, number | undefined>();
    this.unsubscribe = world.fleet.store.subscribe((state) => {
      const next = new Map<string, number | undefined>();
      for (const name of state.workerOrder) {
        const view = state.workers[name];
        next.set(name, view?.lastRefresh);
        if (view?.lastRefresh !== undefined && view.lastRefresh !== last.get(name) && view.scanMs !== undefined) {
          this.samples.push({ worker: name, at: performance.now(), scanMs: view.scanMs });
          if (this.samples.length > 50_000) this.samples.splice(0, 10_000);
        }
      }
      last = next;
    });
  }

  /** p50 of the scan times of workers other than `exclude` between two instants, and how many there were. */
  p50(exclude: readonly string[], from: number, to: number): { p50: number; n: number } {
    const values = this.samples.filter((s) => !exclude.includes(s.worker) && s.at >= from && s.at < to).map((s) => s.scanMs);
    values.sort((a, b) => a - b);
    return { p50: values.length ? values[Math.floor(values.length / 2)]! : NaN, n: values.length };
  }

  stop(): void {
    this.unsubscribe();
  }
}

/** Waits until `test` holds for the store, checking every 50 ms; resolves to the ms it took, or undefined. */
export async function timeUntil(world: FaultWorld, test: (state: FleetState) => boolean, timeoutMs: number): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (test(world.fleet.store.getState())) return performance.now() - started;
    await sleep(50);
  }
  return test(world.fleet.store.getState()) ? performance.now() - started : undefined;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A fault injected into a watched fleet. */
export interface WatchedFault {
  readonly name: string;
  /** The worker(s) the fault is on: excluded from "the other workers". */
  readonly targets: readonly string[];
  inject(): Promise<void>;
  /** Ends the fault (always called, also when detection failed). */
  heal(): Promise<void>;
  /** The store shows the fault as it should; undefined when detection does not apply. */
  readonly detected?: (state: FleetState) => boolean;
  /** The worker is well again. */
  readonly recovered?: (state: FleetState) => boolean;
  /** How long the fault lasts after it was detected (or after the detection deadline); default 8 s. */
  readonly holdMs?: number;
  /** Jobs of the targets that should end up lost (a reboot): checked for a reason instead of counted as lost. */
  readonly expectLost?: boolean;
  /** Keys of jobs the case ends on purpose (not counted as lost). */
  readonly ends?: () => readonly string[];
  /** Extra figures for the note column, and extra lost/leftover counts; called after recovery. */
  readonly after?: () => Promise<{ note?: string; noteMet?: boolean; lost?: number; leftovers?: number }>;
}

/** Timing of the suite (ms). */
export interface WatchTiming {
  readonly pollMs: number;
  readonly detectWithinMs: number;
  readonly recoverWithinMs: number;
}

/** Runs one watched fault and returns its row. */
export async function runWatchedFault(world: FaultWorld, recorder: RefreshRecorder, fault: WatchedFault, timing: WatchTiming): Promise<FaultRow> {
  // A quiet stretch before, long enough for several refreshes of every worker (scans are tens of ms on a shared
  // 2-core machine: more samples, less noise).
  const beforeFrom = performance.now();
  await sleep(5 * timing.pollMs);
  const before = selectAllJobs(world.fleet.store.getState());
  const injectedAt = performance.now();
  let detectMs: number | undefined;
  let recoverMs: number | undefined;
  let healedAt = injectedAt;
  try {
    await fault.inject();
    if (fault.detected) detectMs = await timeUntil(world, fault.detected, Math.max(timing.detectWithinMs * 2, 10_000));
    await sleep(fault.holdMs ?? 8000);
  } finally {
    healedAt = performance.now();
    await fault.heal();
  }
  if (fault.recovered) recoverMs = await timeUntil(world, fault.recovered, timing.recoverWithinMs + 15_000);
  const during = recorder.p50(fault.targets, injectedAt, healedAt);
  const base = recorder.p50(fault.targets, beforeFrom, injectedAt);
  // One more poll so every worker's jobs are as fresh as the store can make them.
  await sleep(timing.pollMs + 500);
  const state = world.fleet.store.getState();
  const ended = new Set(fault.ends?.() ?? []);
  const { lost, duplicated, lostText } = compareJobs(before.filter((job) => !ended.has(job.key)), selectAllJobs(state), fault.targets, fault.expectLost ?? false);
  const leftovers = countLeftovers(await findLeftovers(world, (name) => name.startsWith('crowd-')));
  const extra = (await fault.after?.()) ?? {};
  const notes = [extra.note, lostText, leftovers.count ? `left: ${leftovers.text}` : undefined].filter(Boolean);
  return {
    fault: fault.name,
    detectMs: fault.detected ? (detectMs ?? Infinity) : undefined,
    refresh: { before: base.p50, during: during.p50, n: during.n },
    recoverMs: fault.recovered ? (recoverMs ?? Infinity) : undefined,
    lost: lost + (extra.lost ?? 0),
    duplicated,
    leftovers: leftovers.count + (extra.leftovers ?? 0),
    note: notes.join('; '),
    ...(extra.noteMet !== undefined ? { noteMet: extra.noteMet } : {}),
  };
}

/**
 * Jobs lost: jobs seen before the fault that are gone from the store after it, or were live and are not live now.
 * On the targets of a reboot, the jobs must instead be shown `lost` with a reason (one that is not is counted).
 * Jobs duplicated: keys, or live sessions, that appear more than once.
 */
export function compareJobs(before: readonly Job[], after: readonly Job[], targets: readonly string[], expectLost: boolean) {
  const now = new Map(after.map((job) => [job.key, job]));
  const missing: string[] = [];
  for (const job of before) {
    const seen = now.get(job.key);
    const onTarget = targets.includes(job.worker);
    if (expectLost && onTarget) {
      if (!seen || seen.state !== 'lost' || seen.reason.trim() === '') missing.push(job.key);
    } else if (!seen || (isLiveState(job.state) && !isLiveState(seen.state))) {
      missing.push(job.key);
    }
  }
  const keys = new Set<string>();
  const sessions = new Set<string>();
  let duplicated = 0;
  for (const job of after) {
    if (keys.has(job.key)) duplicated += 1;
    keys.add(job.key);
    if (job.session) {
      const id = `${job.worker}/${job.session.id}`;
      if (sessions.has(id)) duplicated += 1;
      sessions.add(id);
    }
  }
  return { lost: missing.length, duplicated, lostText: missing.length ? `not as they were: ${missing.slice(0, 3).join(', ')}` : undefined };
}
