/**
 * Exactly which job an action is for, as the user saw it when they chose it: the worker, the record (if any) and
 * the tmux session by id. Actions carry this, never a name to be looked up again, so a job that another one shares
 * a name with is never hit in its place. Pure.
 */
import type { Job } from './types.js';

/** A tmux session as a scan saw it: addressed by `id`, with `name` and `created` checked before anything is done to it. */
export interface SessionIdentity {
  /** `$N`. */
  readonly id: string;
  /** The name exactly as tmux listed it. */
  readonly name: string;
  /** When tmux created it, Unix seconds on the worker (tells a recreated session apart from the one seen). */
  readonly created?: number;
}

/** The exact job an action targets. */
export interface JobTarget {
  /** The job's key, for messages only: it is never resolved again. */
  readonly key: string;
  readonly worker: string;
  /** The job's record directory; undefined for a session with no record (started by hand), whose files are never touched. */
  readonly recordId: string | undefined;
  /** The session seen at the last scan; undefined when the job had none (ended, lost, or its session belongs to another job). */
  readonly session: SessionIdentity | undefined;
}

/** The target of an action on `job`, fixed now. */
export function targetOf(job: Job): JobTarget {
  return {
    key: job.key,
    worker: job.worker,
    recordId: job.adhoc ? undefined : job.id,
    session: job.session
      ? { id: job.session.id, name: job.session.name, ...(job.session.created !== undefined ? { created: job.session.created } : {}) }
      : undefined,
  };
}

/** How a job is named to a person: its key, plus the session name of a session with no record (`local/$3 (session zz)`). */
export function describeTarget(target: JobTarget): string {
  return target.recordId === undefined && target.session ? `${target.key} (session ${target.session.name})` : target.key;
}

/** A job's id as the jobs table shows it: the session id of a session with no record is followed by its name (`$3 zz`). */
export function jobLabel(job: Job): string {
  return job.adhoc && job.session ? `${job.id} ${job.session.name}` : job.id;
}
