/**
 * What a GCE worker costs per hour in each billing state the ledger counts, from the price table of
 * src/providers/gce/pricing.ts. Pure.
 */
import type { GceWorkerFields } from '../config/gce-schema.js';
import { estimateHourlyCost, FAMILY_RATES, HOURS_PER_MONTH, machineShape, type CostEstimate } from '../providers/gce/pricing.js';
import type { UsageRates } from './ledger.js';

/**
 * The saved memory and device state of a suspended VM, per GB and month. The API reference of `instances.suspend`
 * says: "Suspended instances have no compute costs (cores or RAM), and incur only storage charges for the saved VM
 * memory and localSSD data. Any charged resources the virtual machine was using, such as persistent disks and static
 * IP addresses, will continue to be charged while the instance is suspended"; and the suspend guide: "While the VM is
 * suspended, Google only charges for the storage used to preserve the VM's memory". That storage is estimated at the
 * standard persistent disk rate, the cheapest storage the price table has.
 */
export const SUSPENDED_STATE_PER_GB_MONTH = 0.04;

/** Memory of the shared-core machine types (GB), which have no shape to compute it from. */
const SHARED_CORE_MEMORY_GB: Readonly<Record<string, number>> = {
  'e2-micro': 1,
  'e2-small': 2,
  'e2-medium': 4,
  'f1-micro': 0.6,
  'g1-small': 1.7,
};

/** GB of memory of a machine type; undefined when the table cannot tell. */
export function machineMemoryGb(machineType: string): number | undefined {
  const shared = SHARED_CORE_MEMORY_GB[machineType];
  if (shared !== undefined) return shared;
  const shape = machineShape(machineType);
  if (!shape) return undefined;
  if (shape.memoryGb !== undefined) return shape.memoryGb;
  const rate = FAMILY_RATES[shape.family];
  return rate ? shape.vcpus * rate.memoryPerVcpu[shape.class] : undefined;
}

/**
 * Per hour while running (machine, disk, IP), suspended (disk and the saved memory) and stopped (disk): the
 * states between which the ledger's intervals are cut.
 */
export function usageRates(worker: Pick<GceWorkerFields, 'machineType' | 'bootDisk' | 'externalIp' | 'pricing'>, estimate: CostEstimate = estimateHourlyCost(worker)): UsageRates {
  const memoryGb = machineMemoryGb(worker.machineType);
  const statePerHour = memoryGb === undefined ? undefined : (memoryGb * SUSPENDED_STATE_PER_GB_MONTH) / HOURS_PER_MONTH;
  return {
    running: estimate.runningPerHour ?? null,
    suspended: statePerHour === undefined ? null : round(estimate.stoppedPerHour + statePerHour),
    stopped: estimate.stoppedPerHour,
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
