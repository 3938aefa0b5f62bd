import { isGceWorker, type WorkerConfig } from '../config/schema.js';
import type { FleetStore } from '../state/store.js';

/** How often the cloud projects are listed for worker VMs the config does not name. */
export const DISCOVERY_INTERVAL_MS = 60_000;


/**
 * Lists the configured GCE projects for VMs labelled as mission-control workers and puts the ones the config does
 * not name in the store. Does nothing (and loads nothing) for a fleet without GCE workers. A failure leaves the
 * last answer in place: the workers' own errors already say what is wrong with the Compute API.
 */
export async function discoverUnmanagedVms(store: FleetStore, workers: readonly WorkerConfig[]): Promise<void> {
  const gce = workers.filter(isGceWorker);
  if (gce.length === 0) {
    if (store.getState().unmanagedVms.length > 0) store.getState().setUnmanagedVms([]);
    return;
  }
  const [{ discoverWorkerVms }, { sharedComputeApi }] = await Promise.all([
    import('../providers/gce/discovery.js'),
    import('../providers/gce/compute-api.js'),
  ]);
  try {
    const vms = await discoverWorkerVms(sharedComputeApi(), gce.map((w) => ({ name: w.name, project: w.project, zone: w.zone, instance: w.instance })));
    store.getState().setUnmanagedVms(
      vms
        .filter((vm) => vm.worker === undefined)
        .map((vm) => ({ provider: 'gce', project: vm.project, zone: vm.zone, instance: vm.instance, machine: vm.status, machineType: vm.machineType })),
    );
  } catch {
    // Kept as it was; see above.
  }
}
