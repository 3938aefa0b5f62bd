import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshWorker } from '../../src/app/refresh.js';
import { workerStateLabel } from '../../src/cli/status-report.js';
import { runLaunch, runResume } from '../../src/jobs/cli.js';
import { resolveJobSettings } from '../../src/jobs/kinds.js';
import type { JobFleet } from '../../src/jobs/placement.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { createFleetStore } from '../../src/state/store.js';
import { startCosWorker, type CosWorker } from '../harness/compute/cos-worker.js';
import { PROJECT, ZONE } from '../harness/compute/gce-worker.js';
import { captureIo } from '../support/cli-io.js';
import { waitFor } from '../support/ssh-fleet.js';

/**
 * A Spot COS worker: provisioned with the SPOT model, preempted by GCE (the fake records the preemption operation
 * and stops the VM, as GCE does with termination action STOP), shown as preempted, and its job, lost with the VM's
 * processes, resumed once the worker is started again.
 */
describe('GCE Spot worker (real Compute client, fake API, real sshd + dockerd)', () => {
  let cos: CosWorker;
  const settings = resolveJobSettings();
  const store = createFleetStore();
  let fleet: JobFleet;
  const refresh = () => refreshWorker(store, cos.provider, 2000).catch(() => undefined);
  const job = (id: string) => selectAllJobs(store.getState()).find((candidate) => candidate.id === id);

  beforeAll(async () => {
    cos = await startCosWorker({ name: 'spot-1', spot: true });
    store.getState().setWorkers([{ name: 'spot-1', provider: 'gce-cos', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' }], undefined);
    fleet = { store, provider: (name) => (name === 'spot-1' ? cos.provider : undefined), worker: (name) => (name === 'spot-1' ? cos.worker : undefined) };
  });
  afterAll(() => cos?.close());

  it('is preempted: shown as such, and its lost job resumes after a start', async () => {
    await cos.provider.provision();
    const insert = cos.fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/instances'));
    expect((insert?.body as { scheduling?: unknown }).scheduling).toEqual({ provisioningModel: 'SPOT', instanceTerminationAction: 'STOP' });

    // A job without a worktree runs in the home directory: on COS the mounts under it make it exist in the container.
    expect((await cos.provider.exec({ script: 'mkdir -p "$HOME"' })).code).toBe(0);
    await refresh();
    const launched = captureIo();
    expect(await runLaunch(fleet, ['run', '--no-worktree', '--name', 'long-1', '--', 'sh', '-c', 'echo started; sleep 600'], launched, settings), launched.err()).toBe(0);
    await waitFor('the job to run', async () => (await refresh(), job('long-1')?.state === 'running'));

    // GCE reclaims the VM: everything on it ends, its disk (worktrees, job records) stays.
    const preemption = cos.fake.world.preempt(PROJECT, ZONE, 'spot-1');
    await preemption.done;
    await waitFor('the VM to stop', () => cos.fake.instance(PROJECT, ZONE, 'spot-1')?.status === 'TERMINATED');
    expect(await cos.provider.refreshStatus()).toEqual({ state: 'stopped', detail: 'preempted' });
    await refresh();
    const worker = store.getState().workers['spot-1']!;
    expect(worker.machine).toEqual({ state: 'stopped', detail: 'preempted' });
    expect(workerStateLabel(worker)).toBe('stopped');
    // A scan now is told why without trying to connect.
    await expect(cos.provider.exec({ argv: ['true'] })).rejects.toThrow('VM spot-1 is preempted (GCE reclaimed the Spot VM; start the worker, then resume its lost jobs)');
    const listed = cos.fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/zones/${ZONE}/operations`));
    expect(listed.map((r) => r.query.filter)).toEqual(['operationType = "compute.instances.preempted"']);

    // Started again (a fresh boot: memory is gone), the job is lost, and resumes.
    await cos.provider.start();
    expect(await cos.provider.refreshStatus()).toEqual({ state: 'running', detail: 'RUNNING' });
    await refresh();
    expect(['lost', 'failed']).toContain(job('long-1')?.state);
    const resumed = captureIo();
    expect(await runResume(fleet, ['long-1'], resumed, settings), resumed.err()).toBe(0);
    await waitFor('the resumed job to run', async () => (await refresh(), job('long-1')?.state === 'running'));
  });
});
