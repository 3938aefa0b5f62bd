/**
 * What a GCE worker costs per hour: a default price table (on-demand, us-central1, USD, list prices of 2024-2025,
 * without sustained-use or committed-use discounts), overridable per worker in the config. An estimate to compare
 * workers and notice forgotten VMs, not a bill. Pure.
 */
import type { GceDiskType, GceWorkerFields } from '../../config/gce-schema.js';
import type { MachineState } from '../types.js';

/** Hours in a billing month, as Google's price pages count them. */
export const HOURS_PER_MONTH = 730;

/** Per-vCPU and per-GB-of-memory prices per hour of a machine family. */
interface FamilyRate {
  readonly vcpu: number;
  readonly memoryGb: number;
  /** GB of memory per vCPU of the predefined classes. */
  readonly memoryPerVcpu: { readonly standard: number; readonly highmem: number; readonly highcpu: number };
}

/** Machine family rates (us-central1 on-demand). */
export const FAMILY_RATES: Readonly<Record<string, FamilyRate>> = {
  e2: { vcpu: 0.021811, memoryGb: 0.002923, memoryPerVcpu: { standard: 4, highmem: 8, highcpu: 1 } },
  n2: { vcpu: 0.031611, memoryGb: 0.004237, memoryPerVcpu: { standard: 4, highmem: 8, highcpu: 1 } },
  n2d: { vcpu: 0.027502, memoryGb: 0.003686, memoryPerVcpu: { standard: 4, highmem: 8, highcpu: 1 } },
  n1: { vcpu: 0.031611, memoryGb: 0.004237, memoryPerVcpu: { standard: 3.75, highmem: 6.5, highcpu: 0.9 } },
  c3: { vcpu: 0.03465, memoryGb: 0.003938, memoryPerVcpu: { standard: 4, highmem: 8, highcpu: 2 } },
  c2: { vcpu: 0.03398, memoryGb: 0.00455, memoryPerVcpu: { standard: 4, highmem: 8, highcpu: 2 } },
  t2d: { vcpu: 0.027502, memoryGb: 0.003686, memoryPerVcpu: { standard: 4, highmem: 8, highcpu: 1 } },
};

/** Shared-core machine types, which have a price of their own. */
export const SHARED_CORE_PRICES: Readonly<Record<string, number>> = {
  'e2-micro': 0.00838,
  'e2-small': 0.01675,
  'e2-medium': 0.03351,
  'f1-micro': 0.0076,
  'g1-small': 0.0257,
};

/** Persistent disk prices per GB and month. */
export const DISK_PRICES_PER_GB_MONTH: Readonly<Record<GceDiskType, number>> = {
  'pd-standard': 0.04,
  'pd-balanced': 0.1,
  'pd-ssd': 0.17,
};

/** An in-use external IPv4 address, per hour. */
export const EXTERNAL_IP_PER_HOUR = 0.005;

/** The estimated cost of one GCE worker. */
export interface CostEstimate {
  readonly currency: 'USD';
  /** The machine per hour; undefined for a machine type the table does not know and the config does not price. */
  readonly machinePerHour: number | undefined;
  /** The boot disk per hour (billed whether the VM runs or not). */
  readonly diskPerHour: number;
  /** The external IP per hour (0 without one). */
  readonly externalIpPerHour: number;
  /** Per hour while the VM runs: machine, disk and IP; undefined when the machine price is unknown. */
  readonly runningPerHour: number | undefined;
  /** Per hour while the VM is stopped: the disk only. */
  readonly stoppedPerHour: number;
  /** Whether the machine price came from the table, the config, or is unknown. */
  readonly source: 'table' | 'config' | 'unknown';
  /** Why the estimate is incomplete, when it is. */
  readonly note?: string;
}

/** The on-demand price per hour of a machine type from the table, or undefined when it is not in it. */
export function machineHourlyPrice(machineType: string): number | undefined {
  const shared = SHARED_CORE_PRICES[machineType];
  if (shared !== undefined) return shared;
  const shape = machineShape(machineType);
  if (!shape) return undefined;
  const rate = FAMILY_RATES[shape.family];
  if (!rate) return undefined;
  const memoryGb = shape.memoryGb ?? shape.vcpus * rate.memoryPerVcpu[shape.class];
  return round(shape.vcpus * rate.vcpu + memoryGb * rate.memoryGb);
}

/** Family, class and size of `e2-standard-4`, `n2-highmem-8`, `e2-custom-4-16384` or n1's `custom-2-8192`. */
export function machineShape(
  machineType: string,
): { family: string; class: 'standard' | 'highmem' | 'highcpu'; vcpus: number; memoryGb?: number } | undefined {
  const custom = /^(?:([a-z0-9]+)-)?custom-(\d+)-(\d+)(?:-ext)?$/.exec(machineType);
  if (custom) {
    return { family: custom[1] ?? 'n1', class: 'standard', vcpus: Number(custom[2]), memoryGb: Number(custom[3]) / 1024 };
  }
  const predefined = /^([a-z0-9]+)-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  if (!predefined) return undefined;
  return { family: predefined[1]!, class: predefined[2] as 'standard' | 'highmem' | 'highcpu', vcpus: Number(predefined[3]) };
}

/** The estimated hourly cost of a worker from its machine type, boot disk and external IP, with the config's overrides. */
export function estimateHourlyCost(
  worker: Pick<GceWorkerFields, 'machineType' | 'bootDisk' | 'externalIp' | 'pricing'> & Partial<Pick<GceWorkerFields, 'spot'>>,
): CostEstimate {
  const override = worker.pricing?.machinePerHour;
  const fromTable = machineHourlyPrice(worker.machineType);
  const machinePerHour = override ?? fromTable;
  const diskRate = worker.pricing?.diskPerGbMonth ?? DISK_PRICES_PER_GB_MONTH[worker.bootDisk.type];
  const diskPerHour = round((worker.bootDisk.sizeGb * diskRate) / HOURS_PER_MONTH);
  const externalIpPerHour = worker.externalIp ? EXTERNAL_IP_PER_HOUR : 0;
  return {
    currency: 'USD',
    machinePerHour,
    diskPerHour,
    externalIpPerHour,
    runningPerHour: machinePerHour === undefined ? undefined : round(machinePerHour + diskPerHour + externalIpPerHour),
    stoppedPerHour: diskPerHour,
    source: override !== undefined ? 'config' : fromTable !== undefined ? 'table' : 'unknown',
    ...(machinePerHour === undefined
      ? { note: `no price known for machine type ${worker.machineType}; set pricing.machinePerHour for this worker` }
      : worker.spot && override === undefined
        ? { note: 'a Spot VM, priced here at the on-demand rate (an upper bound: Spot prices vary); set pricing.machinePerHour for this worker' }
        : {}),
  };
}

/**
 * What the worker costs per hour in this machine state: everything while it runs (or is being started, stopped or suspended),
 * the disk while it is stopped or suspended, nothing once it is gone; undefined when unknown.
 */
export function costPerHourIn(estimate: CostEstimate, state: MachineState): number | undefined {
  switch (state) {
    case 'running':
    case 'provisioning':
    case 'starting':
    case 'stopping':
    case 'suspending':
      return estimate.runningPerHour;
    case 'stopped':
    case 'suspended':
      return estimate.stoppedPerHour;
    case 'missing':
      return 0;
    case 'unknown':
      return undefined;
  }
}

/** The fleet's cost per hour now: the sum of what is known, and how many workers could not be priced. */
export function fleetCostPerHour(
  workers: readonly { readonly estimate: CostEstimate; readonly state: MachineState }[],
): { readonly perHour: number; readonly unpriced: number } {
  let perHour = 0;
  let unpriced = 0;
  for (const { estimate, state } of workers) {
    const cost = costPerHourIn(estimate, state);
    if (cost === undefined) unpriced++;
    else perHour += cost;
  }
  return { perHour: round(perHour), unpriced };
}

/** `$0.14/h`, for the dashboard; `-` when the cost is unknown. */
export function formatHourly(perHour: number | undefined): string {
  if (perHour === undefined) return '-';
  return perHour < 0.1 ? `$${perHour.toFixed(3)}/h` : `$${perHour.toFixed(2)}/h`;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
