import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshWorker } from '../../src/app/refresh.js';
import type { GceProvider } from '../../src/providers/gce/provider.js';
import { createFleetStore } from '../../src/state/store.js';
import type { ComputeApiFake } from '../harness/compute-api.js';
import { startCosWorker, type CosWorker } from '../harness/compute/cos-worker.js';
import { PROJECT, ZONE } from '../harness/compute/gce-worker.js';
import { bootScriptOf, type Backing } from '../harness/compute/vm-backing.js';
import { unmountUnder, type TestDocker } from '../harness/docker.js';

/**
 * A COS worker end to end: the cloud-init user-data mission-control generated is what "boots" the VM (its boot script
 * runs against a private dockerd and starts the persistent container), the readiness marker is found over SSH, and
 * jobs run in the container, scanned like any other worker's.
 */
describe('GCE COS worker with its container (real Compute client, fake API, real sshd + dockerd)', () => {
  let cos: CosWorker;
  let docker: TestDocker;
  let fake: ComputeApiFake;
  let dir: string;
  let provider: GceProvider;
  let backing: Backing;

  beforeAll(async () => {
    cos = await startCosWorker({ name: 'cos-1', mounts: ['dev', '.gemini', '.offload'] });
    ({ docker, fake, dir, provider, backing } = cos);
  });
  afterAll(() => cos?.close());

  it('provisions: the user-data starts maintainer-worker (--restart always, same paths), readiness, then jobs run inside', async () => {
    const steps: string[] = [];
    const started = performance.now();
    await provider.provision((s) => steps.push(s));
    const provisionMs = performance.now() - started;
    expect(backing.boots).toMatchObject([{ instance: 'cos-1', code: 0 }]);
    expect(steps.at(-1)).toMatch(/^cos-1 is ready/);

    const inspect = await docker.docker(['inspect', '--format', '{{json .HostConfig.RestartPolicy.Name}} {{json .Mounts}}', 'maintainer-worker']);
    const [policy, mountsJson] = inspect.stdout.trim().split(' ');
    expect(JSON.parse(policy!)).toBe('always');
    const mounts = (JSON.parse(mountsJson!) as { Source: string; Destination: string }[]).map((m) => [m.Source, m.Destination]).sort();
    expect(mounts).toEqual([join(dir, '.gemini'), join(dir, '.offload'), join(dir, 'dev')].map((p) => [p, p]));

    // The session target is the container; a file written there is on the host at the same path.
    const written = await provider.exec({ argv: ['sh', '-c', `echo from-container > ${join(dir, 'dev', 'probe')} && cat /proc/1/cmdline | tr '\\0' ' '`] });
    expect(written).toMatchObject({ code: 0 });
    expect(written.stdout).toContain('sleep infinity');
    expect(await readFile(join(dir, 'dev', 'probe'), 'utf8')).toBe('from-container\n');
    // A tool kept in a mounted directory runs inside (node_modules/.bin, build scripts).
    expect(await runTool()).toMatchObject({ code: 0, stdout: 'tool ran\n' });

    // A job in the container's tmux is seen by the regular scan, through this provider.
    const session = await provider.exec({ argv: ['tmux', '-u', '-L', 'mission-control', 'new-session', '-d', '-s', 'mc-gce-job', 'sleep 300'] });
    expect(session.code).toBe(0);
    const store = createFleetStore();
    store.getState().setWorkers([{ name: 'cos-1', provider: 'gce-cos', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' }], undefined);
    await refreshWorker(store, provider, 2000);
    const state = store.getState();
    expect(state.workers['cos-1']).toMatchObject({ connection: 'up', path: 'direct', machine: { state: 'running', detail: 'RUNNING' } });
    expect(state.workers['cos-1']!.container).toMatchObject({ name: 'maintainer-worker', running: true });
    // A session without a job record is listed by its session, as an unmanaged job.
    expect((state.jobsByWorker['cos-1'] ?? []).map((j) => [j.session?.name, j.state])).toEqual([['mc-gce-job', 'running']]);
    console.log(`COS provision against the fake Compute API + sshd + dockerd: ${provisionMs.toFixed(0)} ms`);
  });

  /** Runs an executable script from the mounted ~/dev inside the container. */
  async function runTool() {
    const tool = join(dir, 'dev', 'tool.sh');
    await writeFile(tool, '#!/bin/sh\necho tool ran\n');
    await chmod(tool, 0o755);
    return provider.exec({ argv: [tool] });
  }

  it('after stop and start the same container comes back and the worker is ready again', async () => {
    await provider.stop();
    expect((await docker.docker(['inspect', '--format', '{{.State.Running}}', 'maintainer-worker'])).stdout.trim()).toBe('false');
    await provider.start();
    expect((await docker.docker(['inspect', '--format', '{{.State.Running}}', 'maintainer-worker'])).stdout.trim()).toBe('true');
    expect((await provider.exec({ argv: ['cat', join(dir, 'dev', 'probe')] })).stdout).toBe('from-container\n');
    expect(backing.boots.map((b) => b.code)).toEqual([0, 0]);
    expect(fake.instance(PROJECT, ZONE, 'cos-1')!.status).toBe('RUNNING');
    expect(await runTool()).toMatchObject({ code: 0, stdout: 'tool ran\n' });
  });

  it('a reboot: docker brings the container back before the exec mounts exist; the boot script restarts it with them', async () => {
    // Mounts do not survive a reboot, and docker restarts a restart-always container as soon as it starts.
    for (const sub of ['dev', '.gemini', '.offload']) await unmountUnder(join(dir, sub));
    await docker.docker(['restart', '-t', '1', 'maintainer-worker']);
    expect((await runTool()).code).toBe(126);
    // Then cloud-init runs the boot script again.
    const boot = await promisify(execFile)('bash', ['-c', bootScriptOf(fake.instance(PROJECT, ZONE, 'cos-1')!)!], { env: { ...process.env, ...docker.env } });
    expect(boot.stderr).toBe('');
    expect(await runTool()).toMatchObject({ code: 0, stdout: 'tool ran\n' });
  });
});
