/**
 * The fake Compute API's world: instances and zone operations with asynchronous state transitions on timers
 * (PROVISIONING → STAGING → RUNNING, STOPPING → TERMINATED, SUSPENDING → SUSPENDED → STAGING → RUNNING, deletion,
 * preemption), operations that go RUNNING → DONE when their transition completes, and hooks that let a test "boot",
 * freeze and thaw a VM.
 */
import { randomBytes } from 'node:crypto';
import { alreadyExists, notFound, unsupportedOperation, type ApiError, type OperationError } from './errors.js';
import { BASE, newOperation, renderOperation, type FakeOperation } from './operations.js';
import { FakeProjects } from './projects.js';
import { apiTimestamp } from './timestamps.js';

export type { FakeOperation } from './operations.js';

/** Milliseconds each transition step takes (a test may change them on `world.delays`). */
export interface TransitionDelays {
  provisioning: number;
  staging: number;
  stopping: number;
  suspending: number;
  deleting: number;
}

/** A guest attribute (`hostkeys/ssh-ed25519`). */
export interface FakeGuestAttribute {
  readonly namespace: string;
  readonly key: string;
  readonly value: string;
}

/** An instance of the fake. Tests may change `networkIP` and `guestAttributes` (e.g. in an `onRunning` hook). */
export interface FakeInstance {
  readonly project: string;
  readonly zone: string;
  readonly name: string;
  readonly id: string;
  status: string;
  /** The insert body as received. */
  readonly body: Record<string, unknown>;
  networkIP: string;
  natIP: string | undefined;
  guestAttributes: FakeGuestAttribute[];
  readonly createdAt: string;
  /** When the instance last reached RUNNING / TERMINATED / SUSPENDED (RFC 3339 with an offset, as the API writes them). */
  lastStartTimestamp?: string;
  lastStopTimestamp?: string;
  lastSuspendedTimestamp?: string;
}

/** Called when an instance reaches RUNNING (boot) or TERMINATED (shutdown), or is suspended or resumed. */
export type InstanceHook = (instance: FakeInstance) => void | Promise<void>;


/** The instances and operations of all projects and zones. */
export class FakeWorld {
  readonly instances = new Map<string, FakeInstance>();
  readonly operations = new Map<string, FakeOperation>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #createdHooks: ((instance: FakeInstance) => void)[] = [];
  readonly #runningHooks: InstanceHook[] = [];
  readonly #stoppedHooks: InstanceHook[] = [];
  readonly #suspendedHooks: InstanceHook[] = [];
  readonly #resumedHooks: InstanceHook[] = [];
  readonly #operationFailures: { operationType: string; error: OperationError }[] = [];
  /** Errors from hooks (a test can assert there were none). */
  readonly hookErrors: unknown[] = [];
  /** Project metadata, networks, subnetworks, routers. */
  readonly projects = new FakeProjects();
  /** Disks by `project/zone/name`: a boot disk takes the VM's name and outlives it unless auto-deleted. */
  readonly disks = new Set<string>();
  /** Images an insert may use (`projects/P/global/images/family/F` or `…/images/NAME`); others are a 404. */
  readonly images = new Set(['projects/cos-cloud/global/images/family/cos-stable', 'projects/debian-cloud/global/images/family/debian-12']);
  /** Operations by the requestId that started them: the same id again gets the same operation. */
  readonly #byRequestId = new Map<string, FakeOperation>();
  #nextIp = 2;

  constructor(readonly delays: TransitionDelays) {}

  static key(project: string, zone: string, name: string): string {
    return `${project}/${zone}/${name}`;
  }

  /** Called (synchronously) when an instance is created: e.g. to give it the address of what backs it. */
  onCreated(hook: (instance: FakeInstance) => void): void {
    this.#createdHooks.push(hook);
  }

  onRunning(hook: InstanceHook): void {
    this.#runningHooks.push(hook);
  }

  onStopped(hook: InstanceHook): void {
    this.#stoppedHooks.push(hook);
  }

  /** Called as a suspend completes (before SUSPENDED is reported): the guest's processes freeze, memory kept. */
  onSuspended(hook: InstanceHook): void {
    this.#suspendedHooks.push(hook);
  }

  /** Called as a resume completes (before RUNNING is reported): the frozen processes carry on; no boot. */
  onResumed(hook: InstanceHook): void {
    this.#resumedHooks.push(hook);
  }

  /**
   * GCE reclaims a RUNNING Spot VM: a `compute.instances.preempted` operation by `system` is recorded and the VM
   * stops (its termination action STOP), as a shutdown does. Returns the operation.
   */
  preempt(project: string, zone: string, name: string): FakeOperation {
    const instance = this.instances.get(FakeWorld.key(project, zone, name));
    if (instance?.status !== 'RUNNING') throw new Error(`only a RUNNING instance can be preempted (${name} is ${instance?.status ?? 'missing'})`);
    const operation = this.#operation(project, zone, 'compute.instances.preempted', instance);
    operation.user = 'system';
    operation.statusMessage = 'Instance was preempted.';
    instance.status = 'STOPPING';
    this.#after(this.delays.stopping, () => void this.#settle(instance, 'TERMINATED', operation));
    return operation;
  }

  /** The next operation of this type (`insert`, `start` …) finishes with `error` (insert then leaves no instance). */
  failNextOperation(operationType: string, error: OperationError): void {
    this.#operationFailures.push({ operationType, error });
  }

  /** Adds an instance directly, in any state (a VM made outside mission-control). */
  addInstance(project: string, zone: string, body: Record<string, unknown>, status = 'RUNNING'): FakeInstance {
    const instance = this.#create(project, zone, body);
    instance.status = status;
    if (status === 'RUNNING') instance.lastStartTimestamp = apiTimestamp();
    return instance;
  }

  /** A request with a requestId seen before gets the operation it started (no second VM, no second call). */
  replay(project: string, zone: string, requestId: string | undefined): FakeOperation | undefined {
    return requestId ? this.#byRequestId.get(FakeWorld.key(project, zone, requestId)) : undefined;
  }

  /** Remembers which operation a requestId started. */
  remember(project: string, zone: string, requestId: string | undefined, operation: FakeOperation): void {
    if (requestId) this.#byRequestId.set(FakeWorld.key(project, zone, requestId), operation);
  }

  insert(project: string, zone: string, body: Record<string, unknown>): FakeOperation | ApiError {
    const name = String(body.name ?? '');
    if (this.instances.has(FakeWorld.key(project, zone, name))) return alreadyExists(`projects/${project}/zones/${zone}/instances/${name}`);
    const refused = this.#checkReferences(project, zone, body);
    if (refused) return refused;
    const failure = this.#takeFailure('insert');
    const instance = this.#create(project, zone, body);
    instance.status = 'PROVISIONING';
    const operation = this.#operation(project, zone, 'insert', instance);
    this.#after(this.delays.provisioning, () => {
      if (failure) {
        this.instances.delete(FakeWorld.key(project, zone, name));
        for (const disk of bootDisks(body)) this.disks.delete(FakeWorld.key(project, zone, disk.name));
        operation.finish(failure);
        return;
      }
      instance.status = 'STAGING';
      this.#after(this.delays.staging, () => this.#running(instance, operation));
    });
    return operation;
  }

  lifecycle(project: string, zone: string, name: string, call: string): FakeOperation | ApiError {
    const instance = this.instances.get(FakeWorld.key(project, zone, name));
    if (!instance) return notFound(`projects/${project}/zones/${zone}/instances/${name}`);
    // Only a RUNNING instance can be suspended, and only a SUSPENDED one resumed.
    if (call === 'suspend' && instance.status !== 'RUNNING') return unsupportedOperation(`You cannot suspend an instance that is ${suspendRefusal(instance.status)}.`);
    if (call === 'resume' && !['SUSPENDED', 'RUNNING'].includes(instance.status)) return unsupportedOperation('You can only resume a suspended instance.');
    const operation = this.#operation(project, zone, call, instance);
    const failure = this.#takeFailure(call);
    if (failure) {
      this.#after(this.delays.stopping, () => operation.finish(failure));
      return operation;
    }
    switch (call) {
      case 'start':
      case 'resume':
        if (instance.status === 'RUNNING') {
          operation.finish();
          break;
        }
        // A resumed VM carries on with its memory; a started one boots.
        instance.status = 'STAGING';
        this.#after(this.delays.staging, () => this.#running(instance, operation, call === 'resume' ? this.#resumedHooks : this.#runningHooks));
        break;
      case 'stop':
        if (instance.status === 'TERMINATED') {
          operation.finish();
          break;
        }
        instance.status = 'STOPPING';
        this.#after(this.delays.stopping, () => void this.#settle(instance, 'TERMINATED', operation));
        break;
      case 'suspend':
        instance.status = 'SUSPENDING';
        this.#after(this.delays.suspending, () => void this.#settle(instance, 'SUSPENDED', operation));
        break;
      case 'delete':
        instance.status = 'STOPPING';
        this.#after(this.delays.deleting, () => {
          void this.#hooks(this.#stoppedHooks, instance).then(() => {
            this.instances.delete(FakeWorld.key(project, zone, name));
            for (const disk of bootDisks(instance.body)) if (disk.autoDelete) this.disks.delete(FakeWorld.key(project, zone, disk.name));
            operation.finish();
          });
        });
        break;
    }
    return operation;
  }

  /** The instance as the API returns it. */
  render(instance: FakeInstance): Record<string, unknown> {
    const { project, zone, name } = instance;
    const body = instance.body;
    const zoneUrl = `${BASE}/projects/${project}/zones/${zone}`;
    const nics = (body.networkInterfaces as Record<string, unknown>[] | undefined) ?? [{}];
    return {
      kind: 'compute#instance',
      id: instance.id,
      creationTimestamp: instance.createdAt,
      ...(instance.lastStartTimestamp ? { lastStartTimestamp: instance.lastStartTimestamp } : {}),
      ...(instance.lastStopTimestamp ? { lastStopTimestamp: instance.lastStopTimestamp } : {}),
      ...(instance.lastSuspendedTimestamp ? { lastSuspendedTimestamp: instance.lastSuspendedTimestamp } : {}),
      name,
      tags: body.tags ?? {},
      machineType: `${zoneUrl}/machineTypes/${String(body.machineType ?? '').split('/').at(-1)}`,
      status: instance.status,
      zone: zoneUrl,
      canIpForward: false,
      networkInterfaces: nics.map((nic, index) => ({
        kind: 'compute#networkInterface',
        network: `${BASE}/projects/${project}/${String(nic.network ?? 'global/networks/default')}`,
        networkIP: index === 0 ? instance.networkIP : `10.128.1.${index}`,
        name: `nic${index}`,
        ...(Array.isArray(nic.accessConfigs) && nic.accessConfigs.length > 0
          ? { accessConfigs: (nic.accessConfigs as Record<string, unknown>[]).map((c) => ({ ...c, natIP: instance.natIP })) }
          : {}),
      })),
      disks: ((body.disks as Record<string, unknown>[] | undefined) ?? []).map((disk, index) => ({
        kind: 'compute#attachedDisk',
        type: 'PERSISTENT',
        mode: 'READ_WRITE',
        source: `${zoneUrl}/disks/${name}`,
        deviceName: disk.deviceName ?? name,
        index,
        boot: disk.boot ?? false,
        autoDelete: disk.autoDelete ?? false,
        diskSizeGb: String((disk.initializeParams as Record<string, unknown> | undefined)?.diskSizeGb ?? '10'),
      })),
      metadata: { kind: 'compute#metadata', fingerprint: 'abc=', items: (body.metadata as { items?: unknown[] } | undefined)?.items ?? [] },
      serviceAccounts: body.serviceAccounts ?? [],
      selfLink: `${zoneUrl}/instances/${name}`,
      scheduling: body.scheduling ?? {},
      labels: body.labels ?? {},
      labelFingerprint: 'xyz=',
      startRestricted: false,
      deletionProtection: false,
      fingerprint: 'fp=',
    };
  }

  /** The operation as the API returns it. */
  renderOperation(operation: FakeOperation): Record<string, unknown> {
    return renderOperation(operation);
  }

  /** Stops every pending transition. */
  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** What the real API checks before accepting an insert: the disk name is free, the image and network exist. */
  #checkReferences(project: string, zone: string, body: Record<string, unknown>): ApiError | undefined {
    for (const disk of bootDisks(body)) {
      if (this.disks.has(FakeWorld.key(project, zone, disk.name))) return alreadyExists(`projects/${project}/zones/${zone}/disks/${disk.name}`);
      if (disk.image && !this.images.has(disk.image)) return notFound(disk.image);
    }
    const nic = ((body.networkInterfaces as Record<string, unknown>[] | undefined) ?? [])[0];
    const network = /^(?:projects\/([^/]+)\/)?global\/networks\/([^/]+)$/.exec(String(nic?.network ?? 'global/networks/default'));
    if (network && !this.projects.hasNetwork(network[1] ?? project, network[2]!)) {
      return notFound(`projects/${network[1] ?? project}/global/networks/${network[2]}`);
    }
    return undefined;
  }

  #create(project: string, zone: string, body: Record<string, unknown>): FakeInstance {
    const name = String(body.name ?? '');
    for (const disk of bootDisks(body)) this.disks.add(FakeWorld.key(project, zone, disk.name));
    const nic = ((body.networkInterfaces as Record<string, unknown>[] | undefined) ?? [])[0];
    const external = Array.isArray(nic?.accessConfigs) && nic.accessConfigs.length > 0;
    const instance: FakeInstance = {
      project,
      zone,
      name,
      id: BigInt(`0x${randomBytes(7).toString('hex')}`).toString(),
      status: 'PROVISIONING',
      body,
      networkIP: `10.128.0.${this.#nextIp++}`,
      natIP: external ? `34.1.2.${this.#nextIp}` : undefined,
      guestAttributes: [],
      createdAt: new Date().toISOString(),
    };
    this.instances.set(FakeWorld.key(project, zone, name), instance);
    for (const hook of this.#createdHooks) hook(instance);
    return instance;
  }

  #operation(project: string, zone: string, operationType: string, instance: FakeInstance): FakeOperation {
    const operation = newOperation(project, zone, operationType, instance);
    this.operations.set(FakeWorld.key(project, zone, operation.name), operation);
    return operation;
  }

  #running(instance: FakeInstance, operation: FakeOperation, hooks: readonly InstanceHook[] = this.#runningHooks): void {
    if (!this.instances.has(FakeWorld.key(instance.project, instance.zone, instance.name))) return;
    if (hooks === this.#resumedHooks) {
      // The guest is thawed before the API says RUNNING, as memory is restored before the VM runs.
      void this.#hooks(hooks, instance).then(() => {
        instance.status = 'RUNNING';
        operation.finish();
      });
      return;
    }
    instance.status = 'RUNNING';
    instance.lastStartTimestamp = apiTimestamp();
    operation.finish();
    void this.#hooks(hooks, instance);
  }

  /** A shutdown completes (hooks: the guest stops) before the API reports the final state. */
  async #settle(instance: FakeInstance, status: string, operation: FakeOperation): Promise<void> {
    if (status === 'TERMINATED') await this.#hooks(this.#stoppedHooks, instance);
    if (status === 'SUSPENDED') await this.#hooks(this.#suspendedHooks, instance);
    instance.status = status;
    if (status === 'TERMINATED') instance.lastStopTimestamp = apiTimestamp();
    if (status === 'SUSPENDED') instance.lastSuspendedTimestamp = apiTimestamp();
    operation.finish();
  }

  async #hooks(hooks: readonly InstanceHook[], instance: FakeInstance): Promise<void> {
    for (const hook of hooks) {
      try {
        await hook(instance);
      } catch (error) {
        this.hookErrors.push(error);
      }
    }
  }

  #takeFailure(operationType: string): OperationError | undefined {
    const index = this.#operationFailures.findIndex((f) => f.operationType === operationType);
    if (index < 0) return undefined;
    return this.#operationFailures.splice(index, 1)[0]!.error;
  }

  #after(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      work();
    }, ms);
    this.#timers.add(timer);
  }
}

/** How the API words a suspend the instance's status refuses. */
function suspendRefusal(status: string): string {
  if (status === 'SUSPENDED' || status === 'SUSPENDING') return 'already suspended';
  if (status === 'REPAIRING') return 'being repaired';
  return 'stopped or terminated';
}

/** The disks an insert body creates: name, source image, and whether they go with the VM. */
function bootDisks(body: Record<string, unknown>): { name: string; image: string | undefined; autoDelete: boolean }[] {
  return ((body.disks as Record<string, unknown>[] | undefined) ?? []).flatMap((disk) => {
    const params = disk.initializeParams as Record<string, unknown> | undefined;
    if (!params) return [];
    const name = String(params.diskName ?? disk.deviceName ?? body.name ?? '');
    return [{ name, image: params.sourceImage === undefined ? undefined : String(params.sourceImage), autoDelete: disk.autoDelete === true }];
  });
}
