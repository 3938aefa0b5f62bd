import type { IdlePolicy } from '../config/idle-schema.js';
import type { IdleMemory } from './idle.js';
import type { ConnectionPath, MachineStatus, ProviderKind } from '../providers/types.js';
import type { CostEstimate } from '../providers/gce/pricing.js';
import type { ContainerInfo, HostInfo } from '../scanners/worker-scan/types.js';
import type { UsageRates } from './ledger.js';

/** Whether mission-control can talk to a worker right now. */
export type ConnectionState = 'connecting' | 'up' | 'down';

/** A worker as the dashboard sees it. */
export interface WorkerView {
  readonly name: string;
  readonly provider: ProviderKind;
  readonly maxJobs: number;
  readonly pollIntervalMs: number;
  /** Machine state from the provider (VM state for cloud workers; `running` for reachable hosts). */
  readonly machine: MachineStatus | undefined;
  readonly connection: ConnectionState;
  readonly path: ConnectionPath | undefined;
  readonly rttMs: number | undefined;
  /** The last error, kept until a refresh succeeds. */
  readonly lastError: string | undefined;
  /** When the last successful refresh finished (ms since epoch). */
  readonly lastRefresh: number | undefined;
  /** How long the last successful scan took, in milliseconds. */
  readonly scanMs: number | undefined;
  /** Failed refreshes in a row. */
  readonly failures: number;
  readonly host: HostInfo | undefined;
  readonly container: ContainerInfo | undefined;
  /** What tmux said when it failed for another reason than "no server". */
  readonly tmuxError: string | undefined;
  /**
   * What the last successful scan could not read or did not trust (a record skipped, a part cut short), in short
   * texts, raw (views sanitize them). Kept while the worker is down: they describe the last time it was seen.
   */
  readonly problems: readonly string[];
  /** Estimated cost of a cloud worker (undefined for workers that cost nothing extra). */
  readonly cost?: CostEstimate;
  /** When the worker is suspended or stopped for having nothing to do (`idle:` in its config), if ever. */
  readonly idle?: IdlePolicy | undefined;
  /** What the idle countdown remembers across scans (when the worker was last kept up, when it came up). */
  readonly idleMemory?: IdleMemory | undefined;
  /** What a cloud worker costs per hour running, suspended and stopped, as the cost ledger bills it. */
  readonly rates?: UsageRates;
}

/**
 * What a job is doing, derived from its tmux session and the records its wrapper writes. `working`, `waiting` and
 * `done` are what the job's program reported (an agent busy, asking the user, finished its turn); `running` and
 * `idle` are for programs that report nothing.
 */
export type JobState = 'running' | 'idle' | 'working' | 'waiting' | 'done' | 'exited' | 'failed' | 'lost' | 'unknown';

/** A job: one tmux session (and its record) on one worker. */
export interface Job {
  /**
   * Unique across the fleet and stable across scans: `worker/<record id>` for a job with a record, and
   * `worker/<session id>` (`local/$3`) for a session with no record (started by hand, or its record gone). Record
   * ids are letters, digits, `_` and `-`, so the two forms never meet.
   */
  readonly key: string;
  /** The job's id on its worker: the record directory's name, or the session id (`$3`) of a session with no record. */
  readonly id: string;
  readonly worker: string;
  readonly kind: string;
  /** The agent preset the job runs (`claude`, `gemini`, `codex`), when its kind names one. */
  readonly agent?: string;
  /** How many times the job was resumed in place (`mission-control resume`); absent when never. */
  readonly resumeCount?: number;
  readonly params: Readonly<Record<string, string>>;
  /** The command the job runs, as argv (from its record) or the pane's current command. */
  readonly command: readonly string[];
  readonly state: JobState;
  /** Why the job is in that state, in a few words. */
  readonly reason: string;
  /** When the job entered its current state (ms since epoch, our clock). */
  readonly since: number;
  readonly exitCode: number | undefined;
  /** Last output, Unix seconds on the worker's clock. */
  readonly lastOutputAt: number | undefined;
  /** Launch time, Unix seconds. */
  readonly createdAt: number | undefined;
  /**
   * The job's tmux session as the scan saw it: `id` (`$N`) is how actions address it, `name` and `created` (Unix
   * seconds on the worker) are checked at action time so a replaced session is never hit instead.
   */
  readonly session: { readonly id: string; readonly name: string; readonly attached: number; readonly created?: number } | undefined;
  /** The first pane: where captures and keys go. */
  readonly paneId: string | undefined;
  /** True when no record exists: a session someone started by hand on the private socket. */
  readonly adhoc: boolean;
  /** The worker's clock minus ours, seconds, at the scan that produced this job. */
  readonly clockSkew: number;
}
