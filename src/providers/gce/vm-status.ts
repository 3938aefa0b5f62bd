/**
 * A GCE VM's state for the poll loop: cached, because the loop asks every couple of seconds and the Compute API
 * need not be asked that often; refreshed on demand by lifecycle operations.
 */
import { WorkerUnreachableError, type MachineState, type MachineStatus } from '../types.js';
import type { ComputeApi, ComputeInstance, InstanceRef } from './compute-api.js';
import { GceError } from './errors.js';
import { machineStatusOf } from './machine-state.js';
import { pollUntil, type StageContext } from './stages.js';

/** Default freshness of the cached VM status: the poll loop scans every 2 s, the Compute API is asked far less. */
export const DEFAULT_STATUS_INTERVAL_MS = 15_000;

/** The cached state of one VM. */
export class VmStatus {
  #current: { value: MachineStatus; instance: ComputeInstance | undefined; at: number } | undefined;
  #fetching: Promise<MachineStatus> | undefined;
  /** Whether the stopped Spot VM was preempted: asked once per stop (undefined while it runs, or not known yet). */
  #preempted: boolean | undefined;

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
    const value = machineStatusOf(instance ? String(instance.status ?? '') : undefined);
    if (value.state !== 'stopped') this.#preempted = undefined;
    else if (instance && isSpot(instance)) this.#preempted ??= await this.#wasPreempted(instance).catch(() => undefined);
    this.#current = { value: this.#preempted ? { state: 'stopped', detail: 'preempted' } : value, instance, at: Date.now() };
    if (instance) this.onInstance?.(instance);
    return instance;
  }

  /**
   * Whether GCE preempted the instance since it last started: its zone operations hold a
   * `compute.instances.preempted` one (by `system`) for it, no older than its `lastStartTimestamp` when the API gives it.
   */
  async #wasPreempted(instance: ComputeInstance): Promise<boolean> {
    if (instance.id === undefined) return false;
    // The zone's preemptions, matched to this VM here: the id is a number the filter syntax would have to get right.
    const preemptions = await this.compute.listOperations(this.ref.project, this.ref.zone, 'operationType = "compute.instances.preempted"');
    const started = typeof instance.lastStartTimestamp === 'string' ? Date.parse(instance.lastStartTimestamp) : Number.NEGATIVE_INFINITY;
    return preemptions.some((op) => op.targetId === instance.id && op.insertTime !== undefined && Date.parse(op.insertTime) >= started);
  }

  /**
   * Reads the status until it is one of `states` (for a stage's deadline: `signal` ends it, `note` keeps the last
   * state seen); `changed` hears each new state. Failures to reach the API are waited out; others end the wait.
   */
  async until(states: readonly MachineState[], context: StageContext, changed: (detail: string) => void): Promise<void> {
    let shown = '';
    await pollUntil(context.signal, async () => {
      await this.fetch().catch((error: unknown) => {
        if (error instanceof GceError && error.kind !== 'unreachable' && error.kind !== 'rate-limit') throw error;
        context.note(error instanceof Error ? error.message : String(error));
      });
      const status = this.last ?? { state: 'unknown' as const, detail: 'not read yet' };
      const detail = status.detail ?? status.state;
      if (detail !== shown) {
        shown = detail;
        changed(detail);
      }
      context.note(`VM is ${detail}`);
      return states.includes(status.state) ? true : undefined;
    });
  }

  /** The instance when it is RUNNING (from the cache while fresh); otherwise an error that says what to do. */
  async running(worker: string): Promise<ComputeInstance> {
    const instance = this.#current && this.ageMs < this.intervalMs ? this.#current.instance : await this.fetch();
    const status = this.#current!.value;
    if (instance && status.state === 'running') return instance;
    const vm = `VM ${this.ref.instance}`;
    if (!instance) throw new WorkerUnreachableError(worker, `${vm} does not exist in ${this.ref.project}/${this.ref.zone}`, 'provision the worker to create it');
    throw new WorkerUnreachableError(worker, `${vm} is ${status.detail ?? status.state}`, hintFor(status));
  }
}

/** What to do about a VM that is not running, in the state it is in. */
function hintFor(status: MachineStatus): string {
  if (status.detail === 'preempted') return 'GCE reclaimed the Spot VM; start the worker, then resume its lost jobs';
  switch (status.state) {
    case 'stopped':
    case 'suspended':
      return 'start the worker';
    case 'stopping':
      return 'wait for it to stop, then start the worker';
    case 'suspending':
      return 'wait for it to finish suspending, then start the worker to resume it';
    default:
      return 'wait for it to finish starting';
  }
}

/** A Spot VM (the only kind GCE preempts besides the legacy preemptible one). */
function isSpot(instance: ComputeInstance): boolean {
  const scheduling = instance.scheduling as { provisioningModel?: string; preemptible?: boolean } | undefined;
  return scheduling?.provisioningModel === 'SPOT' || scheduling?.preemptible === true;
}
