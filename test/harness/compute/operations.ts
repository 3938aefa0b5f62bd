/**
 * Zone operations of the fake Compute API: how one is made (RUNNING until its transition finishes it) and how the
 * API renders it, including what GCE records by itself (a Spot VM's preemption, by `system`).
 */
import { randomBytes } from 'node:crypto';
import type { OperationError } from './errors.js';

/** Where the real API's resource links start. */
export const BASE = 'https://www.googleapis.com/compute/v1';

/** A zone operation of the fake. */
export interface FakeOperation {
  readonly project: string;
  readonly zone: string;
  readonly name: string;
  readonly id: string;
  readonly operationType: string;
  readonly targetName: string;
  readonly targetId: string;
  status: 'RUNNING' | 'DONE';
  /** Who started it: `system` for what GCE does by itself (a preemption); default the test's user. */
  user?: string;
  statusMessage?: string;
  error: OperationError | undefined;
  readonly insertTime: string;
  endTime: string | undefined;
  /** Resolves when DONE. */
  readonly done: Promise<void>;
  finish(error?: OperationError): void;
}

/** A new RUNNING operation of `operationType` on the instance. */
export function newOperation(project: string, zone: string, operationType: string, instance: { readonly name: string; readonly id: string }): FakeOperation {
  const name = `operation-${Date.now()}-${randomBytes(8).toString('hex')}-${randomBytes(4).toString('hex')}`;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const operation: FakeOperation = {
    project,
    zone,
    name,
    id: BigInt(`0x${randomBytes(7).toString('hex')}`).toString(),
    operationType,
    targetName: instance.name,
    targetId: instance.id,
    status: 'RUNNING',
    error: undefined,
    insertTime: new Date().toISOString(),
    endTime: undefined,
    done,
    finish(error) {
      if (operation.status === 'DONE') return;
      operation.status = 'DONE';
      operation.error = error;
      operation.endTime = new Date().toISOString();
      resolveDone();
    },
  };
  return operation;
}

/** The operation as the API returns it. */
export function renderOperation(operation: FakeOperation): Record<string, unknown> {
  const zoneUrl = `${BASE}/projects/${operation.project}/zones/${operation.zone}`;
  return {
    kind: 'compute#operation',
    id: operation.id,
    name: operation.name,
    zone: zoneUrl,
    operationType: operation.operationType,
    targetLink: `${zoneUrl}/instances/${operation.targetName}`,
    targetId: operation.targetId,
    status: operation.status,
    user: operation.user ?? 'tester@example.com',
    ...(operation.statusMessage ? { statusMessage: operation.statusMessage } : {}),
    progress: operation.status === 'DONE' ? 100 : 0,
    insertTime: operation.insertTime,
    startTime: operation.insertTime,
    ...(operation.endTime ? { endTime: operation.endTime } : {}),
    selfLink: `${zoneUrl}/operations/${operation.name}`,
    ...(operation.error
      ? {
          error: { errors: operation.error.errors },
          httpErrorStatusCode: operation.error.httpStatus,
          httpErrorMessage: operation.error.httpMessage,
        }
      : {}),
  };
}

/**
 * Whether an operation matches a `zoneOperations.list` filter of `field = "value"` terms joined by AND (the form
 * mission-control sends: `operationType = "compute.instances.preempted"`, `targetId = "…"`).
 */
export function operationMatches(operation: FakeOperation, filter: string): boolean {
  if (!filter.trim()) return true;
  const fields: Record<string, string> = { operationType: operation.operationType, targetId: operation.targetId, status: operation.status };
  return filter.split(/\s+AND\s+/i).every((term) => {
    const match = /^\(?\s*([a-zA-Z]+)\s*=\s*"?([^"\s)]*)"?\s*\)?$/.exec(term.trim());
    if (!match || !(match[1]! in fields)) throw new Error(`the fake Compute API cannot evaluate operation filter ${JSON.stringify(term)}`);
    return fields[match[1]!] === match[2];
  });
}
