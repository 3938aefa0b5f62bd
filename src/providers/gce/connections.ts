/**
 * Which way a GCE worker is reached, and the pooled connection on that way: the remembered path first, the other
 * one when the network is in the way, host keys from guest attributes recorded before either is tried.
 */
import { isSshError } from '../../ssh/errors.js';
import type { SshConnection, SshPool } from '../../ssh/pool.js';
import { Backoff } from '../../ssh/backoff.js';
import type { SshTarget } from '../../ssh/target.js';
import type { GceWorkerFields } from '../../config/gce-schema.js';
import { WorkerUnreachableError, type ConnectionPath } from '../types.js';
import type { ComputeApi, ComputeInstance, InstanceRef } from './compute-api.js';
import { allowsFallback, fastPathTarget, iapTarget, knownHostsOption, probeSsh, sshOptions, type InstanceAddress } from './connectivity.js';
import { IAP_HINT } from './errors.js';
import { hasRecordedHostKeys, hostKeyAliasOf, HOST_KEYS_QUERY_PATH, publishedHostKeys, recordHostKeys } from './host-keys.js';
import type { GceRoute, RouteMemory } from './local-state.js';

/** What {@link GceConnections} works with. */
export interface GceConnectionsOptions {
  /** The worker's name, for messages. */
  readonly name: string;
  readonly worker: Pick<GceWorkerFields, 'ssh' | 'sshConfigFile' | 'externalIp' | 'instance' | 'iap' | 'zone' | 'project'>;
  readonly ref: InstanceRef;
  readonly pool: SshPool;
  readonly compute: ComputeApi;
  readonly knownHostsFile: string;
  readonly routes: RouteMemory;
  /** How long the fast path may take to show an SSH banner. */
  readonly fastPathTimeoutMs: number;
  /** The SSH user when the config names none (the OS Login name, or the local user name). */
  readonly username: () => Promise<string>;
  /** The instance if it is RUNNING; rejects with what to do otherwise. */
  readonly runningInstance: () => Promise<ComputeInstance>;
  /** Called after a failed attempt (the provider re-reads the VM's state). */
  readonly onFailure: () => void;
  /** Longest pause between attempts after failures. */
  readonly maxBackoffMs: number;
}

/** The connection to one GCE worker. */
export class GceConnections {
  readonly #options: GceConnectionsOptions;
  readonly #backoff: Backoff;
  #connection: SshConnection | undefined;
  #target: SshTarget | undefined;
  #route: GceRoute | undefined;
  #opening: Promise<SshConnection> | undefined;
  #lastError: Error | undefined;
  #keysRecordedFor: string | undefined;

  constructor(options: GceConnectionsOptions) {
    this.#options = options;
    this.#backoff = new Backoff({ initialMs: 1000, maxMs: options.maxBackoffMs });
  }

  /** `project/zone/instance`: the key of the path memory. */
  get vmKey(): string {
    const { project, zone, instance } = this.#options.ref;
    return `${project}/${zone}/${instance}`;
  }

  /** The path in use: `direct` (or the user's own proxy) or `iap`; undefined when not connected. */
  get path(): ConnectionPath | undefined {
    if (!this.#connection || this.#connection.state === 'closed') return undefined;
    return this.#route === 'iap' ? 'iap' : this.#connection.path;
  }

  get rttMs(): number | undefined {
    return this.#connection?.rttMs;
  }

  /**
   * The pooled connection on the path that works. A connection that keeps failing for network reasons is given up
   * and the paths are tried again (the remembered one first); attempts after failures are paced by a backoff.
   */
  connection(): Promise<SshConnection> {
    const current = this.#connection;
    if (current && current.state !== 'closed' && !(current.state === 'backoff' && allowsFallback(current.lastError))) {
      return Promise.resolve(current);
    }
    if (!this.#opening) {
      if (this.#backoff.remainingMs() > 0 && this.#lastError) return Promise.reject(this.#lastError);
      this.#opening = this.#open().finally(() => (this.#opening = undefined));
    }
    return this.#opening;
  }

  /** Lets the next {@link connection} call try at once (a stage that polls paces itself). */
  tryNow(): void {
    this.#backoff.succeed();
    this.#lastError = undefined;
  }

  /** Logs in again on the same path: a new login gets group memberships added since the last one. */
  reopen(): void {
    this.#connection?.reconnect();
  }

  /** Forgets the connection (the VM stopped or was replaced); the path memory stays. */
  forget(options: { readonly hostKeys?: boolean } = {}): void {
    this.#connection = undefined;
    this.#target = undefined;
    this.#route = undefined;
    if (options.hostKeys) this.#keysRecordedFor = undefined;
    this.tryNow();
  }

  /** `ssh` arguments that reach the worker the way the pool does; undefined before the first connection. */
  sshArgs(): string[] | undefined {
    const target = this.#target;
    if (!target) return undefined;
    const alias = 'alias' in this.#options.worker.ssh && this.#route === 'direct';
    if (!alias) return sshOptions(target);
    // The alias keeps the user's own config; the host key names are ours when the VM published its keys.
    const names = target.hostKeyAlias ? ['-o', `HostKeyAlias=${target.hostKeyAlias}`, ...knownHostsOption(target.knownHostsFiles)] : [];
    return [...names, ...target.sshArgs];
  }

  async #open(): Promise<SshConnection> {
    try {
      const connection = await this.#connect();
      this.#backoff.succeed();
      this.#lastError = undefined;
      return connection;
    } catch (error) {
      this.#backoff.fail();
      this.#lastError = error as Error;
      this.#options.onFailure();
      throw error;
    }
  }

  /** Tries the remembered path first, then the other; remembers the one that worked. */
  async #connect(): Promise<SshConnection> {
    const { worker, name } = this.#options;
    const address = addressOf(await this.#options.runningInstance());
    const hostKeyAlias = await this.#recordPublishedKeys(address.id);
    const base = await fastPathTarget(worker, address, {
      username: await this.#options.username(),
      knownHostsFile: this.#options.knownHostsFile,
      ...(hostKeyAlias ? { hostKeyAlias } : {}),
    });
    const remembered = await this.#options.routes.get(this.vmKey);
    const order: GceRoute[] = worker.iap.enabled ? (remembered === 'iap' ? ['iap', 'direct'] : ['direct', 'iap']) : ['direct'];
    const failures: string[] = [];
    for (const route of order) {
      const target = route === 'iap' ? iapTarget(worker, base) : base;
      try {
        if (route === 'direct' && !target.proxyCommand && !target.proxyJump) {
          await probeSsh(target.label, target.host, target.port, this.#options.fastPathTimeoutMs);
        }
        const connection = this.#options.pool.connection(target);
        // Opens the connection and the shell the poll loop's scans run on.
        await connection.run(':', { timeoutMs: 30_000 });
        this.#connection = connection;
        this.#target = target;
        this.#route = route;
        await this.#options.routes.set(this.vmKey, route);
        return connection;
      } catch (error) {
        if (!allowsFallback(error)) throw error;
        failures.push(`${route === 'iap' ? 'through IAP' : 'directly'}: ${isSshError(error) ? error.detail : (error as Error).message}`);
      }
    }
    throw new WorkerUnreachableError(
      name,
      `cannot reach VM ${worker.instance} over SSH (${failures.join('; ')})`,
      worker.iap.enabled
        ? `Check your network or VPN for the direct path, and ${IAP_HINT}`
        : 'Check your network or VPN, or enable the IAP fallback (iap.enabled: true)',
    );
  }

  /**
   * Records the host keys the VM publishes as guest attributes under `compute.<id>` and returns that alias; undefined
   * when it publishes none (then the usual known_hosts policy applies to the address).
   */
  async #recordPublishedKeys(instanceId: string): Promise<string | undefined> {
    const alias = hostKeyAliasOf(instanceId);
    if (this.#keysRecordedFor === instanceId) return alias;
    let keys;
    try {
      keys = publishedHostKeys(await this.#options.compute.guestAttributes(this.#options.ref, HOST_KEYS_QUERY_PATH));
    } catch {
      // Refused (GCE allows 10 queries a minute per VM, and every run asks): an earlier run's record of this VM's
      // keys still holds, the alias naming the VM's id.
      return (await hasRecordedHostKeys(this.#options.knownHostsFile, alias)) ? alias : undefined;
    }
    if (keys.length === 0) return undefined;
    await recordHostKeys(this.#options.knownHostsFile, alias, keys);
    this.#keysRecordedFor = instanceId;
    return alias;
  }
}

/** The VM's id and addresses from its API resource. */
export function addressOf(instance: ComputeInstance): InstanceAddress {
  const nic = instance.networkInterfaces?.[0];
  const internalIp = nic?.networkIP ?? undefined;
  const externalIp = nic?.accessConfigs?.find((config) => config.natIP)?.natIP ?? undefined;
  return { id: String(instance.id ?? instance.name ?? ''), ...(internalIp ? { internalIp } : {}), ...(externalIp ? { externalIp } : {}) };
}
