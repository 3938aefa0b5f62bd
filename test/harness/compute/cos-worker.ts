/**
 * A COS worker for end-to-end tests: the fake Compute API, a real sshd that backs the VM and a private dockerd
 * that its boot script starts `maintainer-worker` on, the worker's mounted directories under a noexec temp dir (as
 * on COS), and the real provider. `close()` undoes all of it, thawing a VM left suspended first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
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
  readonly provider: GceProvider;
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
}

/** Starts the pieces of a COS worker (not provisioned yet). */
export async function startCosWorker(options: CosWorkerOptions): Promise<CosWorker> {
  const docker = await sharedDocker();
  const image = await docker.buildWorkerImage();
  const sshd = await startSshdWithDocker(docker);
  const dir = await mkdtemp(join(tmpdir(), `mc-${options.name}-`));
  // As on COS, where the mounted directories live is mounted noexec (undone with the rest of `dir`'s mounts).
  await mountNoexec(dir);
  const fake = await startComputeApi(options.delays ? { delays: options.delays } : {});
  const pool = new SshPool({ hostKeyPolicy: 'strict', agent: '' });
  const worker = gceWorker({
    name: options.name,
    provider: 'gce-cos',
    ssh: { user: sshd.user, port: sshd.port, identityFile: sshd.clientKeyPath },
    iap: { enabled: false },
    sshConfigFile: await emptySshConfig(dir),
    container: { image, command: ['sleep', 'infinity'], mounts: (options.mounts ?? ['dev']).map((sub) => join(dir, sub)) },
    stateDir: join(dir, 'dev', 'state'),
    ...(options.spot ? { spot: true } : {}),
  });
  const deps = testDeps(fake, pool, dir);
  const backing = backWithSshd(fake.world, { sshd, bootStateDir: deps.bootStateDir!, env: docker.env });
  const provider = createGceProvider(worker, deps);
  const close = async () => {
    // Nothing stays frozen past the test, whatever failed.
    for (const pid of backing.frozen.splice(0)) process.kill(pid, 'SIGCONT');
    await docker.docker(['unpause', 'maintainer-worker']);
    await pool.close();
    await fake.close();
    await docker.docker(['rm', '-f', 'maintainer-worker']);
    await sshd.stop();
    // The boot script gave the mounted directories exec mounts of their own, as on COS.
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  };
  return { docker, sshd, fake, dir, worker, provider, backing, close };
}
