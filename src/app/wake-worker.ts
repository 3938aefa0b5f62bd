/**
 * Waking a suspended worker for an attach: its jobs cannot be scanned while it sleeps, so `attach WORKER/JOB` resumes
 * the worker it names first (as a launch does), and the job is then found as it was.
 */
import type { ProgressReporter, WorkerProvider } from '../providers/types.js';
import type { FleetStore } from '../state/store.js';

/** What waking needs of the fleet (a `Fleet<WorkerProvider>` is one). */
export interface WakeFleet {
  readonly store: FleetStore;
  provider(worker: string): WorkerProvider | undefined;
}

/**
 * Resumes the worker a job reference names (`worker/id`) when the last refresh saw it suspended or suspending;
 * resolves to its name when it was woken, else undefined (no worker named, or not asleep).
 */
export async function wakeNamedWorker(fleet: WakeFleet, ref: string, progress: ProgressReporter): Promise<string | undefined> {
  const slash = ref.indexOf('/');
  if (slash <= 0) return undefined;
  const name = ref.slice(0, slash);
  const state = fleet.store.getState().workers[name]?.machine?.state;
  const provider = fleet.provider(name);
  if (!provider || (state !== 'suspended' && state !== 'suspending')) return undefined;
  progress(`${name} is ${state}: resuming it`);
  await provider.ensureReady(progress);
  return name;
}
