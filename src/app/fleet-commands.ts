/**
 * The full command layer: observation (given) plus everything that changes the fleet — the job lifecycle
 * (`src/jobs/`) and the worker lifecycle, which the providers do (local and SSH workers reject it with
 * `UnsupportedOperationError`).
 */
import { createJobActions, type JobActionOptions } from '../jobs/actions.js';
import { resolveJobSettings, type JobSettings } from '../jobs/kinds.js';
import type { JobFleet } from '../jobs/placement.js';
import type { ProgressReporter } from '../providers/types.js';
import type { FleetCommands, ObserveCommands, WorkerWakeOptions } from './commands.js';
import { sendToJob } from './job-input.js';

/**
 * Creates the command layer of a fleet that may change things. `settings` are the config's `kinds:` and `repo:`
 * (built-in kinds and default paths when absent).
 */
export function createFleetCommands(
  fleet: JobFleet & { allowOverBudget?(worker: string): () => void },
  observe: ObserveCommands,
  settings: JobSettings = resolveJobSettings(),
  options: JobActionOptions = {},
): FleetCommands {
  const jobs = createJobActions(fleet, settings, options);
  // A confirmed pass over the monthly budget lasts for the one operation it was given for, used or not.
  const pastBudget = async <T>(worker: string | undefined, allowed: boolean | undefined, run: () => Promise<T>): Promise<T> => {
    const withdraw = allowed && worker !== undefined ? fleet.allowOverBudget?.(worker) : undefined;
    try {
      return await run();
    } finally {
      withdraw?.();
    }
  };
  const lifecycle =
    (operation: 'provision' | 'start' | 'stop' | 'suspend' | 'rebuild') =>
    async (worker: string, progress?: ProgressReporter, wake?: WorkerWakeOptions): Promise<void> => {
      const provider = fleet.provider(worker);
      if (!provider) throw new Error(`there is no worker named ${JSON.stringify(worker)}`);
      await pastBudget(worker, wake?.overBudget, () => provider[operation](progress));
      fleet.refreshNow?.(worker);
    };

  return {
    refresh: (worker) => observe.refresh(worker),
    attachCommand: (jobKey) => observe.attachCommand(jobKey),
    capture: (jobKey, lines) => observe.capture(jobKey, lines),
    readLog: (jobKey, readOptions) => observe.readLog(jobKey, readOptions),
    readDiff: (jobKey) => observe.readDiff(jobKey),
    containerLog: (worker) => observe.containerLog(worker),

    async launch(request, progress) {
      const launched = await pastBudget(request.worker, request.overBudget, () => jobs.launch(request, progress));
      return { jobKey: launched.key, worker: launched.worker, created: launched.created, placement: launched.placement };
    },
    async stopJob(job, progress) {
      await jobs.stop(job, undefined, progress);
    },
    async removeJob(job, removeOptions, progress) {
      await jobs.remove(job, removeOptions?.purge ? { purge: true } : {}, progress);
    },
    async resumeJob(job, progress) {
      await jobs.resume(job, progress);
    },
    async sendToJob(job, input) {
      const provider = fleet.provider(job.worker);
      if (!provider) throw new Error(`there is no worker named ${JSON.stringify(job.worker)}`);
      await sendToJob(provider, job, input);
      fleet.refreshNow?.(job.worker);
    },
    provisionWorker: lifecycle('provision'),
    startWorker: lifecycle('start'),
    stopWorker: lifecycle('stop'),
    suspendWorker: lifecycle('suspend'),
    rebuildWorker: lifecycle('rebuild'),
  };
}
