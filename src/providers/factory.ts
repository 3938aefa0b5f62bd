import type { WorkerConfig } from '../config/schema.js';
import type { SshPool } from '../ssh/pool.js';
import { resolveSshTarget, type SshTargetSpec } from '../ssh/target.js';
import { sharedComputeApi } from './gce/compute-api.js';
import { detectWorkerOsLogin } from './gce/os-login.js';
import { createGceProvider, type GceProviderDeps } from './gce/provider.js';
import { DockerProvider } from './docker.js';
import { LocalProvider } from './local.js';
import { SshProvider } from './ssh.js';
import type { WorkerProvider } from './types.js';

/** What providers share: the SSH pool (one connection per host), and for GCE workers the Compute API and local state. */
export interface ProviderDeps {
  readonly pool: SshPool;
  /** GCE settings; by default the shared Compute API (Application Default Credentials) and files under $XDG_STATE_HOME. */
  readonly gce?: Partial<Omit<GceProviderDeps, 'pool'>>;
}

/** Creates the provider for one configured worker. */
export function createProvider(worker: WorkerConfig, deps: ProviderDeps): WorkerProvider {
  const common = {
    name: worker.name,
    tmuxSocket: worker.tmuxSocket,
    stateDir: worker.stateDir,
    ...(worker.container ? { container: worker.container.name } : {}),
  };
  switch (worker.provider) {
    case 'local':
      return new LocalProvider(common);
    case 'ssh': {
      const spec = sshSpec(worker);
      return new SshProvider({
        ...common,
        attachArgs: sshAttachArgs(worker),
        connect: async () => deps.pool.connection(await resolveSshTarget(spec)),
        release: (connection) => deps.pool.release(connection),
      });
    }
    case 'gce-cos':
    case 'gce-linux': {
      // The Compute API's transport (google-auth-library) is loaded on the provider's first API call, not here.
      const compute = deps.gce?.compute ?? sharedComputeApi();
      return createGceProvider(worker, { compute, osLogin: (w) => detectWorkerOsLogin(compute, w), ...deps.gce, pool: deps.pool });
    }
    case 'docker':
      return new DockerProvider(worker);
  }
}

function sshSpec(worker: Extract<WorkerConfig, { provider: 'ssh' }>): SshTargetSpec {
  const file = worker.sshConfigFile ? { sshConfigFile: worker.sshConfigFile } : {};
  if ('alias' in worker.ssh) return { alias: worker.ssh.alias, ...file };
  return { ...worker.ssh, ...file };
}

/** Arguments for the user's own `ssh` that reach the same host the pool reaches (same config, same host-key checks). */
export function sshAttachArgs(worker: Extract<WorkerConfig, { provider: 'ssh' }>): string[] {
  const args = worker.sshConfigFile ? ['-F', worker.sshConfigFile] : [];
  if ('alias' in worker.ssh) return [...args, worker.ssh.alias];
  const { host, user, port, identityFile } = worker.ssh;
  if (port !== undefined) args.push('-p', String(port));
  if (user !== undefined) args.push('-l', user);
  if (identityFile !== undefined) args.push('-i', identityFile);
  return [...args, host];
}
