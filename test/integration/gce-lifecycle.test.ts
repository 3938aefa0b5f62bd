import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGceProvider, type GceProvider } from '../../src/providers/gce/provider.js';
import { SshPool } from '../../src/ssh/pool.js';
import { startComputeApi, type ComputeApiFake } from '../harness/compute-api.js';
import { emptySshConfig, gceWorker, PROJECT, testDeps, ZONE } from '../harness/compute/gce-worker.js';
import { backWithSshd, type Backing } from '../harness/compute/vm-backing.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';

/**
 * A gce-linux worker end to end: the Compute API calls (REST through google-auth-library) against the local Compute server, the "VM" backed
 * by a real sshd whose boot script (the startup-script mission-control generated) really runs.
 */
describe('GCE Linux worker lifecycle (Compute REST calls, local Compute server, real sshd)', () => {
  let fake: ComputeApiFake;
  let sshd: TestSshd;
  let dir: string;
  let pool: SshPool;
  let provider: GceProvider;
  let backing: Backing;
  let steps: string[];

  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-gce-life-'));
    fake = await startComputeApi();
    pool = new SshPool({ hostKeyPolicy: 'strict', agent: '', backoff: { initialMs: 100, maxMs: 1000 } });
    const worker = gceWorker({
      name: 'linux-1',
      provider: 'gce-linux',
      ssh: { user: sshd.user, port: sshd.port, identityFile: sshd.clientKeyPath },
      iap: { enabled: false },
      sshConfigFile: await emptySshConfig(dir),
      tmuxSocket: join(sshd.home, 'tmux.sock'),
      stateDir: join(sshd.home, 'state'),
    });
    const deps = testDeps(fake, pool, dir);
    backing = backWithSshd(fake.world, { sshd, bootStateDir: deps.bootStateDir! });
    provider = createGceProvider(worker, deps);
    steps = [];
  });
  afterEach(async () => {
    await pool.close();
    await fake.close();
    await sshd.restart();
    await rm(dir, { recursive: true, force: true });
  });

  it('provisions: insert, operation DONE (wait answered RUNNING first), RUNNING, SSH, boot script ready, then exec', async () => {
    expect(await provider.getStatus()).toEqual({ state: 'missing', detail: 'not found' });
    const started = performance.now();
    await provider.provision((step) => steps.push(step));
    const provisionMs = performance.now() - started;

    expect(steps[0]).toBe('creating VM linux-1 in us-central1-a: e2-standard-4, 200 GB pd-balanced, debian-cloud/global/images/family/debian-12');
    expect(steps).toContain('linux-1: RUNNING');
    expect(steps.some((s) => s.startsWith('connected directly'))).toBe(true);
    expect(steps.at(-1)).toMatch(/^linux-1 is ready \(\d+\.\d s\)$/);
    // The boot script really ran and wrote the marker the readiness check found.
    expect(backing.boots).toEqual([{ instance: 'linux-1', code: 0, output: '' }]);
    expect(await readFile(join(dir, 'boot-state', 'ready'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT/);

    // zoneOperations.wait was called more than once: it answered RUNNING before DONE.
    const operation = fake.requestsTo('POST', /\/operations\/[^/]+\/wait$/);
    expect(operation.length).toBeGreaterThan(1);
    expect(new Set(operation.map((r) => r.path)).size).toBe(1);
    expect(operation[0]!.path).toMatch(new RegExp(`/projects/${PROJECT}/zones/${ZONE}/operations/operation-`));

    expect(await provider.getStatus()).toEqual({ state: 'running', detail: 'RUNNING' });
    expect(provider.connectionPath()).toBe('direct');
    const result = await provider.exec({ argv: ['sh', '-c', 'echo "$HOME"'] });
    expect(result).toMatchObject({ code: 0, stdout: `${sshd.home}\n` });
    // Host key verified against the key the VM published (recorded under compute.<id>), not trusted blindly.
    const id = fake.instance(PROJECT, ZONE, 'linux-1')!.id;
    expect(await readFile(join(dir, 'known_hosts'), 'utf8')).toBe(`compute.${id} ${sshd.hostPublicKey}\n`);
    console.log(`provision against the fake Compute API + sshd: ${provisionMs.toFixed(0)} ms`);
  });

  it('maps GCE states through transitions: missing → provisioning → starting → running → stopping → stopped', async () => {
    // Slow transitions, so a poll every 20 ms sees every state even on a loaded machine.
    Object.assign(fake.world.delays, { provisioning: 400, staging: 400, stopping: 400 });
    const seen: string[] = [];
    const record = async () => {
      const status = await provider.refreshStatus();
      const label = `${status.state}:${status.detail}`;
      if (seen.at(-1) !== label) seen.push(label);
    };
    await record();
    const provisioning = provider.provision();
    while (!seen.includes('running:RUNNING')) {
      await record();
      await new Promise((r) => setTimeout(r, 20));
    }
    await provisioning;
    const stopping = provider.stop();
    while (!seen.includes('stopped:TERMINATED')) {
      await record();
      await new Promise((r) => setTimeout(r, 20));
    }
    await stopping;
    expect(seen).toEqual([
      'missing:not found',
      'provisioning:PROVISIONING',
      'starting:STAGING',
      'running:RUNNING',
      'stopping:STOPPING',
      'stopped:TERMINATED',
    ]);
  });

  it('caches status for the poll loop and refreshes it after lifecycle operations', async () => {
    await provider.provision();
    const gets = () => fake.requestsTo('GET', /\/instances\/linux-1$/).length;
    const before = gets();
    for (let i = 0; i < 20; i++) await provider.getStatus();
    expect(gets()).toBe(before);

    await provider.stop((s) => steps.push(s));
    // No wait for the cache to expire: the state is current right after the operation.
    expect(await provider.getStatus()).toEqual({ state: 'stopped', detail: 'TERMINATED' });
    expect(provider.connectionPath()).toBeUndefined();
    // A stopped VM fails fast, with what to do, without trying both paths.
    await expect(provider.exec({ argv: ['true'] })).rejects.toThrow('linux-1: VM linux-1 is TERMINATED (start the worker)');

    await provider.start((s) => steps.push(s));
    expect(await provider.getStatus()).toEqual({ state: 'running', detail: 'RUNNING' });
    expect((await provider.exec({ argv: ['echo', 'back'] })).stdout).toBe('back\n');
    expect(backing.boots.map((b) => b.code)).toEqual([0, 0]);
    expect(steps).toEqual(expect.arrayContaining(['stopping VM linux-1', 'linux-1: TERMINATED', 'starting VM linux-1']));
  });

  it('ensureReady wakes a suspended VM; destroy deletes it; rebuild recreates it', async () => {
    await provider.provision();
    const compute = testDeps(fake, pool, dir).compute;
    const suspend = await compute.lifecycle({ project: PROJECT, zone: ZONE, instance: 'linux-1' }, 'suspend');
    await compute.waitOperation(PROJECT, ZONE, suspend, { action: 'suspending', project: PROJECT });
    expect(await provider.refreshStatus()).toEqual({ state: 'suspended', detail: 'SUSPENDED' });

    await provider.ensureReady((s) => steps.push(s));
    expect(steps).toContain('resuming VM linux-1');
    expect((await provider.exec({ argv: ['echo', 'awake'] })).stdout).toBe('awake\n');

    const firstId = fake.instance(PROJECT, ZONE, 'linux-1')!.id;
    await provider.rebuild((s) => steps.push(s));
    const secondId = fake.instance(PROJECT, ZONE, 'linux-1')!.id;
    expect(secondId).not.toBe(firstId);
    expect(fake.requestsTo('DELETE', /\/instances\/linux-1$/)).toHaveLength(1);
    expect((await provider.exec({ argv: ['echo', 'rebuilt'] })).stdout).toBe('rebuilt\n');

    await provider.destroy();
    expect(await provider.getStatus()).toEqual({ state: 'missing', detail: 'not found' });
    await expect(provider.start()).rejects.toThrow(/linux-1: VM linux-1 does not exist in mc-test-project\/us-central1-a\. Provision the worker/);
  });
});
