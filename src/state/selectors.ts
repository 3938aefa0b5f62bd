import { costPerHourIn } from '../providers/gce/pricing.js';
import type { FleetState } from './store.js';
import type { Job, JobState, WorkerView } from './types.js';

/** Every job state, in the order summaries show them. */
export const JOB_STATES: readonly JobState[] = ['waiting', 'working', 'done', 'running', 'idle', 'failed', 'exited', 'lost', 'unknown'];

/** A job's kind as tables show it: `fix`, or `fix ↻2` for a job resumed twice. */
export function kindLabel(job: Pick<Job, 'kind' | 'resumeCount'>): string {
  return job.resumeCount ? `${job.kind} ↻${job.resumeCount}` : job.kind;
}

/** True for the states of a job whose program is still alive in its pane. */
export function isLiveState(state: JobState): boolean {
  return state === 'running' || state === 'idle' || state === 'working' || state === 'waiting' || state === 'done';
}

/** True for a job waiting for its user (a prompt, a question): what the header counts as "need you". */
export function needsUser(job: Job): boolean {
  return job.state === 'waiting';
}

/** The jobs waiting for their user, longest waiting first (ties keep fleet order): `jobs --waiting`, the attention view. */
export function waitingJobs(jobs: readonly Job[]): Job[] {
  return jobs.filter(needsUser).sort(longestWaitingFirst);
}

/** Orders two waiting jobs: the one that has held its user up the longest first. */
export function longestWaitingFirst(a: Job, b: Job): number {
  return a.since - b.since;
}

let lastJobsSource: FleetState['jobsByWorker'] | undefined;
let lastOrder: FleetState['workerOrder'] | undefined;
let lastJobs: readonly Job[] = [];

/** All jobs in worker order. Returns the same array until a worker's jobs change (safe as a selector). */
export function selectAllJobs(state: FleetState): readonly Job[] {
  if (state.jobsByWorker === lastJobsSource && state.workerOrder === lastOrder) return lastJobs;
  lastJobsSource = state.jobsByWorker;
  lastOrder = state.workerOrder;
  lastJobs = state.workerOrder.flatMap((name) => state.jobsByWorker[name] ?? []);
  return lastJobs;
}

/** Workers in config order. */
export function selectWorkers(state: FleetState): WorkerView[] {
  return state.workerOrder.map((name) => state.workers[name]).filter((view): view is WorkerView => view !== undefined);
}

/** Counts for the header and `status`. */
export interface FleetSummary {
  readonly workers: { readonly up: number; readonly down: number; readonly connecting: number; readonly total: number };
  readonly jobs: Readonly<Record<JobState, number>> & { readonly total: number };
  /**
   * The oldest last successful refresh of the reachable workers (ms since epoch), or undefined before any: a
   * worker that is down does not make the others look stale.
   */
  readonly oldestRefresh: number | undefined;
  /** The oldest last successful refresh of the workers that are down (when they were last seen), if any was seen. */
  readonly downSeenAt: number | undefined;
  /** What the priced workers cost per hour in their current state (0 for a fleet with none). */
  readonly costPerHour: number;
  /** Priced workers whose current cost is unknown (state unknown, or no price for the machine type). */
  readonly unpriced: number;
}

/** Summarises the fleet. */
export function summarizeFleet(state: FleetState): FleetSummary {
  const workers = selectWorkers(state);
  const jobs = selectAllJobs(state);
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const job of jobs) counts[job.state] += 1;
  const oldest = (connection: WorkerView['connection']) => {
    const times = workers.filter((w) => w.connection === connection).map((w) => w.lastRefresh).filter((t): t is number => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  };
  return {
    workers: {
      up: workers.filter((w) => w.connection === 'up').length,
      down: workers.filter((w) => w.connection === 'down').length,
      connecting: workers.filter((w) => w.connection === 'connecting').length,
      total: workers.length,
    },
    jobs: { ...counts, total: jobs.length },
    oldestRefresh: oldest('up'),
    downSeenAt: oldest('down'),
    ...fleetCost(workers),
  };
}

/**
 * `connecting (n of N)` while some workers have not answered their first scan yet (n have, up or down, of N);
 * undefined once every worker has.
 */
export function connectingProgress(summary: Pick<FleetSummary, 'workers'>): string | undefined {
  const { connecting, total } = summary.workers;
  return connecting > 0 ? `connecting (${total - connecting} of ${total})` : undefined;
}

/** What a worker costs per hour now, or undefined when it is not priced or its state is unknown. */
export function workerCostPerHour(worker: WorkerView): number | undefined {
  if (!worker.cost) return undefined;
  return costPerHourIn(worker.cost, worker.machine?.state ?? 'unknown');
}

function fleetCost(workers: readonly WorkerView[]): { costPerHour: number; unpriced: number } {
  let costPerHour = 0;
  let unpriced = 0;
  for (const worker of workers) {
    if (!worker.cost) continue;
    const cost = workerCostPerHour(worker);
    if (cost === undefined) unpriced += 1;
    else costPerHour += cost;
  }
  return { costPerHour: Math.round(costPerHour * 1000) / 1000, unpriced };
}

/** Jobs of one worker that count against its `maxJobs`: live ones mission-control launched (not sessions started by hand). */
export function liveJobCount(state: FleetState, worker: string): number {
  return countsTowardMaxJobs(state.jobsByWorker[worker] ?? []);
}

/** How many of `jobs` count against `maxJobs`: live and launched by mission-control (sessions started by hand do not). */
export function countsTowardMaxJobs(jobs: readonly Job[]): number {
  return jobs.filter((job) => isLiveState(job.state) && !job.adhoc).length;
}
