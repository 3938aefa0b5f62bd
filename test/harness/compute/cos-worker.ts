/**
 * A COS worker for end-to-end tests: the fake Compute API, a real sshd that backs the VM and a private dockerd
 * that its boot script starts `maintainer-worker` on, the worker's mounted directories under a noexec temp dir (as
 * on COS), and the real provider. `close()` undoes all of it, thawing a VM left suspended first.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GceWorkerConfig } from '../../../src/config/schema.js';
import { createGceProvider, type GceProvider } from '../../../src/providers/gce/provider.js';
import { SshPool } from '../../../src/ssh/pool.js';
import { startComputeApi, type ComputeApiFake } from '../compute-api.js';
import { mountNoexec, sharedDocker, startSshdWithDocker, unmountUnder, type TestDocker } from '../docker.js';
import type { TestSshd } from '../sshd.js';
import { emptySshConfig, gceWorker, testDeps } from './gce-worker.js';
import type { TransitionDelays } from './state.js';
import { backWithSshd, type Backing } from './vm-backing.js';

/** Everything a COS worker test runs against. */
export interface CosWorker {
  readonly docker: TestDocker;
  readonly sshd: TestSshd;
  readonly fake: ComputeApiFake;
  /** The temp dir holding the mounts, the state dir and the provider's files. */
  readonly dir: string;
  /** The worker's config, as the real parser resolved it. */
  readonly worker: GceWorkerConfig;
  /** The worker's config entry as written (project and zone aside), for a config file. */
  readonly entry: Readonly<Record<string, unknown>>;
  readonly provider: GceProvider;
  /** The provider's SSH pool. */
  readonly pool: SshPool;
  readonly backing: Backing;
  close(): Promise<void>;
}

/** Options for {@link startCosWorker}. */
export interface CosWorkerOptions {
  readonly name: string;
  /** The container's mounted directories, under `dir`; default `dev`. */
  readonly mounts?: readonly string[];
  readonly delays?: Partial<TransitionDelays>;
  /** A Spot VM (`spot: true`). */
  readonly spot?: boolean;
  /**
   * Extra fields of the worker's config entry (e.g. `idle`), which {@link CosWorker.entry} carries too, for a
   * config file the built binary reads.
   */
  readonly entry?: Readonly<Record<string, unknown>>;
  /**
   * The VM's sshd sees its own /run (under `dir`, in a mount namespace of its own), and the boot script writes its
   * markers to `/run/mission-control` there: where a provider without a `bootStateDir` (the built binary's) looks.
   */
  readonly privateRun?: boolean;
  /**
   * The login's HOME is one of the container's mounts, as the boot script mounts a non-root user's home (the test
   * logs in as root, whose home it leaves to the image): jobs that run in `~` find it in the container.
   */
  readonly mountHome?: boolean;
}

/** Starts the pieces of a COS worker (not provisioned yet). */
export async function startCosWorker(options: CosWorkerOptions): Promise<CosWorker> {
  const docker = await sharedDocker();
  const image = await docker.buildWorkerImage();
  const dir = await mkdtemp(join(tmpdir(), `mc-${options.name}-`));
  // The VM's /run: sshd's privilege separation directory and the boot markers, seen at /run by its sessions only.
  const run = join(dir, 'run');
  if (options.privateRun) await mkdir(join(run, 'sshd'), { recursive: true });
  const launcher = ['unshare', '-m', '--propagation', 'slave', 'sh', '-c', 'mount --bind "$0" /run && exec "$@"', run];
  const sshd = await startSshdWithDocker(docker, options.privateRun ? { launcher } : {});
  // As on COS, where the mounted directories live is mounted noexec (undone with the rest of `dir`'s mounts).
  await mountNoexec(dir);
  const fake = await startComputeApi(options.delays ? { delays: options.delays } : {});
  const pool = new SshPool({ hostKeyPolicy: 'strict', agent: '' });
  const entry = {
    name: options.name,
    provider: 'gce-cos',
    ssh: { user: sshd.user, port: sshd.port, identityFile: sshd.clientKeyPath },
    iap: { enabled: false },
    sshConfigFile: await emptySshConfig(dir),
    container: { image, command: ['sleep', 'infinity'], mounts: [...(options.mounts ?? ['dev']).map((sub) => join(dir, sub)), ...(options.mountHome ? [sshd.home] : [])] },
    stateDir: join(dir, 'dev', 'state'),
    ...(options.spot ? { spot: true } : {}),
    ...options.entry,
  };
  const worker = gceWorker(entry);
  const deps = testDeps(fake, pool, dir, options.privateRun ? { bootStateDir: join(run, 'mission-control') } : {});
  const backing = backWithSshd(fake.world, { sshd, bootStateDir: deps.bootStateDir!, env: docker.env });
  const provider = createGceProvider(worker, deps);
  const close = async () => {
    // Nothing stays frozen past the test, whatever failed.
    for (const pid of backing.frozen.splice(0)) process.kill(pid, 'SIGCONT');
    await docker.docker(['unpause', 'maintainer-worker']);
    await pool.close();
    await fake.close();
    await docker.docker(['rm', '-f', 'maintainer-worker']);
    // The boot script gave a mounted home an exec mount of its own too.
    if (options.mountHome) await unmountUnder(sshd.home);
    await sshd.stop();
    // The boot script gave the mounted directories exec mounts of their own, as on COS.
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  };
  return { docker, sshd, fake, dir, worker, entry, provider, pool, backing, close };
}
