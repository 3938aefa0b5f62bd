import type { AttachCommand, ProgressReporter } from '../providers/types.js';
import type { JobTarget } from '../state/job-target.js';
import type { JobInput } from './job-input.js';

/**
 * The command layer: every action the dashboard and the CLI can take, in one place
 * (key → binding table → command → provider → store). A read-only fleet gets {@link ObserveCommands} only:
 * the mutating commands do not exist on it, so no key, command line or bug in the UI can reach them.
 */
export interface ObserveCommands {
  /** Refreshes one worker (or all) now. */
  refresh(worker?: string): void;
  /** How to attach the user's terminal to a job's session (read-only client in watch mode). */
  attachCommand(jobKey: string): AttachCommand;
  /** The last `lines` lines of a job's screen (pane capture), sanitized by the caller before drawing. */
  capture(jobKey: string, lines: number): Promise<string>;
  /** The tail of a job's output log. */
  readLog(jobKey: string, options?: { bytes?: number }): Promise<string>;
  /** What a job changed in its worktree since it started: the stat, then the patch (git's colours kept; raw text). */
  readDiff(jobKey: string): Promise<string>;
  /** The last lines of a worker's container log (`docker logs --tail`), raw. */
  containerLog(worker: string): Promise<string>;
}

/** A request to launch a job. */
export interface LaunchRequest {
  readonly kind: string;
  readonly params: Readonly<Record<string, string>>;
  /** A worker to use; otherwise placement picks one. */
  readonly worker?: string;
  /** The command of the generic kind `run`, as argv. */
  readonly argv?: readonly string[];
  /** The branch a generic kind's worktree starts from. */
  readonly branch?: string;
  /** Wake `worker` even past the monthly budget (the user saw the figures and confirmed); needs `worker`. */
  readonly overBudget?: boolean;
}

/** What a launch did. */
export interface LaunchOutcome {
  readonly jobKey: string;
  readonly worker: string;
  /** False when the job already existed and was reused (launches are idempotent). */
  readonly created: boolean;
  /** Why this worker was chosen. */
  readonly placement: string;
}

/** The full command layer: observation plus everything that changes the fleet. */
export interface FleetCommands extends ObserveCommands {
  launch(request: LaunchRequest, progress?: ProgressReporter): Promise<LaunchOutcome>;
  /** Interrupts the job, then kills it after a grace period. `job` is exactly the job the user chose (see `targetOf`). */
  stopJob(job: JobTarget, progress?: ProgressReporter): Promise<void>;
  /** Kills the session and removes the worktree; keeps logs unless `purge`. `job` is exactly the job the user chose. */
  removeJob(job: JobTarget, options?: { purge?: boolean }, progress?: ProgressReporter): Promise<void>;
  /** Restarts a lost job in its worktree with its agent's resume command (or its own). `job` is exactly the job the user chose. */
  resumeJob(job: JobTarget, progress?: ProgressReporter): Promise<void>;
  /** Types into the job's pane without attaching (a reply, an approval). `job` is exactly the job the user chose. */
  sendToJob(job: JobTarget, input: JobInput): Promise<void>;
  /** Creates the worker's machine; `overBudget` lets this one call pass the monthly budget (the user confirmed). */
  provisionWorker(worker: string, progress?: ProgressReporter, options?: WorkerWakeOptions): Promise<void>;
  startWorker(worker: string, progress?: ProgressReporter, options?: WorkerWakeOptions): Promise<void>;
  stopWorker(worker: string, progress?: ProgressReporter): Promise<void>;
  /** Suspends the worker's machine with its memory kept (GCE only); starting it resumes it. */
  suspendWorker(worker: string, progress?: ProgressReporter): Promise<void>;
  rebuildWorker(worker: string, progress?: ProgressReporter, options?: WorkerWakeOptions): Promise<void>;
}

/** Options of the commands that create or wake a worker's machine. */
export interface WorkerWakeOptions {
  /** Go ahead even when the monthly budget would be reached (after the user saw the figures). */
  readonly overBudget?: boolean;
}
