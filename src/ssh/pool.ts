/**
 * The SSH connection pool: one shared connection per destination, opened lazily, so a dashboard watching
 * many workers pays the handshake once per host instead of once per command.
 */
import type { BackoffOptions } from './backoff.js';
import { ChannelSlots } from './channel-slots.js';
import { SshConnection } from './connection.js';
import { sharedHandshakeGate } from './handshake.js';
import type { HostKeyPolicy } from './host-key-check.js';
import type { SshTarget } from './target.js';

/** Options for {@link SshPool}. */
export interface SshPoolOptions {
  /** `strict` (default) refuses hosts whose key is not in known_hosts; `accept-new` records them. Changed keys are always refused. */
  readonly hostKeyPolicy?: HostKeyPolicy;
  /** Where `accept-new` records keys; default the target's first known_hosts file. */
  readonly acceptNewKnownHostsFile?: string;
  /** Session channels open at once per connection; more calls wait. Default 8 (OpenSSH's MaxSessions is 10). */
  readonly maxChannelsPerConnection?: number;
  /** Handshake deadline per attempt; default 10 s. */
  readonly connectTimeoutMs?: number;
  /** SSH keepalive interval; default 5 s. */
  readonly keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as lost; default 3. */
  readonly keepaliveCountMax?: number;
  /** ssh-agent socket; default `process.env.SSH_AUTH_SOCK`. Pass `''` for none. */
  readonly agent?: string;
  /** Reconnect backoff; default 500 ms doubling to 30 s, with jitter. */
  readonly backoff?: BackoffOptions;
  /**
   * Handshakes this pool runs at once; later ones wait their turn. Default: a limit shared by every pool of the
   * process (`DEFAULT_HANDSHAKES_IN_FLIGHT`), so a fleet with several pools still paces its cold start as one.
   */
  readonly maxHandshakesInFlight?: number;
}

/** The pool of SSH connections; `close()` it when done so the process can exit. */
export class SshPool {
  readonly #connections = new Map<string, SshConnection>();
  /** How many callers of {@link connection} hold each connection, for {@link release}. */
  readonly #users = new Map<string, number>();
  readonly #settings: ConstructorParameters<typeof SshConnection>[1];
  #closed = false;

  constructor(options: SshPoolOptions = {}) {
    const agent = options.agent ?? process.env.SSH_AUTH_SOCK;
    this.#settings = {
      hostKeyPolicy: options.hostKeyPolicy ?? 'strict',
      ...(options.acceptNewKnownHostsFile ? { acceptNewKnownHostsFile: options.acceptNewKnownHostsFile } : {}),
      maxChannelsPerConnection: options.maxChannelsPerConnection ?? 8,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      ...(agent ? { agent } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      handshakes: options.maxHandshakesInFlight === undefined ? sharedHandshakeGate : new ChannelSlots(options.maxHandshakesInFlight, 'maxHandshakesInFlight'),
    };
  }

  /** The shared connection for this target's user, host, port and proxy; nothing is opened until it is used. */
  connection(target: SshTarget): SshConnection {
    if (this.#closed) throw new Error('SshPool.connection called after close()');
    const key = poolKey(target);
    let connection = this.#connections.get(key);
    if (!connection) {
      connection = new SshConnection(target, this.#settings, (jumpTarget) => this.connection(jumpTarget));
      this.#connections.set(key, connection);
    }
    this.#users.set(key, (this.#users.get(key) ?? 0) + 1);
    return connection;
  }

  /**
   * Says a user of `connection` (a worker's provider) is done with it: once no user holds it, it is closed.
   * Connections used only as ProxyJump hops are closed with the pool.
   */
  async release(connection: SshConnection): Promise<void> {
    const key = poolKey(connection.target);
    const users = (this.#users.get(key) ?? 1) - 1;
    if (users > 0) {
      this.#users.set(key, users);
      return;
    }
    this.#users.delete(key);
    if (this.#connections.get(key) === connection) this.#connections.delete(key);
    await connection.close();
  }

  /** Every connection made so far (including ProxyJump hosts). */
  connections(): SshConnection[] {
    return [...this.#connections.values()];
  }

  /** Closes every connection and the processes and timers they hold. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#connections.values()];
    this.#connections.clear();
    this.#users.clear();
    // Connections through a jump host first, so their tunnels end before the jump connection does.
    await Promise.all(all.filter((c) => c.path !== 'direct').map((c) => c.close()));
    await Promise.all(all.map((c) => c.close()));
  }
}

/**
 * Connections are shared per destination, route and credentials: a worker whose identity or known_hosts files
 * changed (a config edit) gets a connection made with the new ones, not the one made with the old.
 */
function poolKey(target: SshTarget): string {
  return JSON.stringify([
    target.user,
    target.host,
    target.port,
    target.proxyJump ?? '',
    target.proxyCommand ?? '',
    target.hostKeyAlias ?? '',
    target.identityFiles,
    target.knownHostsFiles,
  ]);
}

export { SshConnection } from './connection.js';
export type { ConnectionState, SshExecOptions, SshRunOptions, RunResult } from './connection.js';
export type { HostKeyPolicy } from './host-key-check.js';
