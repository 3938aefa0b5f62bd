import type { SshConnection } from '../ssh/pool.js';
import { callLimit, raceAbort } from '../ssh/call-limits.js';
import { loginShellJoin, shellJoin } from '../ssh/quote.js';
import { inContainer, placeCommand, type ContainerAccess } from './container.js';
import { DEFAULT_EXEC_TIMEOUT_MS } from './local.js';
import { attachSessionArgs, tmuxArgv, tmuxServer } from './tmux.js';
import {
  isObservation,
  ReadOnlyError,
  UnsupportedOperationError,
  WorkerUnreachableError,
  type AttachCommand,
  type ConnectionPath,
  type ExecOptions,
  type ExecResult,
  type MachineStatus,
  type Observation,
  type RemoteCommand,
  type StreamOptions,
  type TmuxServer,
  type WorkerProvider,
} from './types.js';

/** Settings of a worker reached over SSH. */
export interface SshProviderOptions {
  readonly name: string;
  readonly tmuxSocket: string;
  readonly stateDir: string;
  readonly container?: string;
  /** How the user's own `ssh` reaches the same host for attach: the alias, or explicit options. */
  readonly attachArgs: readonly string[];
  /** Resolves the target (~/.ssh/config) and returns the pooled connection to the host; called once. */
  readonly connect: () => Promise<SshConnection>;
  /** Gives the connection back to the pool when the provider is closed (a worker removed or changed). */
  readonly release?: (connection: SshConnection) => Promise<void>;
}

/**
 * Any SSH host as a worker, over the shared pooled connection. Observations run on the long-lived framed
 * shell channel (one round trip per poll); other commands get an exec channel of their own.
 */
export class SshProvider implements WorkerProvider {
  readonly kind: 'ssh' | 'gce-cos' | 'gce-linux' = 'ssh';
  readonly name: string;
  readonly tmux: TmuxServer;
  readonly containerName: string | undefined;
  readonly stateDir: string;
  private connection: SshConnection | undefined;
  private connecting: Promise<SshConnection> | undefined;

  constructor(protected readonly options: SshProviderOptions) {
    this.name = options.name;
    this.tmux = tmuxServer(options.tmuxSocket);
    this.containerName = options.container;
    this.stateDir = options.stateDir;
  }

  async getStatus(): Promise<MachineStatus> {
    const state = this.connection?.state;
    return state === 'ready' ? { state: 'running' } : { state: 'unknown', detail: `connection ${state ?? 'not opened'}` };
  }

  /** The pooled connection, resolving the target on first use (a failed resolution is retried next time). */
  protected pooled(): Promise<SshConnection> {
    if (this.connection) return Promise.resolve(this.connection);
    this.connecting ??= this.options.connect().then(
      (connection) => (this.connection = connection),
      (error: unknown) => {
        this.connecting = undefined;
        throw error;
      },
    );
    return this.connecting;
  }

  async observe(command: Observation, options: ExecOptions = {}): Promise<ExecResult> {
    if (!isObservation(command)) throw new ReadOnlyError('a command that is not an observation');
    if (options.stdin !== undefined) return this.exec(command, options);
    const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    const script = this.toScript(command, options.target ?? 'session', timeoutMs);
    const unanswered = () => new WorkerUnreachableError(this.name, `no answer within ${timeoutMs} ms`);
    const connection = await this.#reach(timeoutMs, options.signal, unanswered);
    // Waiting behind other workers' handshakes (a cold start of many) is not this worker's time: the deadline
    // starts when its own handshake does (at once when connected).
    await connection.handshakeTurn(options.signal);
    const started = Date.now();
    const limit = callLimit(Math.max(1, timeoutMs - (Date.now() - started)), options.signal, unanswered);
    try {
      const result = await connection.run(script, {
        timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)),
        signal: limit.signal,
        ...(options.maxOutputBytes !== undefined ? { maxOutputBytes: options.maxOutputBytes } : {}),
      });
      return { code: result.code, stdout: result.output, stderr: '' };
    } finally {
      limit.clear();
    }
  }

  /**
   * Whether reaching the pooled connection is local work: a plain SSH worker resolves its target on this machine
   * (`ssh -G`, bounded by its own time-out), a queue at a cold start of many workers rather than the worker's
   * time, so a scan's deadline leaves it out. A provider whose route choice talks to the machine counts it.
   */
  protected readonly reachIsLocal: boolean = true;

  /** The pooled connection for a scan with deadline `timeoutMs` (see {@link reachIsLocal}). */
  async #reach(timeoutMs: number, signal: AbortSignal | undefined, unanswered: () => Error): Promise<SshConnection> {
    if (this.reachIsLocal) return signal ? raceAbort(this.pooled(), signal) : this.pooled();
    const limit = callLimit(timeoutMs, signal, unanswered);
    try {
      return await raceAbort(this.pooled(), limit.signal);
    } finally {
      limit.clear();
    }
  }

  /** A stream takes an exec channel of its own (one of the connection's slots), never the framed shell scans use. */
  async stream(command: Observation, onChunk: (chunk: Buffer) => void, options: StreamOptions): Promise<ExecResult> {
    if (!isObservation(command)) throw new ReadOnlyError('a command that is not an observation');
    const script = this.toScript(command, options.target ?? 'host', options.timeoutMs);
    return (await raceAbort(this.pooled(), options.signal)).exec({ script }, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onStdout: onChunk,
      ...(options.maxOutputBytes !== undefined ? { maxOutputBytes: options.maxOutputBytes } : {}),
    });
  }

  async exec(command: RemoteCommand, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    const script = this.toScript(command, options.target ?? 'session', timeoutMs);
    if (options.quick && options.stdin === undefined) {
      const connection = await this.pooled();
      const result = await connection.run(script, {
        timeoutMs,
        separateStderr: true,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.maxOutputBytes !== undefined ? { maxOutputBytes: options.maxOutputBytes } : {}),
      });
      return { code: result.code, stdout: result.output, stderr: result.stderr ?? '' };
    }
    return (await this.pooled()).exec({ script }, {
      timeoutMs,
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.maxOutputBytes !== undefined ? { maxOutputBytes: options.maxOutputBytes } : {}),
    });
  }

  connectionPath(): ConnectionPath | undefined {
    return this.connection?.path;
  }

  roundTripMs(): number | undefined {
    return this.connection?.rttMs;
  }

  attachCommand(sessionId: string, options: { readonly readOnly?: boolean } = {}): AttachCommand {
    return sshAttachCommand(this.options.attachArgs, this, sessionId, options.readOnly ?? false);
  }

  async ensureReady(): Promise<void> {
    // A connection that is up has just answered a scan; otherwise one short command connects and proves it.
    if (this.connection?.state === 'ready') return;
    await this.exec({ argv: ['true'] }, { target: 'host', timeoutMs: 15_000, quick: true });
  }

  provision(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'provision', 'an SSH host is managed outside mission-control'));
  }

  start(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'start', 'an SSH host is managed outside mission-control'));
  }

  stop(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'stop', 'an SSH host is managed outside mission-control'));
  }

  suspend(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'suspend', 'an SSH host is managed outside mission-control; only GCE workers can be suspended'));
  }

  rebuild(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'rebuild', 'an SSH host is managed outside mission-control'));
  }

  destroy(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'destroy', 'an SSH host is managed outside mission-control'));
  }

  async close(): Promise<void> {
    const connection = this.connection ?? (await this.connecting?.catch(() => undefined));
    this.connection = undefined;
    this.connecting = undefined;
    if (connection) await this.options.release?.(connection);
  }

  /** How the login user reaches the container (sudo, the user's ids inside); default: docker as is. */
  protected containerAccess(): ContainerAccess | undefined {
    return undefined;
  }

  /** The shell string for a command: argv quoted, placed in the container for the session target, bounded by `timeoutMs`. */
  private toScript(command: RemoteCommand, target: 'session' | 'host', timeoutMs: number): string {
    const access = this.containerAccess();
    const placed = placeCommand(command, { container: this.containerName, target, timeoutMs, ...(access ? { access } : {}) });
    return 'argv' in placed ? shellJoin(placed.argv) : placed.script;
  }
}

/**
 * `ssh -t ARGS -- tmux … attach-session -t $N` (through `docker exec -it` when the worker has a container). sshd
 * runs the remote command with the user's login shell, which may be fish or tcsh, so it is made of words every
 * shell reads alike.
 */
export function sshAttachCommand(
  sshArgs: readonly string[],
  worker: Pick<WorkerProvider, 'tmux' | 'containerName'>,
  sessionId: string,
  readOnly: boolean,
  access?: ContainerAccess,
): AttachCommand {
  const tmux = tmuxArgv(worker.tmux, attachSessionArgs(sessionId, { readOnly }));
  const remote = worker.containerName ? inContainer(worker.containerName, { argv: tmux }, { interactive: true, ...(access ? { access } : {}) }).argv : tmux;
  return { argv: ['ssh', '-t', ...sshArgs, '--', loginShellJoin(remote)] };
}
