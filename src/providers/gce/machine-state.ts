/**
 * GCE's instance states as the machine states the dashboard shows. Pure.
 */
import type { MachineState, MachineStatus } from '../types.js';

/** Every `Instance.status` the Compute API documents, and the machine state it means. */
export const GCE_STATE_MAP: Readonly<Record<string, MachineState>> = {
  PENDING: 'provisioning',
  PROVISIONING: 'provisioning',
  STAGING: 'starting',
  RUNNING: 'running',
  REPAIRING: 'starting',
  STOPPING: 'stopping',
  SUSPENDING: 'suspending',
  DEPROVISIONING: 'stopping',
  SUSPENDED: 'suspended',
  STOPPED: 'stopped',
  TERMINATED: 'stopped',
};

/** The machine status of an instance with this `status`; `undefined` means the instance does not exist. */
export function machineStatusOf(status: string | null | undefined): MachineStatus {
  if (status === undefined) return { state: 'missing', detail: 'not found' };
  if (status === null || status === '') return { state: 'unknown', detail: 'no status' };
  // Own keys only: a status such as `constructor` must not find Object.prototype's members.
  return { state: Object.hasOwn(GCE_STATE_MAP, status) ? (GCE_STATE_MAP[status] as MachineState) : 'unknown', detail: status };
}
