import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HostKeyPolicy } from '../../src/config/schema.js';
import { RouteMemory } from '../../src/providers/gce/local-state.js';
import { createGceProvider } from '../../src/providers/gce/provider.js';
import { isSshError } from '../../src/ssh/errors.js';
import { SshPool } from '../../src/ssh/pool.js';
import { startComputeApi, type ComputeApiFake } from '../harness/compute-api.js';
import { emptySshConfig, gceWorker, PROJECT, testDeps, ZONE } from '../harness/compute/gce-worker.js';
import { writeIapStandIn, type IapStandIn } from '../harness/compute/iap-stand-in.js';
import { backWithSshd } from '../harness/compute/vm-backing.js';
import { run } from '../harness/process.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';

/**
 * The IAP fallback: the fast path fails (a firewall that resets connections), the stand-in for
 * `gcloud compute start-iap-tunnel --listen-on-stdin` pipes the connection to the real sshd. Host keys are checked on
 * that path too.
 */
describe('GCE connectivity: fast path, IAP fallback, host keys on both', () => {
  let sshd: TestSshd;
  let fake: ComputeApiFake;
  let dir: string;
  let iap: IapStandIn;
  let firewall: Server;
  let fastPathAttempts: number;
  let firewallPort: number;
  const pools: SshPool[] = [];

  const newPool = (hostKeyPolicy: HostKeyPolicy = 'strict') => {
    const pool = new SshPool({ hostKeyPolicy, agent: '', backoff: { initialMs: 100, maxMs: 1000 } });
    pools.push(pool);
    return pool;
  };
  const worker = async (extra: Record<string, unknown> = {}) =>
    gceWorker({
      name: 'iap-1',
      provider: 'gce-linux',
      ssh: { user: sshd.user, port: firewallPort, identityFile: sshd.clientKeyPath },
      sshConfigFile: await emptySshConfig(dir),
      iap: { command: iap.command },
      ...extra,
    });
  /** A RUNNING VM made outside mission-control, "at" the sshd, publishing `hostKey` (or nothing). */
  const existingVm = (hostKey: string | undefined) => {
    const instance = fake.world.addInstance(PROJECT, ZONE, { name: 'iap-1', machineType: 'zones/us-central1-a/machineTypes/e2-small', networkInterfaces: [{}] });
    instance.networkIP = '127.0.0.1';
    if (hostKey) {
      const [type, value] = hostKey.split(' ');
      instance.guestAttributes = [{ namespace: 'hostkeys', key: type!, value: value! }];
    }
    return instance;
  };

  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-gce-iap-'));
    fake = await startComputeApi();
    iap = await writeIapStandIn(dir, sshd.host, sshd.port);
    fastPathAttempts = 0;
    // A firewall in the way of the fast path: it accepts and resets every connection.
    firewall = createServer((socket) => {
      fastPathAttempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => firewall.listen(0, '127.0.0.1', resolve));
    firewallPort = (firewall.address() as { port: number }).port;
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
    await fake.close();
    await new Promise((resolve) => firewall.close(resolve));
    await sshd.restart();
    await rm(dir, { recursive: true, force: true });
  });

  it('falls back to IAP when the fast path fails, shows it, remembers it, and attaches the same way', async () => {
    const deps = testDeps(fake, newPool(), dir);
    backWithSshd(fake.world, { sshd, bootStateDir: deps.bootStateDir! });
    const provider = createGceProvider(await worker(), deps);
    const steps: string[] = [];
    await provider.provision((s) => steps.push(s));

    expect(steps).toContain('connected through IAP; waiting for the worker to be ready');
    expect(provider.connectionPath()).toBe('iap');
    expect((await provider.exec({ argv: ['echo', 'via-iap'] })).stdout).toBe('via-iap\n');
    expect(fastPathAttempts).toBeGreaterThanOrEqual(1);
    const invocations = await iap.invocations();
    expect(invocations.at(-1)).toEqual([
      'compute',
      'start-iap-tunnel',
      'iap-1',
      '22',
      '--listen-on-stdin',
      `--zone=${ZONE}`,
      `--project=${PROJECT}`,
      '--verbosity=warning',
    ]);
    expect(JSON.parse(await readFile(join(dir, 'routes.json'), 'utf8'))).toEqual({ [`${PROJECT}/${ZONE}/iap-1`]: 'iap' });

    const attach = provider.attachCommand('$3');
    const id = fake.instance(PROJECT, ZONE, 'iap-1')!.id;
    expect(attach.argv).toEqual([
      'ssh',
      '-t',
      '-F',
      join(dir, 'ssh_config'),
      '-o',
      `ProxyCommand=${iap.command} compute start-iap-tunnel iap-1 22 --listen-on-stdin --zone=${ZONE} --project=${PROJECT} --verbosity=warning`,
      '-o',
      `HostKeyAlias=compute.${id}`,
      '-o',
      expect.stringMatching(new RegExp(`^UserKnownHostsFile="${join(dir, 'known_hosts')}" `)),
      '-i',
      sshd.clientKeyPath,
      '-l',
      sshd.user,
      'iap-1',
      '--',
      "tmux -u -L mission-control set-option -wu -t '$3' window-size ';' attach-session -t '$3'",
    ]);
    // The user's own ssh really gets in with those arguments (same keys, same host key check, same tunnel).
    const viaOpenSsh = await run(attach.argv[0]!, [...attach.argv.slice(1, -2), '-o', 'BatchMode=yes', '--', 'echo openssh-ok'], { allowFailure: true });
    expect(viaOpenSsh.stdout).toBe('openssh-ok\n');

    // A new provider (a restart of mission-control) goes straight to IAP: the fast path is not tried.
    const before = fastPathAttempts;
    const again = createGceProvider(await worker(), { ...testDeps(fake, newPool(), dir), routes: new RouteMemory(join(dir, 'routes.json')) });
    expect((await again.exec({ argv: ['echo', 'remembered'] })).stdout).toBe('remembered\n');
    expect(again.connectionPath()).toBe('iap');
    expect(fastPathAttempts).toBe(before);
  });

  it('verifies the host key on the IAP path: a key other than the published one is refused, without another fallback', async () => {
    const other = join(dir, 'other_host_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const wrongKey = (await readFile(`${other}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
    const vm = existingVm(wrongKey);
    const provider = createGceProvider(await worker(), testDeps(fake, newPool(), dir));

    const error = await provider.exec({ argv: ['true'] }).catch((e: unknown) => e);
    expect(isSshError(error, 'host-key-changed')).toBe(true);
    expect((error as Error).message).toContain(`the host key of compute.${vm.id} has CHANGED`);
    expect(await iap.invocations()).toHaveLength(1);
    expect(provider.connectionPath()).toBeUndefined();
  });

  it('without published keys the normal policy applies on the IAP path: strict refuses, accept-new records', async () => {
    existingVm(undefined);
    const strict = createGceProvider(await worker(), testDeps(fake, newPool('strict'), dir));
    const refused = await strict.exec({ argv: ['true'] }).catch((e: unknown) => e);
    expect(isSshError(refused, 'host-key-unknown')).toBe(true);
    expect((refused as Error).message).toContain('the host key of iap-1 is not known');

    const lenient = createGceProvider(await worker(), testDeps(fake, newPool('accept-new'), dir));
    expect((await lenient.exec({ argv: ['echo', 'ok'] })).stdout).toBe('ok\n');
    expect(lenient.connectionPath()).toBe('iap');
    expect(await readFile(join(dir, 'known_hosts'), 'utf8')).toBe(`iap-1 ${sshd.hostPublicKey}\n`);
  });

  it('a host key problem on the fast path is fatal: no fallback to IAP', async () => {
    const other = join(dir, 'other_host_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    existingVm((await readFile(`${other}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' '));
    const provider = createGceProvider(await worker({ ssh: { user: sshd.user, port: sshd.port, identityFile: sshd.clientKeyPath } }), testDeps(fake, newPool(), dir));
    const error = await provider.exec({ argv: ['true'] }).catch((e: unknown) => e);
    expect(isSshError(error, 'host-key-changed')).toBe(true);
    expect(await iap.invocations()).toEqual([]);
  });

  it('with IAP disabled, an unreachable fast path says so and what to check', async () => {
    existingVm(sshd.hostPublicKey);
    const provider = createGceProvider(await worker({ iap: { enabled: false } }), testDeps(fake, newPool(), dir));
    await expect(provider.exec({ argv: ['true'] })).rejects.toThrow(
      `iap-1: cannot reach VM iap-1 over SSH (directly: 127.0.0.1:${firewallPort} closed the connection without an SSH banner) ` +
        '(Check your network or VPN, or enable the IAP fallback (iap.enabled: true))',
    );
    expect(await iap.invocations()).toEqual([]);
  });
});
