/**
 * Which job state changes are worth telling the user about, found by comparing one scan's jobs with the previous
 * one. Pure: the notifier feeds it every fleet state it sees.
 */
import type { FleetState } from '../state/store.js';
import type { Job, JobState } from '../state/types.js';

/** The states a job is announced on entering: it asks the user something, it failed, it finished its turn. */
export const NOTIFY_STATES: ReadonlySet<JobState> = new Set(['waiting', 'failed', 'done']);

/** One notification: what a `notify.command` program reads on its standard input, as JSON. */
export interface NotifyEvent {
  readonly worker: string;
  /** The job's key (`worker/id`). */
  readonly job: string;
  readonly state: JobState;
  /** What the job asks, or why it is in that state (raw: every writer sanitizes it). */
  readonly reason: string;
  /** When the job entered the state, ISO 8601. */
  readonly since: string;
}

/**
 * Follows the fleet scan by scan and returns the announced transitions each new state brings. A worker's first
 * scan only sets what is known (nothing it finds is announced, however urgent it looks); after that a job that
 * enters an announced state, or appears already in one, is an event.
 */
export function createTransitionTracker(): (state: FleetState) => NotifyEvent[] {
  const known = new Map<string, { readonly jobs: readonly Job[]; readonly states: ReadonlyMap<string, JobState> }>();
  return (state) => {
    const events: NotifyEvent[] = [];
    for (const name of state.workerOrder) {
      const jobs = state.jobsByWorker[name];
      const view = state.workers[name];
      const before = known.get(name);
      // A worker that is down has its jobs marked unknown: what they were before the outage stays the reference, so
      // a job waiting before and after it is not announced again, and one that failed meanwhile is.
      if (!jobs || view?.lastRefresh === undefined || view.connection === 'down' || before?.jobs === jobs) continue;
      const states = new Map(jobs.map((job) => [job.key, job.state]));
      if (before) {
        for (const job of jobs) {
          if (NOTIFY_STATES.has(job.state) && before.states.get(job.key) !== job.state) events.push(eventOf(job));
        }
      }
      known.set(name, { jobs, states });
    }
    for (const name of known.keys()) if (!state.workers[name]) known.delete(name);
    return events;
  };
}

function eventOf(job: Job): NotifyEvent {
  return { worker: job.worker, job: job.key, state: job.state, reason: job.reason, since: new Date(job.since).toISOString() };
}
