/**
 * The WorkerProvider abstraction: one interface for every kind of worker (this machine, an SSH host,
 * a GCE VM with or without a container). Providers do I/O only; they never import the store or the UI.
 */

declare const observationBrand: unique symbol;

/** A command that only reads state from a worker; made by {@link observation}, checked at run time. */
export type Observation = RemoteCommand & { readonly [observationBrand]: true };

const observations = new WeakSet<object>();

/** Marks a command as read-only. Only scanners and readers call this, on commands they build themselves. */
export function observation(command: RemoteCommand): Observation {
  const frozen = Object.freeze('argv' in command ? { argv: Object.freeze([...command.argv]) } : { script: command.script });
  observations.add(frozen);
  return frozen as unknown as Observation;
}

/** True when `command` was made by {@link observation}. */
export function isObservation(command: unknown): command is Observation {
  return typeof command === 'object' && command !== null && observations.has(command);
}

/** What to run: an argv array (never parsed by a shell) or a script for `sh -c` built with `shellQuote`. */
export type RemoteCommand = { readonly argv: readonly string[] } | { readonly script: string };

/** Where a command runs: the session host (inside the container when the worker has one) or the host itself. */
export type ExecTarget = 'session' | 'host';

/** Options for one command. */
export interface ExecOptions {
  /** Where to run; default `session`. */
  readonly target?: ExecTarget;
  /** Give up (and close the channel) after this many milliseconds; default 30 s. */
  readonly timeoutMs?: number;
  /**
   * The most the command may print, stdout and stderr together; default 16 MiB (`DEFAULT_MAX_OUTPUT_BYTES`), never
   * above 256 MiB. Past it the command is stopped and the call rejects with an `OutputLimitError` naming the cap.
   */
  readonly maxOutputBytes?: number;
  /** Bytes written to the command's standard input, then closed. */
  readonly stdin?: string | Buffer;
  /** Aborts the command. */
  readonly signal?: AbortSignal;
  /**
   * The command is short (well under a second): an SSH worker may run it on its long-lived shell, saving the round
   * trip of opening a channel. Never for a command that can take long: it would hold up the worker's scans.
   */
  readonly quick?: boolean;
}

/** Options for {@link WorkerObserver.stream}. */
export interface StreamOptions {
  /** Where to run; default `host`. */
  readonly target?: ExecTarget;
  /** Ends the stream (its processes are killed). */
  readonly signal: AbortSignal;
  /** The stream ends after this many milliseconds (its processes are killed); the caller may open a new one. */
  readonly timeoutMs: number;
  /** The most the command may print on stderr (stdout is streamed, not kept); default 16 MiB. */
  readonly maxOutputBytes?: number;
}

/** The outcome of one command: its exit code and what it wrote. */
export interface ExecResult {
  /** Exit code; `null` when the command was ended by a signal. */
  readonly code: number | null;
  /** The signal that ended it, if any. */
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** The kinds of provider mission-control knows. */
export type ProviderKind = 'local' | 'ssh' | 'gce-cos' | 'gce-linux' | 'docker';

/** Whether a provider kind is a GCE VM (priced, suspendable, in the cost ledger and under the budget). */
export function isGceKind(kind: unknown): kind is 'gce-cos' | 'gce-linux' {
  return kind === 'gce-cos' || kind === 'gce-linux';
}

/** The machine state a provider reports, before connectivity is taken into account. */
export type MachineState =
  | 'running'
  | 'provisioning'
  | 'starting'
  | 'stopping'
  | 'stopped'
  /** Going to sleep with its memory kept (GCE's SUSPENDING). */
  | 'suspending'
  | 'suspended'
  | 'missing'
  | 'unknown';

/** What `getStatus` says about a worker's machine. */
export interface MachineStatus {
  readonly state: MachineState;
  /** The provider's own word for it (e.g. GCE's `TERMINATED`), shown beside the state. */
  readonly detail?: string;
}

/** How a connection to a worker is made, shown in the dashboard. */
export type ConnectionPath = 'local' | 'direct' | 'proxy-jump' | 'proxy-command' | 'iap';

/** A program to run on this machine, in the user's terminal, that attaches to a job's tmux session. */
export interface AttachCommand {
  readonly argv: readonly string[];
  /** Extra environment for the program. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Reports progress of a long operation, one short line at a time. */
export type ProgressReporter = (step: string) => void;

/** The tmux server a worker's jobs live on. */
export interface TmuxServer {
  /** `-S path` or `-L name` arguments, ready for tmux's argv. */
  readonly socketArgs: readonly string[];
}

/** The read-only part of a provider: everything that observes, nothing that changes the fleet. */
export interface WorkerObserver {
  readonly name: string;
  readonly kind: ProviderKind;
  /** The tmux server jobs run on. */
  readonly tmux: TmuxServer;
  /** The container jobs run in, if any. */
  readonly containerName: string | undefined;
  /** The directory on the session host where job records live (may start with `~/`). */
  readonly stateDir: string;
  /** Machine state as the platform sees it (cheap; no session-host round trip for local/ssh). */
  getStatus(): Promise<MachineStatus>;
  /**
   * Runs a command that only observes (a scan, a pane capture, a log read). Only commands made by
   * {@link observation} are accepted, so a read-only view cannot be used to change anything.
   */
  observe(command: Observation, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Runs a long-lived command that only observes (a watcher), handing its stdout to `onChunk` as it arrives
   * instead of collecting it. Resolves with its exit (empty `stdout`) when the command ends by itself; rejects at the
   * time limit, on abort, or when the connection drops. Either way the caller may open a new one. Only commands
   * made by {@link observation}.
   */
  stream(command: Observation, onChunk: (chunk: Buffer) => void, options: StreamOptions): Promise<ExecResult>;
  /** The connection path in use, or undefined before the first connection. */
  connectionPath(): ConnectionPath | undefined;
  /** Round-trip time of the last exchange with the worker, in milliseconds. */
  roundTripMs(): number | undefined;
  /**
   * The argv that attaches the user's terminal to a tmux session (by id, e.g. `$3`); `readOnly` attaches
   * as a read-only client (`attach-session -r`): keys are not passed to the job.
   */
  attachCommand(sessionId: string, options?: { readonly readOnly?: boolean }): AttachCommand;
  /** Closes connections this provider holds. */
  close(): Promise<void>;
}

/** A worker provider: observation plus the lifecycle operations that change the fleet. */
export interface WorkerProvider extends WorkerObserver {
  /** Runs any command on the worker (container wrapping applied for the `session` target). */
  exec(command: RemoteCommand, options?: ExecOptions): Promise<ExecResult>;
  /** Makes the worker able to run jobs now: wakes a stopped machine, recreates a missing container. */
  ensureReady(progress?: ProgressReporter): Promise<void>;
  provision(progress?: ProgressReporter): Promise<void>;
  start(progress?: ProgressReporter): Promise<void>;
  stop(progress?: ProgressReporter): Promise<void>;
  /**
   * Suspends the machine with its memory kept (tmux sessions and agents waiting for the user survive) and waits
   * until it is suspended; `start` and `ensureReady` wake it. Only GCE VMs can; other providers reject with
   * {@link UnsupportedOperationError}.
   */
  suspend(progress?: ProgressReporter): Promise<void>;
  rebuild(progress?: ProgressReporter): Promise<void>;
  destroy(progress?: ProgressReporter): Promise<void>;
}

/** The names of the operations that change the fleet; absent from a read-only view. */
export const MUTATING_OPERATIONS = ['exec', 'ensureReady', 'provision', 'start', 'stop', 'suspend', 'rebuild', 'destroy'] as const;

/** Raised when a provider cannot do an operation at all (e.g. `provision` on the local worker). */
export class UnsupportedOperationError extends Error {
  override readonly name = 'UnsupportedOperationError';
  constructor(
    readonly worker: string,
    readonly operation: string,
    readonly reason: string,
  ) {
    super(`${worker}: ${operation} is not supported: ${reason}`);
  }
}

/** Raised when a worker cannot be reached; carries what to try next. */
export class WorkerUnreachableError extends Error {
  override readonly name = 'WorkerUnreachableError';
  constructor(
    readonly worker: string,
    message: string,
    readonly hint?: string,
  ) {
    super(`${worker}: ${message}${hint ? ` (${hint})` : ''}`);
  }
}

/** Raised by a read-only view when something tries to change the fleet through it. */
export class ReadOnlyError extends Error {
  override readonly name = 'ReadOnlyError';
  constructor(readonly operation: string) {
    super(`${operation} refused: mission-control is in read-only mode`);
  }
}
