/**
 * What a GCE provider is built with besides its worker's config: the shared SSH pool and Compute client, where its
 * local files live, and the deadlines of its stages (tests shorten them).
 */
import type { GceWorkerConfig } from '../../config/schema.js';
import type { SshPool } from '../../ssh/pool.js';
import type { ComputeApi, ComputeInstance } from './compute-api.js';
import type { RouteMemory } from './local-state.js';
import type { OsLoginState } from './login-user.js';
import type { StageTimeouts } from './stages.js';

/** What GCE providers share besides the SSH pool. */
export interface GceProviderDeps {
  readonly pool: SshPool;
  readonly compute: ComputeApi;
  /** Where published host keys are recorded; default `$XDG_STATE_HOME/mission-control/known_hosts`. */
  readonly knownHostsFile?: string;
  /** Which path worked last, per VM; default a JSON file beside the known_hosts file. */
  readonly routes?: RouteMemory;
  /** The VM-side directory of the boot script's markers; default /run/mission-control. */
  readonly bootStateDir?: string;
  /** How long a Compute API status stays fresh for the poll loop; default 15 s. */
  readonly statusIntervalMs?: number;
  /** Per-stage deadlines of provision / start / stop / destroy. */
  readonly timeouts?: Partial<StageTimeouts>;
  /** How long the fast path may take to answer before IAP is tried; default 4 s. */
  readonly fastPathTimeoutMs?: number;
  /** The SSH user when the config names none and OS Login is off; default the local user name (as gcloud does). */
  readonly username?: string;
  /** Whether OS Login governs the worker's VM, and its login name; default: off. */
  readonly osLogin?: (worker: GceWorkerConfig) => Promise<OsLoginState>;
  /** Told of every instance read from the Compute API (the cost ledger records its timestamps). */
  readonly onInstance?: (instance: ComputeInstance) => void;
  /** How long refused logins are taken for a VM still booting (the guest agent installs keys) before giving up; default 60 s. */
  readonly refusedLoginGraceMs?: number;
}
