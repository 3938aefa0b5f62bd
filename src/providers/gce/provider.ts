/**
 * GCE workers: a VM managed through the Compute API and reached over the pooled SSH connection, by the fast path
 * or, when the network is in the way, through an IAP tunnel. `GceCosProvider` runs jobs in the persistent
 * `maintainer-worker` container; `GceLinuxProvider` on the host unless a container is configured.
 */
import { userInfo } from 'node:os';
import type { GceProviderKind } from '../../config/gce-schema.js';
import type { GceWorkerConfig } from '../../config/schema.js';
import { isSshError } from '../../ssh/errors.js';
import type { SshConnection } from '../../ssh/pool.js';
import { sshAttachCommand, SshProvider } from '../ssh.js';
import {
  WorkerUnreachableError,
  type AttachCommand,
  type ConnectionPath,
  type ExecOptions,
  type ExecResult,
  type MachineStatus,
  type Observation,
  type ProgressReporter,
  type RemoteCommand,
  type StreamOptions,
} from '../types.js';
import type { ContainerAccess } from '../container.js';
import { DEFAULT_BOOT_STATE_DIR } from './bootstrap.js';
import type { InstanceRef } from './compute-api.js';
import { GceConnections } from './connections.js';
import { checkEgress } from './egress.js';
import { allowsFallback, publicKeyFor } from './connectivity.js';
import { GceError } from './errors.js';
import { buildInstanceBody, sourceImage } from './instance-body.js';
import { defaultKnownHostsFile, RouteMemory } from './local-state.js';
import { LoginIdentity, refusedLoginError } from './login-user.js';
import { costPerHourIn, estimateHourlyCost, type CostEstimate } from './pricing.js';
import type { GceProviderDeps } from './provider-deps.js';
import { parseReadiness, readinessFailure, readinessScript } from './readiness.js';
import { DEFAULT_STAGE_TIMEOUTS, pollUntil, RefusedLogins, runStage, type StageContext, type StageTimeouts } from './stages.js';
import { DEFAULT_STATUS_INTERVAL_MS, VmStatus } from './vm-status.js';

export { DEFAULT_STATUS_INTERVAL_MS };
export type { GceProviderDeps };

/** Refused logins needed, besides the grace time, before the ssh stage gives up with the reason. */
const REFUSED_LOGINS_LIMIT = 5;

const noProgress: ProgressReporter = () => undefined;

/** A GCE VM as a worker. Use {@link GceCosProvider} or {@link GceLinuxProvider}. */
export class GceProvider extends SshProvider {
  override readonly kind: GceProviderKind;
  /** Choosing the route talks to the VM (and may wait for it): part of a scan's deadline. */
  protected override readonly reachIsLocal = false;
  /** The worker's resolved config. */
  readonly worker: GceWorkerConfig;
  readonly #deps: GceProviderDeps;
  readonly #ref: InstanceRef;
  readonly #timeouts: StageTimeouts;
  readonly #knownHostsFile: string;
  readonly #connections: GceConnections;
  readonly #status: VmStatus;
  readonly #login: LoginIdentity<GceWorkerConfig>;

  constructor(worker: GceWorkerConfig, deps: GceProviderDeps) {
    super({
      name: worker.name,
      tmuxSocket: worker.tmuxSocket,
      stateDir: worker.stateDir,
      ...(worker.container ? { container: worker.container.name } : {}),
      attachArgs: [],
      // Connections are made by the route logic below (pooled() is overridden).
      connect: () => Promise.reject(new Error('GceProvider connects through its own routes')),
    });
    this.kind = worker.provider;
    this.worker = worker;
    this.#deps = deps;
    this.#ref = { project: worker.project, zone: worker.zone, instance: worker.instance };
    this.#timeouts = { ...DEFAULT_STAGE_TIMEOUTS, ...deps.timeouts };
    this.#knownHostsFile = deps.knownHostsFile ?? defaultKnownHostsFile();
    this.#login = new LoginIdentity(worker, deps.osLogin, deps.username ?? userInfo().username);
    this.#status = new VmStatus(deps.compute, this.#ref, deps.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS, deps.onInstance);
    this.#connections = new GceConnections({
      name: worker.name,
      worker,
      ref: this.#ref,
      pool: deps.pool,
      compute: deps.compute,
      knownHostsFile: this.#knownHostsFile,
      routes: deps.routes ?? RouteMemory.default(),
      fastPathTimeoutMs: deps.fastPathTimeoutMs ?? 4000,
      username: () => this.#login.user(),
      runningInstance: () => this.#status.running(this.name),
      // The VM may have stopped: the next call should know without trying both paths again (unless the status was
      // just read, which is how a VM that is not running was found out).
      onFailure: () => {
        if (this.#status.ageMs > 1000) void this.refreshStatus();
      },
      // Capped at the status interval, so a VM started elsewhere is found soon.
      maxBackoffMs: this.#status.intervalMs,
    });
  }

  /** `project/zone/instance`. */
  get vmKey(): string {
    return this.#connections.vmKey;
  }

  // ---------------------------------------------------------------------------------------------------- status

  /** The VM's state, cached for `statusIntervalMs` (default 15 s); lifecycle operations refresh it as they go. */
  override getStatus(): Promise<MachineStatus> {
    return this.#status.get();
  }

  /** Asks the Compute API now. */
  refreshStatus(): Promise<MachineStatus> {
    return this.#status.refresh();
  }

  /** The estimated cost of this worker (machine, disk, IP). */
  costEstimate(): CostEstimate {
    return estimateHourlyCost(this.worker);
  }

  /** What this worker costs per hour in its last known state; undefined before the first status or when unknown. */
  costPerHour(): number | undefined {
    const state = this.#status.last?.state;
    return state === undefined ? undefined : costPerHourIn(this.costEstimate(), state);
  }

  // ---------------------------------------------------------------------------------------------------- connections

  override connectionPath(): ConnectionPath | undefined {
    return this.#connections.path;
  }

  override roundTripMs(): number | undefined {
    return this.#connections.rttMs;
  }

  /** The pooled connection on the path that works (see {@link GceConnections}). */
  protected override pooled(): Promise<SshConnection> {
    return this.#connections.connection();
  }

  override attachCommand(sessionId: string, options: { readonly readOnly?: boolean } = {}): AttachCommand {
    const args = this.#connections.sshArgs();
    if (args) return sshAttachCommand(args, this, sessionId, options.readOnly ?? false, this.containerAccess());
    // Not `gcloud compute ssh`: it may push keys into the project's metadata and trusts unknown host keys on first use.
    throw new WorkerUnreachableError(this.name, 'not connected yet, so there is no checked route to attach through', 'wait for the worker to show as up, then attach again');
  }

  /** Waits for the OS Login answer first: it decides whether docker needs sudo (the script is made before connecting). */
  override async exec(command: RemoteCommand, options?: ExecOptions): Promise<ExecResult> {
    await this.#login.state().catch(() => undefined);
    return super.exec(command, options);
  }

  override async observe(command: Observation, options?: ExecOptions): Promise<ExecResult> {
    await this.#login.state().catch(() => undefined);
    return super.observe(command, options);
  }

  override async stream(command: Observation, onChunk: (chunk: Buffer) => void, options: StreamOptions): Promise<ExecResult> {
    await this.#login.state().catch(() => undefined);
    return super.stream(command, onChunk, options);
  }

  /**
   * Jobs run in the container as the login user (its ids and `HOME`); through `sudo -n docker` where OS Login is on:
   * an OS Login user is not in /etc/passwd, so the boot script cannot add it to the docker group (nor does COS).
   */
  protected override containerAccess(): ContainerAccess {
    const sudo = this.#login.known?.enabled === true;
    return { asHostUser: true, ...(sudo ? { sudo } : {}) };
  }

  // ---------------------------------------------------------------------------------------------------- lifecycle

  /** Creates the VM, then waits until it runs, answers SSH and its boot script reports the worker ready. */
  override async provision(progress: ProgressReporter = noProgress): Promise<void> {
    const started = Date.now();
    const { worker } = this;
    const user = await this.#login.user();
    const body = buildInstanceBody({
      kind: this.kind,
      worker,
      user,
      ...(await publicKeyFor(worker, user, this.#knownHostsFile)),
      ...(this.#deps.bootStateDir ? { bootStateDir: this.#deps.bootStateDir } : {}),
    });
    progress(
      `creating VM ${worker.instance} in ${worker.zone}: ${worker.machineType}, ${worker.bootDisk.sizeGb} GB ${worker.bootDisk.type}, ${sourceImage(worker.image).replace(/^projects\//, '')}`,
    );
    const context = { action: 'creating the VM', ...this.#ref, machineType: worker.machineType };
    try {
      await checkEgress(this.#deps.compute, worker, worker.egressCheck, (warning) => progress(`warning: ${warning}`));
      await this.#stage('provisioning', 'operation', async ({ signal, note }) => {
        const operation = await this.#deps.compute.insertInstance(worker.project, worker.zone, body, context);
        note(`operation ${operation}`);
        await this.#deps.compute.waitOperation(worker.project, worker.zone, operation, context, signal);
      });
    } catch (error) {
      throw this.#named(error);
    } finally {
      this.#connections.forget();
    }
    await this.#untilState('provisioning', 'running', progress);
    await this.#untilReady('provisioning', progress);
    progress(`${worker.instance} is ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }

  /** Starts (or resumes) the VM if it is not running, and waits until the worker is ready. */
  override async start(progress: ProgressReporter = noProgress): Promise<void> {
    const status = await this.refreshStatus();
    switch (status.state) {
      case 'missing':
        throw this.#missing('Provision the worker to create it');
      case 'stopping':
      case 'suspending':
        progress(`waiting for ${this.worker.instance} to finish ${status.state}`);
        await this.#untilState('starting', ['stopped', 'suspended'], progress);
        return this.start(progress);
      case 'stopped':
        await this.#lifecycle('start', 'starting', progress);
        break;
      case 'suspended':
        await this.#lifecycle('resume', 'resuming', progress);
        break;
      case 'running':
        break;
      default:
        // provisioning, starting, unknown: wait for RUNNING.
        break;
    }
    await this.#untilState('starting', 'running', progress);
    await this.#untilReady('starting', progress);
  }

  /** Wakes a stopped or suspended VM and waits for the worker to be ready (what a launch needs first). */
  override ensureReady(progress: ProgressReporter = noProgress): Promise<void> {
    return this.start(progress);
  }

  /** Stops the VM (its disk stays, and is still billed) and waits until it is TERMINATED. */
  override async stop(progress: ProgressReporter = noProgress): Promise<void> {
    const status = await this.refreshStatus();
    if (status.state === 'missing') {
      throw this.#missing('Nothing to stop');
    }
    if (status.state === 'stopped') {
      progress(`${this.worker.instance} is already stopped`);
      return;
    }
    await this.#lifecycle('stop', 'stopping', progress);
    this.#connections.forget();
    await this.#untilState('stopping', 'stopped', progress);
  }

  /**
   * Suspends the VM (its memory is kept, so jobs and agents waiting for the user survive; compute billing stops)
   * and waits until it is SUSPENDED. Only a RUNNING VM can be suspended; `start` resumes it.
   */
  override async suspend(progress: ProgressReporter = noProgress): Promise<void> {
    const status = await this.refreshStatus();
    if (status.state === 'missing') throw this.#missing('Nothing to suspend');
    if (status.state === 'suspended') {
      progress(`${this.worker.instance} is already suspended`);
      return;
    }
    if (status.detail !== 'SUSPENDING') {
      if (status.state !== 'running') {
        throw new GceError(
          'invalid',
          `${this.name}: cannot suspend VM ${this.worker.instance}: it is ${status.detail ?? status.state}, and only a RUNNING VM can be suspended`,
          status.state === 'stopped' ? 'A stopped VM keeps no memory to suspend; start it first if it should run' : 'Wait until it is RUNNING, then try again',
        );
      }
      await this.#lifecycle('suspend', 'suspending', progress);
    }
    this.#connections.forget();
    await this.#untilState('suspending', 'suspended', progress);
  }

  /** Deletes the VM and its boot disk, and waits until it is gone. */
  override async destroy(progress: ProgressReporter = noProgress): Promise<void> {
    const status = await this.refreshStatus();
    if (status.state === 'missing') {
      progress(`${this.worker.instance} does not exist`);
      return;
    }
    await this.#lifecycle('delete', 'deleting', progress);
    this.#connections.forget();
    await this.#untilState('deleting', 'missing', progress);
    this.#connections.forget({ hostKeys: true });
  }

  /** Deletes the VM (if it exists) and provisions it again from the config. The caller confirms first. */
  override async rebuild(progress: ProgressReporter = noProgress): Promise<void> {
    await this.destroy(progress);
    await this.provision(progress);
  }

  /** One lifecycle call and its zone operation. */
  async #lifecycle(call: 'start' | 'stop' | 'suspend' | 'delete' | 'resume', verb: string, progress: ProgressReporter): Promise<void> {
    progress(`${verb} VM ${this.worker.instance}`);
    const context = { action: `${verb} the VM`, ...this.#ref };
    try {
      await this.#stage(verb, 'operation', async ({ signal, note }) => {
        const operation = await this.#deps.compute.lifecycle(this.#ref, call);
        note(`operation ${operation}`);
        await this.#deps.compute.waitOperation(this.#ref.project, this.#ref.zone, operation, context, signal);
      });
    } catch (error) {
      throw this.#named(error);
    } finally {
      await this.refreshStatus();
    }
  }

  /** Polls the VM until it is in one of `wanted` (the status cache follows along), saying each new state. */
  async #untilState(action: string, wanted: MachineStatus['state'] | readonly MachineStatus['state'][], progress: ProgressReporter): Promise<void> {
    const states = typeof wanted === 'string' ? [wanted] : wanted;
    await this.#stage(action, 'state', (context) => this.#status.until(states, context, (detail) => progress(`${this.worker.instance}: ${detail}`)));
  }

  /** Waits for SSH (either path) and then for the boot script's readiness marker (and the container, if any). */
  async #untilReady(action: string, progress: ProgressReporter): Promise<void> {
    progress(`waiting for SSH on ${this.worker.instance}`);
    const refused = new RefusedLogins(REFUSED_LOGINS_LIMIT, this.#deps.refusedLoginGraceMs ?? 60_000);
    await this.#stage(action, 'ssh', ({ signal, note }) =>
      pollUntil(
        signal,
        async () => {
          try {
            this.#connections.tryNow();
            await this.pooled();
            return true;
          } catch (error) {
            // While the VM boots: sshd not up yet, keys not installed by the guest agent yet, host keys not published yet.
            const transient = allowsFallback(error) || isSshError(error, 'auth', 'host-key-unknown') || error instanceof WorkerUnreachableError;
            if (!transient) throw error;
            // Refused again and again once the guest agent had its time: the key will not be accepted (OS Login, wrong user).
            if (isSshError(error, 'auth') && refused.add()) {
              throw refusedLoginError(error, refused.count, this.worker, await this.#login.user(), await this.#login.state());
            }
            note(error instanceof Error ? error.message : String(error));
            return undefined;
          }
        },
        { initialMs: 200, maxMs: 3000 },
      ),
    );
    progress(`connected ${this.connectionPath() === 'iap' ? 'through IAP' : 'directly'}; waiting for the worker to be ready`);
    await this.#stage(action, 'ready', ({ signal, note }) =>
      pollUntil(
        signal,
        async () => {
          const script = readinessScript(this.#deps.bootStateDir ?? DEFAULT_BOOT_STATE_DIR, this.worker.container);
          const result = await this.exec({ script }, { target: 'host', timeoutMs: 15_000 });
          const readiness = parseReadiness(result.stdout, result.code);
          if (readiness.state === 'ready') return true;
          if (readiness.state === 'failed' || readiness.state === 'unusable') {
            throw readinessFailure(readiness, { worker: this.name, action, kind: this.kind, sudo: this.containerAccess().sudo === true });
          }
          // The boot script added the user to the docker group after this connection logged in.
          if (readiness.state === 'regroup') this.#connections.reopen();
          note(readiness.state === 'regroup' ? 'logging in again: the docker group was added after the connection was opened' : readiness.detail);
          return undefined;
        },
        { initialMs: 200, maxMs: 3000 },
      ),
    );
  }

  #stage<T>(action: string, stage: keyof StageTimeouts, work: (context: StageContext) => Promise<T>): Promise<T> {
    return runStage(this.name, action, stage, this.#timeouts[stage], work);
  }

  #missing(hint: string): GceError {
    return new GceError('not-found', `${this.name}: VM ${this.worker.instance} does not exist in ${this.#ref.project}/${this.#ref.zone}`, hint);
  }

  #named(error: unknown): unknown {
    return error instanceof GceError ? error.on(this.name) : error;
  }
}

/** A Container-Optimized OS worker: jobs run in the persistent container. */
export class GceCosProvider extends GceProvider {}

/** A Linux worker: jobs run on the host, or in a container when one is configured. */
export class GceLinuxProvider extends GceProvider {}

/** Creates the provider for a GCE worker's kind. */
export function createGceProvider(worker: GceWorkerConfig, deps: GceProviderDeps): GceProvider {
  return worker.provider === 'gce-cos' ? new GceCosProvider(worker, deps) : new GceLinuxProvider(worker, deps);
}
