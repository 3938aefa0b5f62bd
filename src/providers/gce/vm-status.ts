/**
 * A GCE VM's state for the poll loop: cached, because the loop asks every couple of seconds and the Compute API
 * need not be asked that often; refreshed on demand by lifecycle operations.
 */
import { WorkerUnreachableError, type MachineStatus } from '../types.js';
import type { ComputeApi, ComputeInstance, InstanceRef } from './compute-api.js';
import { GceError } from './errors.js';
import { machineStatusOf } from './machine-state.js';

/** Default freshness of the cached VM status: the poll loop scans every 2 s, the Compute API is asked far less. */
export const DEFAULT_STATUS_INTERVAL_MS = 15_000;

/** The cached state of one VM. */
export class VmStatus {
  #current: { value: MachineStatus; instance: ComputeInstance | undefined; at: number } | undefined;
  #fetching: Promise<MachineStatus> | undefined;

  constructor(
    private readonly compute: ComputeApi,
    private readonly ref: InstanceRef,
    /** How long a status stays fresh. */
    readonly intervalMs: number,
    /** Told of every instance read (the cost ledger takes the API's timestamps from it). */
    private readonly onInstance?: (instance: ComputeInstance) => void,
  ) {}

  /** The last known status, if any. */
  get last(): MachineStatus | undefined {
    return this.#current?.value;
  }

  /** Milliseconds since the status was last read (Infinity before the first read). */
  get ageMs(): number {
    return this.#current ? Date.now() - this.#current.at : Infinity;
  }

  /** The cached status while fresh, else a new read. */
  get(): Promise<MachineStatus> {
    return this.#current && this.ageMs < this.intervalMs ? Promise.resolve(this.#current.value) : this.refresh();
  }

  /**
   * Reads the status now (one read in flight at a time). An API failure is a status too (`unknown`, with the
   * reason), so the dashboard shows it instead of failing the worker's refresh.
   */
  refresh(): Promise<MachineStatus> {
    this.#fetching ??= this.fetch()
      .then(
        () => this.#current!.value,
        (error: unknown) => {
          const value: MachineStatus = { state: 'unknown', detail: `Compute API: ${error instanceof GceError ? error.detail : String(error)}` };
          this.#current = { value, instance: this.#current?.instance, at: Date.now() };
          return value;
        },
      )
      .finally(() => (this.#fetching = undefined));
    return this.#fetching;
  }

  /** The instance from the API (undefined when it does not exist); updates the cache. Rejects on API errors. */
  async fetch(): Promise<ComputeInstance | undefined> {
    const instance = await this.compute.getInstance(this.ref);
    this.#current = { value: machineStatusOf(instance ? String(instance.status ?? '') : undefined), instance, at: Date.now() };
    if (instance) this.onInstance?.(instance);
    return instance;
  }

  /** The instance when it is RUNNING (from the cache while fresh); otherwise an error that says what to do. */
  async running(worker: string): Promise<ComputeInstance> {
    const instance = this.#current && this.ageMs < this.intervalMs ? this.#current.instance : await this.fetch();
    const status = this.#current!.value;
    if (instance && status.state === 'running') return instance;
    const vm = `VM ${this.ref.instance}`;
    if (!instance) throw new WorkerUnreachableError(worker, `${vm} does not exist in ${this.ref.project}/${this.ref.zone}`, 'provision the worker to create it');
    const hint =
      status.state === 'stopped' || status.state === 'suspended'
        ? 'start the worker'
        : status.state === 'stopping'
          ? 'wait for it to stop, then start the worker'
          : 'wait for it to finish starting';
    throw new WorkerUnreachableError(worker, `${vm} is ${status.detail ?? status.state}`, hint);
  }
}
