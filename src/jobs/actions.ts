/**
 * The job lifecycle over a fleet: placement, launch, stop, remove, bulk removal, setup. The command layer
 * (`app/fleet-commands.ts`) and the CLI (`jobs/cli.ts`) both drive it.
 */
import type { ProgressReporter, WorkerProvider } from '../providers/types.js';
import type { WorkerConfig } from '../config/schema.js';
import { targetOf, type JobTarget } from '../state/job-target.js';
import { selectAllJobs } from '../state/selectors.js';
import type { Job } from '../state/types.js';
import { isGenericKind, type GenericKindName, type JobSettings } from './kinds.js';
import { launchJob, type LaunchedJob, type LaunchOptions } from './launch.js';
import { findJob } from './lookup.js';
import { JobRequestError, specifyGeneric, specifyJob, type GenericRequest } from './params.js';
import { placeJob, refreshStale, type JobFleet } from './placement.js';
import { planFinishedRemoval, removeJobOn, type RemovalPlanItem, type RemoveOptions, type RemoveResult } from './remove.js';
import { ResumeRefusedError, resumeJobOn, type ResumedJob } from './resume.js';
import { setupWorker, type SetupOptions, type SetupReport } from './setup.js';
import { stopSession, type StopOptions, type StopOutcome } from './stop.js';

/** A launch: a kind, its parameters, and optionally the worker; the generic kinds (`run`, `shell`) take the rest. */
export interface JobLaunchRequest extends Partial<Omit<GenericRequest, 'kind'>> {
  readonly kind: string;
  readonly params: Readonly<Record<string, string>>;
  readonly worker?: string;
}

/** A launch's result with the placement that chose its worker. */
export interface LaunchReport extends LaunchedJob {
  /** `worker/id`. */
  readonly key: string;
  readonly placement: string;
}

/**
 * What to act on: a job from the store or its exact target (the session by id, the record by id), as the user saw
 * them. A key is accepted too: the worker is scanned first and the key must name one of its jobs exactly.
 */
export type JobRef = Job | JobTarget | string;

/** One item of an executed bulk removal. */
export interface RemovalOutcome {
  readonly item: RemovalPlanItem;
  readonly result?: RemoveResult;
  readonly error?: string;
}

/** The lifecycle operations. */
export interface JobActions {
  launch(request: JobLaunchRequest, progress?: ProgressReporter): Promise<LaunchReport>;
  stop(job: JobRef, options?: StopOptions, progress?: ProgressReporter): Promise<StopOutcome>;
  remove(job: JobRef, options?: RemoveOptions, progress?: ProgressReporter): Promise<RemoveResult>;
  /** Scans every worker, then lists exactly what `rm --all-finished` would remove. */
  planFinished(): Promise<RemovalPlanItem[]>;
  /** Removes the planned jobs (each only if still finished); one failure does not stop the rest. */
  removePlanned(plan: readonly RemovalPlanItem[], options?: RemoveOptions, progress?: ProgressReporter): Promise<RemovalOutcome[]>;
  setup(worker: string, progress?: ProgressReporter, options?: SetupOptions): Promise<SetupReport>;
  /** Restarts a lost job in its worktree (see `resumeJobOn`), after a fresh scan of its worker says it is lost. */
  resume(job: JobRef, progress?: ProgressReporter): Promise<ResumedJob>;
  /** Finds a job by key, id, session name or unique prefix (see `findJob`), after scanning workers not scanned in the last `maxAgeMs`. */
  find(ref: string, maxAgeMs?: number): Promise<Job>;
}

/** Tunables. */
export interface JobActionOptions {
  readonly launch?: LaunchOptions;
  readonly stop?: StopOptions;
}

/**
 * A generic launch from a request: the argv and options as given (the CLI), or the dashboard form's fields — a
 * `command` line, run by `sh -c` as one argument, and a `branch`.
 */
function genericRequest(kind: GenericKindName, request: JobLaunchRequest): GenericRequest {
  const { command, branch, ...rest } = request.params;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new JobRequestError(`${kind} has no parameter ${JSON.stringify(unknown)}; it takes command and branch`);
  const argv = request.argv ?? (command !== undefined && command.trim() !== '' ? ['sh', '-c', command] : undefined);
  const chosenBranch = request.branch ?? (branch !== undefined && branch !== '' ? branch : undefined);
  return {
    kind,
    ...(argv !== undefined ? { argv } : {}),
    ...(chosenBranch !== undefined ? { branch: chosenBranch } : {}),
    ...(request.name !== undefined ? { name: request.name } : {}),
    ...(request.noWorktree ? { noWorktree: true } : {}),
  };
}

/** Creates the lifecycle operations for a fleet. */
export function createJobActions(fleet: JobFleet, settings: JobSettings, options: JobActionOptions = {}): JobActions {
  const pending = new Map<string, number>();
  // Workers a launch went to since their last scan: their capacity is known only after a new scan.
  const launchedOn = new Set<string>();

  const removalWorker = (config: WorkerConfig) => ({ name: config.name, stateDir: config.stateDir, worktreesDir: settings.repo.worktreesDir });

  const workerOf = (name: string): { provider: WorkerProvider; config: WorkerConfig } => {
    const provider = fleet.provider(name);
    const config = fleet.worker(name);
    if (!provider || !config) throw new Error(`there is no worker named ${JSON.stringify(name)}`);
    if (typeof (provider as Partial<WorkerProvider>).exec !== 'function') throw new Error(`${name}: the fleet is read-only`);
    return { provider, config };
  };

  const target = async (job: JobRef): Promise<JobTarget> => {
    if (typeof job !== 'string') return 'recordId' in job ? job : targetOf(job);
    const worker = job.slice(0, Math.max(0, job.indexOf('/')));
    if (!fleet.worker(worker)) throw new Error(`${JSON.stringify(job)} is not a job key (worker/id)`);
    await refreshStale(fleet, 0, [worker]);
    const known = (fleet.store.getState().jobsByWorker[worker] ?? []).find((j) => j.key === job);
    if (!known) throw new Error(`there is no job ${job} (see \`mission-control jobs\`)`);
    return targetOf(known);
  };

  return {
    async launch(request, progress = () => undefined) {
      const spec = isGenericKind(request.kind) ? specifyGeneric(genericRequest(request.kind, request)) : specifyJob(settings, request.kind, request.params);
      const rescan = new Set(launchedOn);
      const placement = await placeJob(fleet, spec.id, request.worker, { pending, rescan });
      if (request.worker === undefined) for (const name of rescan) launchedOn.delete(name);
      progress(`${placement.worker}: chosen (${placement.reason})`);
      const { provider, config } = workerOf(placement.worker);
      pending.set(config.name, (pending.get(config.name) ?? 0) + 1);
      try {
        const launched = await launchJob(provider, config, spec, settings.repo, progress, options.launch);
        return { ...launched, key: `${launched.worker}/${launched.id}`, placement: placement.reason };
      } finally {
        pending.set(config.name, (pending.get(config.name) ?? 1) - 1);
        launchedOn.add(config.name);
        fleet.refreshNow?.(config.name);
      }
    },

    async stop(job, stopOptions, progress) {
      const t = await target(job);
      const { provider } = workerOf(t.worker);
      // A job with no session at the last scan has nothing to stop: its record alone never names one to look up.
      const outcome = t.session ? await stopSession(provider, t.session, { ...options.stop, ...stopOptions }, progress) : 'not-running';
      fleet.refreshNow?.(t.worker);
      return outcome;
    },

    async remove(job, removeOptions, progress) {
      const t = await target(job);
      const { provider, config } = workerOf(t.worker);
      const result = await removeJobOn(provider, removalWorker(config), t, removeOptions, progress);
      fleet.refreshNow?.(t.worker);
      return result;
    },

    async planFinished() {
      await refreshStale(fleet, 0);
      return planFinishedRemoval(selectAllJobs(fleet.store.getState()));
    },

    async removePlanned(plan, removeOptions = {}, progress) {
      const outcomes: RemovalOutcome[] = [];
      for (const item of plan) {
        try {
          const { provider, config } = workerOf(item.worker);
          const result = await removeJobOn(provider, removalWorker(config), item, { ...removeOptions, onlyIfFinished: true }, progress);
          outcomes.push({ item, result });
        } catch (error) {
          outcomes.push({ item, error: error instanceof Error ? error.message : String(error) });
        }
      }
      for (const worker of new Set(plan.map((item) => item.worker))) fleet.refreshNow?.(worker);
      return outcomes;
    },

    async setup(worker, progress, setupOptions) {
      const { provider, config } = workerOf(worker);
      return setupWorker(provider, config, settings.repo, progress, setupOptions);
    },

    async resume(job, progress) {
      const t = await target(job);
      const { provider, config } = workerOf(t.worker);
      await refreshStale(fleet, 0, [t.worker]);
      const fresh = (fleet.store.getState().jobsByWorker[t.worker] ?? []).find((j) => j.key === t.key && !j.adhoc);
      if (!fresh || t.recordId === undefined) throw new ResumeRefusedError(`there is no job record ${t.key} to resume (see \`mission-control jobs\`)`);
      try {
        return await resumeJobOn(provider, config, fresh, progress, options.launch);
      } finally {
        fleet.refreshNow?.(t.worker);
      }
    },

    async find(ref, maxAgeMs = 0) {
      await refreshStale(fleet, maxAgeMs);
      return findJob(selectAllJobs(fleet.store.getState()), ref);
    },
  };
}
