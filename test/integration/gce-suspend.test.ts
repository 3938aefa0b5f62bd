import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshWorker } from '../../src/app/refresh.js';
import { wakeNamedWorker } from '../../src/app/wake-worker.js';
import { runSuspend } from '../../src/cli/suspend.js';
import type { JobFleet } from '../../src/jobs/placement.js';
import type { GceProvider } from '../../src/providers/gce/provider.js';
import { createFleetStore } from '../../src/state/store.js';
import type { ComputeApiFake } from '../harness/compute-api.js';
import { startCosWorker, type CosWorker } from '../harness/compute/cos-worker.js';
import { PROJECT, ZONE } from '../harness/compute/gce-worker.js';
import type { Backing } from '../harness/compute/vm-backing.js';
import type { TestDocker } from '../harness/docker.js';
import type { TestSshd } from '../harness/sshd.js';
import { captureIo } from '../support/cli-io.js';
import { waitFor } from '../support/ssh-fleet.js';

/** The state letter of a process (`T` when stopped by a signal), from /proc. */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/**
 * Suspend on a COS worker, end to end: `mission-control suspend` drives the real provider against the fake Compute
 * API, whose suspend takes seconds (SUSPENDING, then SUSPENDED) and freezes the VM: the sshd gets SIGSTOP and the
 * worker container is paused. A start (what a launch's ensureReady does) resumes it, and what ran in the container
 * carries on: same processes, same scrollback, the prompt still waiting for its answer.
 */
describe('GCE suspend and resume (real Compute client, fake API, real sshd + dockerd)', () => {
  let cos: CosWorker;
  let docker: TestDocker;
  let sshd: TestSshd;
  let fake: ComputeApiFake;
  let provider: GceProvider;
  let backing: Backing;
  const tmux = (...args: string[]) => provider.exec({ argv: ['tmux', '-u', '-L', 'mission-control', ...args] }, { timeoutMs: 15_000 });
  const screen = async () => (await tmux('capture-pane', '-p', '-S', '-', '-t', 'mc-agent')).stdout;

  beforeAll(async () => {
    // A suspend takes a while (the fake's default is a second, as GCE writes the memory out): seen as SUSPENDING.
    cos = await startCosWorker({ name: 'cos-1' });
    ({ docker, sshd, fake, provider, backing } = cos);
  });
  afterAll(() => cos?.close());

  it('mission-control suspend freezes the VM; a start resumes it and a waiting agent carries on with its pid and scrollback', async () => {
    await provider.provision();
    // An agent that printed a screenful and now waits for the user's answer.
    const agent = 'i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo scroll-$i; done; printf "Allow edit? [y/n] "; read a; echo answered-$a; sleep 300';
    expect((await tmux('new-session', '-d', '-s', 'mc-agent', '-x', '100', '-y', '20', 'sh', '-c', agent)).code).toBe(0);
    await waitFor('the agent to ask', async () => (await screen()).includes('Allow edit? [y/n]'));
    const pids = async () => (await tmux('display-message', '-p', '-t', 'mc-agent', '#{pid} #{pane_pid}')).stdout.trim();
    const before = { pids: await pids(), screen: await screen() };
    expect(before.screen).toContain('scroll-1\n');

    const store = createFleetStore();
    store.getState().setWorkers([{ name: 'cos-1', provider: 'gce-cos', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' }], undefined);
    const fleet: JobFleet = { store, provider: (name) => (name === 'cos-1' ? provider : undefined), worker: () => undefined };
    const io = captureIo();
    const suspending = runSuspend(fleet, ['cos-1'], io);
    await waitFor('the VM to be SUSPENDING', () => fake.instance(PROJECT, ZONE, 'cos-1')?.status === 'SUSPENDING');
    expect(await provider.refreshStatus()).toEqual({ state: 'suspending', detail: 'SUSPENDING' });
    expect(await suspending).toBe(0);
    expect(io.out()).toBe('cos-1 is suspended: start it (or launch on it, or attach to one of its jobs) to resume it\n');
    expect(io.err()).toMatch(/^ {2}suspending VM cos-1\n(.|\n)*  cos-1: SUSPENDED\n$/);
    const suspend = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/instances/cos-1/suspend'));
    expect(suspend).toHaveLength(1);
    expect(suspend[0]!.query.requestId).toMatch(/^[0-9a-f-]{36}$/);

    // Frozen, not ended: the container is paused, the sshd and its sessions are stopped by signal.
    expect(await provider.getStatus()).toEqual({ state: 'suspended', detail: 'SUSPENDED' });
    expect((await docker.docker(['inspect', '--format', '{{.State.Paused}}', 'maintainer-worker'])).stdout.trim()).toBe('true');
    expect(backing.frozen[0]).toBe(sshd.pid());
    for (const pid of backing.frozen) expect(processState(pid), `pid ${pid}`).toBe('T');
    // Nothing tries to reach a suspended VM: the scan is told why at once.
    await expect(provider.exec({ argv: ['true'] })).rejects.toThrow(/VM cos-1 is SUSPENDED/);

    // What a launch does first: the suspended VM is resumed (not started: no boot), then found ready.
    const steps: string[] = [];
    await provider.ensureReady((step) => steps.push(step));
    expect(steps).toContain('resuming VM cos-1');
    const lifecycle = fake.requests.filter((r) => r.method === 'POST' && /\/instances\/cos-1\/(start|resume)$/.test(r.path)).map((r) => r.path.split('/').at(-1));
    expect(lifecycle).toEqual(['resume']);
    expect(backing.boots).toHaveLength(1);
    expect(backing.frozen).toEqual([]);
    expect((await docker.docker(['inspect', '--format', '{{.State.Paused}}', 'maintainer-worker'])).stdout.trim()).toBe('false');

    expect(await pids()).toBe(before.pids);
    expect(await screen()).toBe(before.screen);
    expect((await tmux('send-keys', '-t', 'mc-agent', 'y', 'Enter')).code).toBe(0);
    await waitFor('the agent to take the answer', async () => (await screen()).includes('answered-y'));
  });

  it('attach WORKER/JOB resumes the suspended worker it names before looking for the job; a bare job id wakes nothing', async () => {
    const pids = (await tmux('display-message', '-p', '-t', 'mc-agent', '#{pid} #{pane_pid}')).stdout;
    await provider.suspend();
    const store = createFleetStore();
    store.getState().setWorkers([{ name: 'cos-1', provider: 'gce-cos', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' }], undefined);
    await refreshWorker(store, provider, 2000).catch(() => undefined);
    expect(store.getState().workers['cos-1']?.machine?.state).toBe('suspended');
    const fleet = { store, provider: (name: string) => (name === 'cos-1' ? provider : undefined) };
    const steps: string[] = [];
    expect(await wakeNamedWorker(fleet, 'mc-agent', (step) => steps.push(step))).toBeUndefined();
    expect(await wakeNamedWorker(fleet, 'cos-1/mc-agent', (step) => steps.push(step))).toBe('cos-1');
    expect(steps.slice(0, 2)).toEqual(['cos-1 is suspended: resuming it', 'resuming VM cos-1']);
    expect(await provider.getStatus()).toEqual({ state: 'running', detail: 'RUNNING' });
    expect((await tmux('display-message', '-p', '-t', 'mc-agent', '#{pid} #{pane_pid}')).stdout).toBe(pids);
    // Awake, the worker is left alone.
    await refreshWorker(store, provider, 2000);
    expect(await wakeNamedWorker(fleet, 'cos-1/mc-agent', (step) => steps.push(step))).toBeUndefined();
  });

  it('a VM that is not running cannot be suspended, and says so', async () => {
    await provider.stop();
    await expect(provider.suspend()).rejects.toThrow(
      'cos-1: cannot suspend VM cos-1: it is TERMINATED, and only a RUNNING VM can be suspended. A stopped VM keeps no memory to suspend; start it first if it should run',
    );
    expect(fake.requests.filter((r) => r.path.endsWith('/suspend'))).toHaveLength(2);
  });
});
