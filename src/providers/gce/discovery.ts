/**
 * Finding the user's worker VMs by their label, so the dashboard can show VMs that exist but are not in the config.
 */
import { WORKER_LABEL } from '../../config/gce-schema.js';
import type { MachineStatus } from '../types.js';
import type { ComputeApi, ComputeInstance } from './compute-api.js';
import { machineStatusOf } from './machine-state.js';

/** The list filter that selects worker VMs. */
export const WORKER_FILTER = `labels.${WORKER_LABEL.key} = "${WORKER_LABEL.value}"`;

/** A worker VM found in a project. */
export interface DiscoveredVm {
  readonly project: string;
  readonly zone: string;
  readonly instance: string;
  readonly id: string;
  readonly status: MachineStatus;
  /** `e2-standard-4` (the last part of the machine type URL). */
  readonly machineType: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly internalIp?: string;
  readonly externalIp?: string;
  /** The configured worker this VM is, if any. */
  readonly worker?: string;
}

/** Worker VMs of `project`: in `zones`, or in every zone (one aggregated call). */
export async function listGceWorkers(api: ComputeApi, project: string, zones?: readonly string[]): Promise<DiscoveredVm[]> {
  const listed = await api.listInstances(project, WORKER_FILTER, zones);
  return listed
    .filter(({ instance }) => instance.labels?.[WORKER_LABEL.key] === WORKER_LABEL.value)
    .map(({ zone, instance }) => describe(project, zone, instance))
    .sort((a, b) => a.zone.localeCompare(b.zone) || a.instance.localeCompare(b.instance));
}

/** The configured GCE workers' projects, listed and matched to the config; VMs without `worker` are not configured. */
export async function discoverWorkerVms(
  api: ComputeApi,
  configured: readonly { readonly name: string; readonly project: string; readonly zone: string; readonly instance: string }[],
): Promise<DiscoveredVm[]> {
  const byVm = new Map(configured.map((w) => [`${w.project}/${w.zone}/${w.instance}`, w.name]));
  const projects = [...new Set(configured.map((w) => w.project))];
  const found = await Promise.all(projects.map((project) => listGceWorkers(api, project)));
  return found.flat().map((vm) => {
    const worker = byVm.get(`${vm.project}/${vm.zone}/${vm.instance}`);
    return worker ? { ...vm, worker } : vm;
  });
}

function describe(project: string, zone: string, instance: ComputeInstance): DiscoveredVm {
  const nic = instance.networkInterfaces?.[0];
  const internalIp = nic?.networkIP ?? undefined;
  const externalIp = nic?.accessConfigs?.find((config) => config.natIP)?.natIP ?? undefined;
  return {
    project,
    zone,
    instance: instance.name ?? '',
    id: String(instance.id ?? ''),
    status: machineStatusOf(String(instance.status ?? '')),
    machineType: (instance.machineType ?? '').split('/').at(-1) ?? '',
    labels: { ...(instance.labels ?? {}) },
    ...(internalIp ? { internalIp } : {}),
    ...(externalIp ? { externalIp } : {}),
  };
}
