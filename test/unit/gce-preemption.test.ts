import { describe, expect, it } from 'vitest';
import type { ComputeApi, ComputeInstance } from '../../src/providers/gce/compute-api.js';
import type { ComputeOperation } from '../../src/providers/gce/compute-resources.js';
import { VmStatus } from '../../src/providers/gce/vm-status.js';

const ref = { project: 'p', zone: 'us-central1-a', instance: 'spot-1' };
const preemption = (targetId: string, insertTime: string): ComputeOperation => ({ operationType: 'compute.instances.preempted', targetId, insertTime, user: 'system' });

/** The two calls VmStatus makes, answered from `instance` and `operations`; counts the operation lists. */
function api(instance: ComputeInstance, operations: ComputeOperation[]) {
  const calls = { lists: 0 };
  const compute = {
    getInstance: async () => instance,
    listOperations: async () => (calls.lists++, operations),
  } as unknown as ComputeApi;
  return { compute, calls };
}

describe('a stopped Spot VM: preempted or stopped', () => {
  const spot = { id: '42', status: 'TERMINATED', scheduling: { provisioningModel: 'SPOT' } };

  it('is preempted when GCE recorded a preemption of it since its last start, asked once per stop', async () => {
    const { compute, calls } = api({ ...spot, lastStartTimestamp: '2026-12-01T10:00:00.000-08:00' }, [
      preemption('42', '2026-12-01T11:00:00.000-08:00'),
    ]);
    const status = new VmStatus(compute, ref, 15_000);
    expect(await status.refresh()).toEqual({ state: 'stopped', detail: 'preempted' });
    expect(await status.refresh()).toEqual({ state: 'stopped', detail: 'preempted' });
    expect(calls.lists).toBe(1);
  });

  it('is only stopped when the preemption was before its last start, of another VM, or it is not a Spot VM', async () => {
    const cases: [ComputeInstance, ComputeOperation[]][] = [
      [{ ...spot, lastStartTimestamp: '2026-12-01T12:00:00Z' }, [preemption('42', '2026-12-01T11:00:00Z')]],
      [spot, [preemption('43', '2026-12-01T11:00:00Z')]],
      [{ ...spot, scheduling: {} }, [preemption('42', '2026-12-01T11:00:00Z')]],
    ];
    for (const [instance, operations] of cases) {
      expect(await new VmStatus(api(instance, operations).compute, ref, 15_000).refresh()).toEqual({ state: 'stopped', detail: 'TERMINATED' });
    }
  });
});
