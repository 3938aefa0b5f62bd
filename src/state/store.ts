import type { IdlePolicy } from '../config/idle-schema.js';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { nextIdleMemory } from './idle.js';
import type { ConnectionPath, MachineStatus, ProviderKind } from '../providers/types.js';
import type { CostEstimate } from '../providers/gce/pricing.js';
import type { WorkerScan } from '../scanners/worker-scan/types.js';
import { deriveJobs } from './derive-jobs.js';
import type { LedgerSummary, UsageRates } from './ledger.js';
import type { Job, WorkerView } from './types.js';

/** What the store needs to know about a configured worker. */
export interface WorkerSeed {
  readonly name: string;
  readonly provider: ProviderKind;
  readonly maxJobs: number;
  readonly pollIntervalMs: number;
  readonly sessionPrefix: string;
  /** Estimated cost of a cloud worker. */
  readonly cost?: CostEstimate;
  /** The worker's idle policy, when it has one. */
  readonly idle?: IdlePolicy;
  /** A cloud worker's prices per hour in each billing state. */
  readonly rates?: UsageRates;
}

/** A successful refresh of one worker. */
export interface ScanSuccess {
  readonly scan: WorkerScan;
  readonly machine: MachineStatus;
  readonly path: ConnectionPath | undefined;
  readonly rttMs: number | undefined;
  readonly scanMs: number;
  /** Our clock when the scan finished, ms since epoch. */
  readonly now: number;
}

/** A cloud VM labelled as a mission-control worker that the config does not name. */
export interface UnmanagedVm {
  readonly provider: 'gce';
  readonly project: string;
  readonly zone: string;
  readonly instance: string;
  readonly machine: MachineStatus;
  readonly machineType: string;
}

/** The fleet's state: workers in config order, and each worker's jobs. */
export interface FleetState {
  readonly workerOrder: readonly string[];
  readonly workers: Readonly<Record<string, WorkerView>>;
  readonly jobsByWorker: Readonly<Record<string, readonly Job[]>>;
  /** Errors in the config file that was last read (the last good config keeps running). */
  readonly configErrors: readonly string[];
  /** The config file in use, or undefined for the embedded default. */
  readonly configSource: string | undefined;
  readonly readOnly: boolean;
  /** Worker VMs found in the configured cloud projects that are not in the config. */
  readonly unmanagedVms: readonly UnmanagedVm[];
  /** Cost so far today and this month from the cost ledger (undefined before it was read or without cloud workers). */
  readonly costSoFar?: LedgerSummary | undefined;
  /** Why the cost ledger could not be read or written, naming its file. */
  readonly costError?: string | undefined;
}

/** The actions that change the fleet's state. */
export interface FleetActions {
  /** Replaces the set of workers (config load or reload): keeps what is known about workers that stay. */
  setWorkers(seeds: readonly WorkerSeed[], source: string | undefined): void;
  setConfigErrors(errors: readonly string[]): void;
  setUnmanagedVms(vms: readonly UnmanagedVm[]): void;
  /** The cost ledger's latest sums, or why it could not be read (the last sums stay). */
  setCostSoFar(summary: LedgerSummary | undefined, error?: string): void;
  refreshStarted(worker: string): void;
  refreshSucceeded(worker: string, result: ScanSuccess): void;
  refreshFailed(worker: string, error: string, now: number, machine?: MachineStatus): void;
}

/** The vanilla store, usable without React. */
export type FleetStore = StoreApi<FleetState & FleetActions>;

/** Jobs of a live job quiet this long are idle. */
export const DEFAULT_IDLE_AFTER_SECONDS = 60;

/** Creates the fleet store. */
export function createFleetStore(options: { readOnly?: boolean; idleAfterSeconds?: number } = {}): FleetStore {
  const idleAfterSeconds = options.idleAfterSeconds ?? DEFAULT_IDLE_AFTER_SECONDS;
  const seeds = new Map<string, WorkerSeed>();
  return createStore<FleetState & FleetActions>()((set, get) => ({
    workerOrder: [],
    workers: {},
    jobsByWorker: {},
    configErrors: [],
    configSource: undefined,
    readOnly: options.readOnly ?? false,
    unmanagedVms: [],
    costSoFar: undefined,
    costError: undefined,

    setWorkers(next, source) {
      const state = get();
      seeds.clear();
      const workers: Record<string, WorkerView> = {};
      const jobsByWorker: Record<string, readonly Job[]> = {};
      for (const seed of next) {
        seeds.set(seed.name, seed);
        const known = state.workers[seed.name];
        workers[seed.name] = known && known.provider === seed.provider
          ? { ...known, maxJobs: seed.maxJobs, pollIntervalMs: seed.pollIntervalMs, cost: seed.cost, idle: seed.idle, rates: seed.rates }
          : emptyWorker(seed);
        jobsByWorker[seed.name] = known ? (state.jobsByWorker[seed.name] ?? []) : [];
      }
      set({ workerOrder: next.map((seed) => seed.name), workers, jobsByWorker, configSource: source, configErrors: [] });
    },

    setConfigErrors(errors) {
      set({ configErrors: [...errors] });
    },

    setUnmanagedVms(vms) {
      set({ unmanagedVms: [...vms] });
    },

    setCostSoFar(summary, error) {
      set(summary ? { costSoFar: summary, costError: error } : { costError: error });
    },

    refreshStarted(worker) {
      const view = get().workers[worker];
      if (!view || view.lastRefresh !== undefined || view.connection === 'connecting') return;
      patchWorker(set, get, worker, { connection: 'connecting' });
    },

    refreshSucceeded(worker, result) {
      const state = get();
      const view = state.workers[worker];
      const seed = seeds.get(worker);
      if (!view || !seed) return;
      const known = state.jobsByWorker[worker] ?? [];
      const container = result.scan.container;
      // With the container down its sessions and records cannot be read: what was known stays, marked unknown.
      const jobs =
        container && !container.running
          ? markUnknown(known, container.exists ? `container ${container.status ?? 'not running'}` : 'container missing', result.now)
          : deriveJobs(worker, result.scan, new Map(known.map((job) => [job.key, job])), {
              sessionPrefix: seed.sessionPrefix,
              idleAfterSeconds,
              now: result.now,
            });
      const next: WorkerView = {
        ...view,
        machine: result.machine,
        connection: 'up',
        path: result.path,
        rttMs: result.rttMs,
        lastError: undefined,
        lastRefresh: result.now,
        scanMs: result.scanMs,
        failures: 0,
        host: result.scan.host,
        container: result.scan.container,
        tmuxError: result.scan.tmuxError,
        problems: shortList(result.scan.problems ?? []),
      };
      set({
        workers: { ...state.workers, [worker]: withIdleMemory(next, jobs, result.now) },
        jobsByWorker: jobsChanged(state.jobsByWorker, worker, jobs),
      });
    },

    refreshFailed(worker, error, now, machine) {
      const state = get();
      const view = state.workers[worker];
      if (!view) return;
      const jobs = markUnknown(state.jobsByWorker[worker] ?? [], 'worker unreachable', now);
      set({
        workers: {
          ...state.workers,
          [worker]: withIdleMemory({ ...view, connection: 'down', lastError: error, failures: view.failures + 1, machine: machine ?? view.machine }, jobs, now),
        },
        jobsByWorker: jobsChanged(state.jobsByWorker, worker, jobs),
      });
    },
  }));
}

/** The view with its idle memory after this refresh. */
function withIdleMemory(view: WorkerView, jobs: readonly Job[], now: number): WorkerView {
  return { ...view, idleMemory: nextIdleMemory(view, jobs, now) };
}

/**
 * The jobs map after a scan of `worker`: the previous map itself when the scan found every job as it was, else a
 * map whose unchanged jobs are the previous objects. A scan that changes nothing then changes no reference that
 * views key their work on (every job of the fleet, the table's rows, each row).
 */
function jobsChanged(all: FleetState['jobsByWorker'], worker: string, scanned: readonly Job[]): FleetState['jobsByWorker'] {
  const previous = all[worker] ?? [];
  const byKey = new Map(previous.map((job) => [job.key, job]));
  let same = previous.length === scanned.length;
  const jobs = scanned.map((job, index) => {
    const before = byKey.get(job.key);
    const kept = before !== undefined && sameValue(before, job) ? before : job;
    if (kept !== previous[index]) same = false;
    return kept;
  });
  return same && worker in all ? all : { ...all, [worker]: jobs };
}

/** Deep equality of plain data (what jobs are made of: primitives, arrays, plain objects). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => Object.hasOwn(b, key) && sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/** Jobs that can't be seen right now: kept, marked unknown with why (and what they were), since the first time. */
function markUnknown(jobs: readonly Job[], why: string, now: number): Job[] {
  return jobs.map((job) =>
    job.state === 'unknown' && job.reason.startsWith(why)
      ? job
      : { ...job, state: 'unknown' as const, reason: `${why} (was ${job.state})`, since: now },
  );
}

/** At most this many problems are kept per worker, each cut to this many characters: a scan cannot fill memory. */
export const MAX_PROBLEMS = 20;
const MAX_PROBLEM_LENGTH = 200;

/** A worker's problems as kept: the first {@link MAX_PROBLEMS} (the last one saying how many more), each cut short. */
function shortList(problems: readonly string[]): readonly string[] {
  const cut = (text: string) => (text.length > MAX_PROBLEM_LENGTH ? `${text.slice(0, MAX_PROBLEM_LENGTH - 1)}…` : text);
  if (problems.length <= MAX_PROBLEMS) return problems.map(cut);
  const more = problems.length - (MAX_PROBLEMS - 1);
  return [...problems.slice(0, MAX_PROBLEMS - 1).map(cut), `and ${more} more problems`];
}

function emptyWorker(seed: WorkerSeed): WorkerView {
  return {
    name: seed.name,
    provider: seed.provider,
    maxJobs: seed.maxJobs,
    pollIntervalMs: seed.pollIntervalMs,
    machine: undefined,
    connection: 'connecting',
    path: undefined,
    rttMs: undefined,
    lastError: undefined,
    lastRefresh: undefined,
    scanMs: undefined,
    failures: 0,
    host: undefined,
    container: undefined,
    tmuxError: undefined,
    problems: [],
    cost: seed.cost,
    idle: seed.idle,
    rates: seed.rates,
  };
}

function patchWorker(
  set: FleetStore['setState'],
  get: FleetStore['getState'],
  worker: string,
  patch: Partial<WorkerView>,
): void {
  const state = get();
  const view = state.workers[worker];
  if (!view) return;
  set({ workers: { ...state.workers, [worker]: { ...view, ...patch } } });
}
