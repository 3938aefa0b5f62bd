/**
 * Where a job goes: the worker asked for; else the worker the job already exists on (launches are idempotent);
 * else the first ready worker with a free slot (`maxJobs`), local workers first, then the config's order.
 * Capacity comes from a fresh scan, plus launches this process has in flight.
 */
import { refreshWorker } from '../app/refresh.js';
import type { WorkerConfig } from '../config/schema.js';
import type { WorkerProvider } from '../providers/types.js';
import { liveJobCount, selectAllJobs } from '../state/selectors.js';
import type { FleetStore } from '../state/store.js';
import type { Job } from '../state/types.js';

/** What the job lifecycle needs of the fleet (a `Fleet<WorkerProvider>` is one). */
export interface JobFleet {
  readonly store: FleetStore;
  provider(worker: string): WorkerProvider | undefined;
  worker(name: string): WorkerConfig | undefined;
  /** Asks for a scan soon (the dashboard's polling loop); absent where nothing polls. */
  refreshNow?(worker?: string): void;
}

/** A worker chosen for a job, and why, in words for the user. */
export interface Placement {
  readonly worker: string;
  readonly reason: string;
}

/** No worker can take the job; nothing was started. */
export class PlacementError extends Error {
  override readonly name = 'PlacementError';
}

/** Options for {@link placeJob}. */
export interface PlacementOptions {
  /** Launches in flight per worker (not yet in a scan). */
  readonly pending?: ReadonlyMap<string, number>;
  /** Workers scanned longer ago than this are scanned again first; default 3 s. */
  readonly maxAgeMs?: number;
  /** Workers to scan again whatever their age (a launch went there since their last scan). */
  readonly rescan?: ReadonlySet<string>;
}

/** Workers in preference order: local ones first, then the config's order. */
export function preferenceOrder(fleet: JobFleet): WorkerConfig[] {
  const workers = fleet.store
    .getState()
    .workerOrder.map((name) => fleet.worker(name))
    .filter((w): w is WorkerConfig => w !== undefined);
  return [...workers.filter((w) => w.provider === 'local'), ...workers.filter((w) => w.provider !== 'local')];
}

/** Scans the workers whose last scan is older than `maxAgeMs` (all by default), in parallel; failures are recorded in the store. */
export async function refreshStale(fleet: JobFleet, maxAgeMs = 0, names?: readonly string[], rescan?: ReadonlySet<string>): Promise<void> {
  const state = fleet.store.getState();
  const now = Date.now();
  const stale = (names ?? state.workerOrder).filter((name) => {
    const last = state.workers[name]?.lastRefresh;
    return last === undefined || now - last > maxAgeMs || rescan?.has(name);
  });
  await Promise.allSettled(
    stale.map((name) => {
      const provider = fleet.provider(name);
      const config = fleet.worker(name);
      return provider && config ? refreshWorker(fleet.store, provider, config.pollIntervalMs) : Promise.resolve();
    }),
  );
}

/** Chooses the worker for job `id`. */
export async function placeJob(fleet: JobFleet, id: string, requested: string | undefined, options: PlacementOptions = {}): Promise<Placement> {
  if (requested !== undefined) {
    const config = fleet.worker(requested);
    if (!config) throw new PlacementError(`there is no worker named ${JSON.stringify(requested)}; workers: ${fleet.store.getState().workerOrder.join(', ')}`);
    return { worker: requested, reason: 'asked for with --worker' };
  }
  await refreshStale(fleet, options.maxAgeMs ?? 3000, undefined, options.rescan);
  const state = fleet.store.getState();
  const existing = selectAllJobs(state).find((job: Job) => job.id === id && !job.adhoc);
  if (existing) return { worker: existing.worker, reason: `job ${id} already exists there` };

  const skipped: string[] = [];
  for (const worker of preferenceOrder(fleet)) {
    const view = state.workers[worker.name];
    if (!view || view.connection !== 'up') {
      skipped.push(`${worker.name} is not reachable${view?.lastError ? ` (${view.lastError})` : ''}`);
      continue;
    }
    const live = liveJobCount(state, worker.name) + (options.pending?.get(worker.name) ?? 0);
    if (live >= worker.maxJobs) {
      skipped.push(`${worker.name} is full (${live}/${worker.maxJobs} jobs)`);
      continue;
    }
    const why = `first ready worker in preference order with a free slot (${live}/${worker.maxJobs} jobs)`;
    return { worker: worker.name, reason: skipped.length > 0 ? `${why}; ${skipped.join(', ')}` : why };
  }
  if (skipped.length === 0) throw new PlacementError('no workers are configured');
  throw new PlacementError(
    `no worker can take the job, nothing was started: ${skipped.join(', ')}. ` +
      'Stop or remove a job (mission-control rm --all-finished), raise maxJobs, or name a worker with --worker',
  );
}
