/**
 * One shared SSH connection to one target: opened on first use, reopened on the next call after it
 * drops, paced by exponential backoff after failed attempts. Commands run on capped exec channels;
 * polls run on one long-lived framed shell.
 */
import type { Client } from 'ssh2';
import type { Duplex } from 'node:stream';
import type { ConnectionPath, ExecResult, RemoteCommand } from '../providers/types.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { callLimit, raceAbort, sleep, type CallLimit } from './call-limits.js';
import { ChannelSlots } from './channel-slots.js';
import { ChannelOpenRefused, SshError } from './errors.js';
import { runExecChannel } from './exec-channel.js';
import { FramedShell, type FramedRunOptions, type RunResult } from './framed-shell.js';
import { OutputLimitError } from './output-limit.js';
import { destroyClient, openClient, type HandshakeSettings } from './handshake.js';
import { shellJoin } from './quote.js';
import type { SshTarget } from './target.js';
import { connectionPath, type JumpHostLookup, type Transport } from './transport.js';

/** Where a connection is in its life. `backoff`: the last attempt failed and the next is not yet allowed. */
export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

/** Settings for one connection (the pool passes its own). */
export interface ConnectionSettings extends HandshakeSettings {
  readonly maxChannelsPerConnection: number;
  readonly backoff?: BackoffOptions;
}

/** Options for {@link SshConnection.exec}. */
export interface SshExecOptions {
  /**
   * Give up after this long, counting any wait for a free channel: the channel is closed and the command's
   * process group killed on the worker. No limit when absent (callers such as providers set their own default).
   */
  readonly timeoutMs?: number;
  /** Written to the command's stdin, which is then closed (it is closed at once when absent). */
  readonly stdin?: string | Buffer;
  /** Aborting does what a timeout does, and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** The most the command may print; past it, what a timeout does, rejecting with an `OutputLimitError` (default 16 MiB). */
  readonly maxOutputBytes?: number;
  /** Streams stdout to this callback as it arrives instead of collecting it (see `runExecChannel`). */
  readonly onStdout?: (data: Buffer) => void;
}

/** Options for {@link SshConnection.run}. */
export interface SshRunOptions {
  /** Give up after this long, counting the wait behind earlier calls; default 30 s. */
  readonly timeoutMs?: number;
  /** Gives up when it aborts (the shell is then closed as on a time-out). */
  readonly signal?: AbortSignal;
  /** Keeps stderr apart (in `stderr`) instead of merged into `output`. */
  readonly separateStderr?: boolean;
  /** The most the script may print; past it the shell is closed as on a time-out, rejecting with an `OutputLimitError` (default 16 MiB). */
  readonly maxOutputBytes?: number;
}

export type { RunResult } from './framed-shell.js';

/** A pooled connection to one SSH target. Get one from `SshPool.connection`. */
export class SshConnection {
  readonly #settings: ConnectionSettings;
  readonly #jumpHost: JumpHostLookup;
  readonly #slots: ChannelSlots;
  readonly #backoff: Backoff;
  #client: Client | undefined;
  #transport: Transport | undefined;
  #connecting: Promise<Client> | undefined;
  #closed = false;
  /** Aborted by close(), so a connect in flight is abandoned instead of awaited. */
  readonly #closing = new AbortController();
  #lastError: SshError | undefined;
  #rttMs: number | undefined;
  #connects = 0;
  #shell: Promise<FramedShell> | undefined;
  #runQueue: Promise<unknown> = Promise.resolve();
  /** Settles when the attempt in flight has its place at the handshake gate, or has failed. */
  #turn: Promise<void> = Promise.resolve();

  /** Made by the pool; `jumpHost` gives access to the pooled connections of ProxyJump hosts. */
  constructor(
    /** The target this connection reaches (the first one asked for under its pool key). */
    readonly target: SshTarget,
    settings: ConnectionSettings,
    jumpHost: JumpHostLookup,
  ) {
    this.#settings = settings;
    this.#jumpHost = jumpHost;
    this.#slots = new ChannelSlots(settings.maxChannelsPerConnection);
    this.#backoff = new Backoff(settings.backoff);
  }

  /** Where the connection is in its life. */
  get state(): ConnectionState {
    if (this.#closed) return 'closed';
    if (this.#client) return 'ready';
    if (this.#connecting) return 'connecting';
    return this.#backoff.remainingMs() > 0 ? 'backoff' : 'idle';
  }

  /** The last connect failure or connection loss; cleared by a successful connect. */
  get lastError(): SshError | undefined {
    return this.#lastError;
  }

  /**
   * Milliseconds the last successful {@link run} took, from writing the script to reading its end marker:
   * one round trip plus the script's own run time (a poll's cost, which is what the dashboard shows).
   */
  get rttMs(): number | undefined {
    return this.#rttMs;
  }

  /** How the connection reaches the target. */
  get path(): ConnectionPath {
    return connectionPath(this.target);
  }

  /** Successful connects so far (1 while the first connection lives; more after reconnects). */
  get connects(): number {
    return this.#connects;
  }

  /**
   * Resolves once this connection is ready or its connect attempt has started its own handshake (it is no
   * longer waiting behind other connections' handshakes); starts connecting when idle. A failed or refused
   * attempt also resolves it: the call that follows reports the failure. Callers start their deadlines here,
   * so a worker's deadline never counts the time it waited for other workers.
   */
  async handshakeTurn(signal?: AbortSignal): Promise<void> {
    if (this.#closed || this.#client) return;
    this.#ready().catch(() => undefined);
    if (this.#connecting) await (signal ? raceAbort(this.#turn, signal) : this.#turn);
  }

  /** Session channels open now and calls waiting for one. */
  get channels(): { readonly open: number; readonly waiting: number } {
    return { open: this.#slots.inUse, waiting: this.#slots.waiting };
  }

  /**
   * Runs one command on its own exec channel; `argv` is quoted with shellJoin, a script is run as is by `sh`
   * (never by the login shell: see `exec-channel.ts`).
   */
  async exec(command: RemoteCommand, options: SshExecOptions = {}): Promise<ExecResult> {
    const line = 'argv' in command ? shellJoin(command.argv) : command.script;
    const what = describeCommand(command);
    const limit = this.#limit(options.timeoutMs, options.signal, what);
    try {
      // Connect (or fail fast during backoff) before queueing for a channel.
      await raceAbort(this.#ready(), limit.signal);
      const release = await this.#slots.acquire(limit.signal);
      try {
        const client = await raceAbort(this.#ready(), limit.signal);
        const io = { ...(options.stdin !== undefined ? { stdin: options.stdin } : {}), ...(options.onStdout ? { onStdout: options.onStdout } : {}) };
        return await this.#retryRefusedOpen(what, limit.signal, () =>
          runExecChannel(client, line, { ...io, signal: limit.signal, what, ...cap(options.maxOutputBytes) }, {
            lost: () => this.#lostError(client, what),
            kill: (pid) => this.#killGroup(client, pid),
          }),
        );
      } finally {
        release();
      }
    } finally {
      limit.clear();
    }
  }

  /**
   * Runs a script on the connection's long-lived shell (one round trip, no channel open). Calls are
   * serialized. `output` is the script's stdout and stderr, merged, byte for byte. On timeout the
   * shell is closed and its processes killed; the next call opens a new one.
   */
  run(script: string, options: SshRunOptions = {}): Promise<RunResult> {
    const limit = this.#limit(options.timeoutMs ?? 30_000, options.signal, 'a script');
    const run = { separateStderr: options.separateStderr ?? false, ...cap(options.maxOutputBytes) };
    const turn = this.#runQueue.then(() => this.#runNow(script, limit.signal, run));
    this.#runQueue = turn.catch(() => undefined);
    // A call that times out while still queued rejects now; its turn is skipped when it comes.
    return raceAbort(turn, limit.signal).finally(() => limit.clear());
  }

  /** Opens a channel to host:port through this connection (how a ProxyJump host is used). */
  async forwardOut(host: string, port: number): Promise<Duplex> {
    const client = await this.#ready();
    return new Promise((resolve, reject) => {
      try {
        client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
          if (!error) return resolve(channel);
          reject(
            new SshError('unreachable', this.target.label, `cannot open a tunnel to ${host}:${port}: ${error.message}`, {
              hint: `Check that ${host}:${port} is reachable from ${this.target.host} and that its sshd allows TCP forwarding`,
              cause: error,
            }),
          );
        });
      } catch {
        reject(this.#lostError(client, 'a tunnel'));
      }
    });
  }

  /**
   * Ends the current login, if any; the next call logs in again. What a session is fixed with at login (its
   * supplementary groups) is then read afresh.
   */
  reconnect(): void {
    const client = this.#client;
    if (!client) return;
    this.#onDrop(client, 'closed to log in again');
    client.end();
  }

  /** Closes the connection for good; calls in flight and later calls reject with a 'closed' error. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = this.#closedError();
    this.#closing.abort(error);
    this.#slots.failWaiting(error);
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => (destroyClient(client), resolve()), 2000);
      client.once('close', () => (clearTimeout(timer), resolve()));
      client.end();
    });
    this.#transport?.dispose();
  }

  async #runNow(script: string, signal: AbortSignal, options: FramedRunOptions): Promise<RunResult> {
    signal.throwIfAborted();
    const shell = await this.#openShell(signal);
    const started = performance.now();
    try {
      const result = await shell.run(script, signal, options);
      this.#rttMs = Math.round((performance.now() - started) * 10) / 10;
      return result;
    } catch (error) {
      // A script stopped mid-way (time-out, abort, too much output) may still run: its shell is not reused.
      if ((signal.aborted || error instanceof OutputLimitError) && shell.alive) {
        this.#shell = undefined;
        shell.close();
        if (this.#client) this.#killGroup(this.#client, shell.pid);
      }
      throw error;
    }
  }

  async #openShell(signal: AbortSignal): Promise<FramedShell> {
    const current = await this.#shell?.catch(() => undefined);
    if (current?.alive) return current;
    const opening = (async () => {
      await this.#ready();
      const release = await this.#slots.acquire(signal);
      try {
        const client = await this.#ready();
        const shell = await this.#retryRefusedOpen('the shell', signal, () =>
          FramedShell.open(client, signal, { lost: () => this.#lostError(client, 'a script') }),
        );
        shell.onClose(release);
        return shell;
      } catch (error) {
        release();
        throw error;
      }
    })();
    this.#shell = opening;
    opening.catch(() => {
      if (this.#shell === opening) this.#shell = undefined;
    });
    return opening;
  }

  /** The live client: connects if needed; during backoff fails at once with the last error. */
  #ready(): Promise<Client> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#client) return Promise.resolve(this.#client);
    if (!this.#connecting) {
      const waitMs = this.#backoff.remainingMs();
      if (waitMs > 0 && this.#lastError) {
        return Promise.reject(this.#lastError.withDetail(`; next attempt allowed in ${(waitMs / 1000).toFixed(1)} s`));
      }
      const connecting = this.#connect();
      this.#connecting = connecting;
      connecting.then(
        () => (this.#connecting = undefined),
        () => (this.#connecting = undefined),
      );
    }
    return this.#connecting!;
  }

  async #connect(): Promise<Client> {
    let onTurn = () => undefined as void;
    this.#turn = new Promise((resolve) => (onTurn = resolve));
    try {
      const { client, transport } = await openClient(
        this.target,
        this.#settings,
        this.#jumpHost,
        (reason) => this.#onDrop(client, reason),
        this.#closing.signal,
        onTurn,
      );
      if (this.#closed) {
        client.end();
        transport.dispose();
        throw this.#closedError();
      }
      this.#client = client;
      this.#transport = transport;
      this.#lastError = undefined;
      this.#connects++;
      this.#backoff.succeed();
      return client;
    } catch (error) {
      const failure =
        error instanceof SshError
          ? error
          : new SshError('unreachable', this.target.label, `cannot connect: ${(error as Error).message}`, { cause: error });
      if (!this.#closed) {
        this.#lastError = failure;
        this.#backoff.fail();
      }
      throw failure;
    } finally {
      onTurn();
    }
  }

  #onDrop(client: Client, reason: string): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#transport?.dispose();
    this.#transport = undefined;
    this.#shell = undefined;
    // A drop is not a failed attempt: the next call reconnects at once, and only a failure to reconnect backs off.
    if (!this.#closed) {
      this.#lastError = new SshError('closed', this.target.label, `connection lost: ${reason}`, {
        hint: 'The next call reconnects',
      });
    }
  }

  #lostError(client: Client, what: string): SshError {
    if (this.#closed) return this.#closedError();
    if (this.#client !== client) {
      return new SshError('closed', this.target.label, `connection lost while running ${what}${this.#lastError ? `: ${this.#lastError.detail.replace(/^connection lost: /, '')}` : ''}`, {
        hint: 'The next call reconnects',
      });
    }
    return new SshError('channel', this.target.label, `the channel running ${what} closed before it exited`);
  }

  /** Runs `open`, retrying a few times (about 1 s in all) while the server refuses the channel. */
  async #retryRefusedOpen<T>(what: string, signal: AbortSignal, open: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await open();
      } catch (error) {
        if (!(error instanceof ChannelOpenRefused)) throw error;
        if (attempt >= 6 || signal.aborted) {
          throw new SshError('channel', this.target.label, `cannot open a channel for ${what}: ${error.message}`, {
            hint: 'The server keeps refusing new sessions; its MaxSessions may be lower than maxChannelsPerConnection',
            cause: error.cause,
          });
        }
        await sleep(15 * 2 ** attempt, signal);
      }
    }
  }

  #closedError(): SshError {
    return new SshError('closed', this.target.label, 'the connection was closed (the SSH pool is shut down)');
  }

  /** Kills a timed-out command's process group on the worker; best effort, on the same live connection only. */
  #killGroup(client: Client, pid: number): void {
    if (!pid || this.#client !== client || this.#closed) return;
    this.exec({ argv: ['kill', '-s', 'KILL', '--', `-${pid}`] }, { timeoutMs: 5000 }).catch(() => undefined);
  }

  /** The limit of one call: its timeout (a 'timeout' SshError naming the target) and the caller's signal. */
  #limit(timeoutMs: number | undefined, outer: AbortSignal | undefined, what: string): CallLimit {
    return callLimit(timeoutMs, outer, () => {
      const busy = this.#slots.waiting > 0 ? ` (${this.#slots.inUse} channels busy, ${this.#slots.waiting} waiting)` : '';
      return new SshError('timeout', this.target.label, `${what} did not finish within ${timeoutMs} ms${busy}; it was stopped`, {
        hint: 'The worker may be overloaded, or the command may hang; raise the timeout only if it legitimately takes longer',
      });
    });
  }
}

/** The output cap option, only when one is set. */
function cap(maxOutputBytes: number | undefined): { maxOutputBytes?: number } {
  return maxOutputBytes === undefined ? {} : { maxOutputBytes };
}

/** Names a command for messages without repeating its arguments (which may hold data that is not ours to print). */
function describeCommand(command: RemoteCommand): string {
  if ('argv' in command) return `\`${command.argv[0] ?? ''}\``;
  // Leading variable assignments (such as the container deadline) are not the command.
  const first = command.script.trim().replace(/^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+/, '').split(/\s/, 1)[0] ?? '';
  return `a script (\`${first.slice(0, 40)}…\`)`;
}
