/**
 * The slice of the Compute API the GCE providers use, over the real `@google-cloud/compute` client (REST transport).
 *
 * The client library takes over a second to load, so it is imported on the first call, never at module load:
 * a dashboard without GCE workers never loads it, and one with them draws its first frame before it does.
 */
import type { protos } from '@google-cloud/compute';
import { describeComputeError, describeOperationError, describeSetupError, GceError, type CallContext } from './errors.js';

/** A Compute instance as the API returns it. */
export type ComputeInstance = protos.google.cloud.compute.v1.IInstance;
/** A Compute operation as the API returns it. */
export type ComputeOperation = protos.google.cloud.compute.v1.IOperation;

/** Names one VM. */
export interface InstanceRef {
  readonly project: string;
  readonly zone: string;
  readonly instance: string;
}

/** Where the client sends requests and how it authenticates; empty for the real API with ADC. */
export interface ComputeClientOptions {
  /** Host name of the API (default compute.googleapis.com). */
  readonly apiEndpoint?: string;
  readonly port?: number;
  readonly protocol?: 'http' | 'https';
  /**
   * An auth client (google-auth-library's `PassThroughClient` for a local emulator). Without one, Application
   * Default Credentials are used, as by every Google tool.
   */
  readonly authClient?: unknown;
}

/** One guest attribute (`hostkeys/ssh-ed25519` → the key's base64). */
export interface GuestAttribute {
  readonly namespace: string;
  readonly key: string;
  readonly value: string;
}

/** An instance found by listing, with the zone it is in. */
export interface ListedInstance {
  readonly zone: string;
  readonly instance: ComputeInstance;
}

type ComputeModule = typeof import('@google-cloud/compute');
type Clients = {
  readonly instances: InstanceType<ComputeModule['InstancesClient']>;
  readonly operations: InstanceType<ComputeModule['ZoneOperationsClient']>;
};

let loading: Promise<ComputeModule> | undefined;

/**
 * The warning type google-auth-library's metadata-server probe (gcp-metadata) emits off Google Cloud, where the
 * probe is expected to fail: the credential error that follows already says what to do.
 */
export const METADATA_LOOKUP_WARNING = 'MetadataLookupWarning';

let warningsFiltered = false;

/**
 * Keeps {@link METADATA_LOOKUP_WARNING} off the user's terminal. Node prints every `process.emitWarning` to stderr
 * (a 'warning' listener cannot stop that), so this one type is dropped where it is emitted; every other warning
 * goes through unchanged.
 */
export function dropMetadataLookupWarnings(): void {
  if (warningsFiltered) return;
  warningsFiltered = true;
  const emitWarning = process.emitWarning;
  const typeOf = (warning: unknown, option: unknown): unknown =>
    typeof option === 'string' ? option : ((option as { type?: unknown } | undefined)?.type ?? (warning instanceof Error ? warning.name : undefined));
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    if (typeOf(warning, rest[0]) === METADATA_LOOKUP_WARNING) return;
    (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}

/** Imports `@google-cloud/compute` once (the only place that does). */
export function loadComputeModule(): Promise<ComputeModule> {
  dropMetadataLookupWarnings();
  loading ??= import('@google-cloud/compute').then((module) => {
    // A CommonJS package: its exports are `default` when imported from ESM.
    const exports = (module as unknown as { default?: ComputeModule }).default ?? module;
    return exports;
  });
  return loading;
}

/**
 * The environment variable that points mission-control at a Compute API emulator (`http://127.0.0.1:PORT`):
 * requests then go there without credentials. For tests and local development only.
 */
export const COMPUTE_EMULATOR_ENV = 'MISSION_CONTROL_COMPUTE_EMULATOR';

/** Client options from the environment: an emulator when {@link COMPUTE_EMULATOR_ENV} is set, else the real API. */
export async function computeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<ComputeClientOptions> {
  const emulator = env[COMPUTE_EMULATOR_ENV];
  if (!emulator) return {};
  const url = new URL(emulator);
  const { PassThroughClient } = await import('google-auth-library');
  return {
    apiEndpoint: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    authClient: new PassThroughClient(),
  };
}

/** Options for {@link ComputeApi}. */
export interface ComputeApiOptions {
  /** Client options, or a function that gives them (called on first use). Default: {@link computeOptionsFromEnv}. */
  readonly client?: ComputeClientOptions | (() => Promise<ComputeClientOptions>);
  /** How long one `zoneOperations.wait` call may block on the server; default 60 s (the API caps it at 2 min). */
  readonly waitCallMs?: number;
}

/** The Compute API calls the providers make. Every failure is a {@link GceError}. */
export class ComputeApi {
  #clients: Promise<Clients> | undefined;
  readonly #options: ComputeApiOptions;

  constructor(options: ComputeApiOptions = {}) {
    this.#options = options;
  }

  /** True once the client library has been loaded by this object. */
  get loaded(): boolean {
    return this.#clients !== undefined;
  }

  /** The instance, or undefined when it does not exist. */
  async getInstance(ref: InstanceRef): Promise<ComputeInstance | undefined> {
    const { instances } = await this.#ready({ action: 'reading the VM', ...ref });
    try {
      const [instance] = await instances.get({ project: ref.project, zone: ref.zone, instance: ref.instance });
      return instance;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw describeComputeError(error, { action: 'reading the VM', ...ref });
    }
  }

  /** Starts creating an instance; resolves to the operation's name. */
  async insertInstance(project: string, zone: string, body: ComputeInstance, context: Partial<CallContext> = {}): Promise<string> {
    const ctx: CallContext = { action: 'creating the VM', project, zone, ...(body.name ? { instance: body.name } : {}), ...context };
    const { instances } = await this.#ready(ctx);
    try {
      const [operation] = await instances.insert({ project, zone, instanceResource: body });
      return operationName(operation);
    } catch (error) {
      throw describeComputeError(error, ctx);
    }
  }

  /** Starts a lifecycle call on an instance; resolves to the operation's name. */
  async lifecycle(ref: InstanceRef, call: 'start' | 'stop' | 'delete' | 'resume' | 'suspend'): Promise<string> {
    const ctx: CallContext = { action: LIFECYCLE_ACTIONS[call], ...ref };
    const { instances } = await this.#ready(ctx);
    const request = { project: ref.project, zone: ref.zone, instance: ref.instance };
    try {
      const [operation] = await instances[call](request);
      return operationName(operation);
    } catch (error) {
      throw describeComputeError(error, ctx);
    }
  }

  /**
   * Waits for a zone operation to be DONE: `zoneOperations.wait` returns when the operation is done or after a while
   * (then still RUNNING), so it is called again until DONE. An operation that finished with errors rejects with them.
   */
  async waitOperation(project: string, zone: string, operation: string, context: CallContext, signal?: AbortSignal): Promise<ComputeOperation> {
    const { operations } = await this.#ready(context);
    for (;;) {
      signal?.throwIfAborted();
      let result: ComputeOperation;
      try {
        [result] = await abortable(operations.wait({ project, zone, operation }, { timeout: this.#options.waitCallMs ?? 60_000 }), signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw describeComputeError(error, context);
      }
      if (String(result.status) === 'DONE') {
        if (result.error?.errors?.length) {
          throw describeOperationError(result.error, result.httpErrorStatusCode ?? undefined, context);
        }
        return result;
      }
    }
  }

  /** The guest attributes under `queryPath` (e.g. `hostkeys/`); empty when the VM publishes none. */
  async guestAttributes(ref: InstanceRef, queryPath: string): Promise<GuestAttribute[]> {
    const ctx: CallContext = { action: 'reading guest attributes', ...ref };
    const { instances } = await this.#ready(ctx);
    try {
      const [attributes] = await instances.getGuestAttributes({ project: ref.project, zone: ref.zone, instance: ref.instance, queryPath });
      return (attributes.queryValue?.items ?? []).flatMap((item) =>
        item.key && item.value ? [{ namespace: item.namespace ?? '', key: item.key, value: item.value }] : [],
      );
    } catch (error) {
      // Not published (yet), or guest attributes disabled on this VM.
      if (statusOf(error) === 404) return [];
      throw describeComputeError(error, ctx);
    }
  }

  /**
   * Instances matching `filter` (e.g. `labels.mission-control=worker`): in the given zones, or in every zone of the
   * project with one aggregated call.
   */
  async listInstances(project: string, filter: string, zones?: readonly string[]): Promise<ListedInstance[]> {
    const ctx: CallContext = { action: 'listing VMs', project };
    const { instances } = await this.#ready(ctx);
    const found: ListedInstance[] = [];
    try {
      if (zones && zones.length > 0) {
        for (const zone of zones) {
          for await (const instance of instances.listAsync({ project, zone, filter }, PAGED)) found.push({ zone, instance });
        }
      } else {
        for await (const [scope, list] of instances.aggregatedListAsync({ project, filter, returnPartialSuccess: true }, PAGED)) {
          const zone = scope.replace(/^zones\//, '');
          for (const instance of list.instances ?? []) found.push({ zone, instance });
        }
      }
    } catch (error) {
      throw describeComputeError(error, ctx);
    }
    return found;
  }

  /** Closes the clients (their HTTP agents), if they were created. */
  async close(): Promise<void> {
    const clients = await this.#clients?.catch(() => undefined);
    this.#clients = undefined;
    await Promise.all([clients?.instances.close(), clients?.operations.close()].map((p) => p?.catch(() => undefined)));
  }

  /**
   * The clients, created and initialized on first use. Initializing explicitly matters: the library's methods start
   * it themselves and rethrow its failure (e.g. no credentials) from a detached promise, which would crash the process.
   * A failed initialization is forgotten, so the next call tries again (e.g. after `gcloud auth application-default login`).
   */
  #ready(context: CallContext): Promise<Clients> {
    this.#clients ??= (async () => {
      const compute = await loadComputeModule();
      const configured = this.#options.client;
      const options = typeof configured === 'function' ? await configured() : (configured ?? (await computeOptionsFromEnv()));
      const clientOptions = { ...options, fallback: true } as ConstructorParameters<ComputeModule['InstancesClient']>[0];
      const instances = new compute.InstancesClient(clientOptions);
      const operations = new compute.ZoneOperationsClient(clientOptions);
      await Promise.all([instances.initialize(), operations.initialize()]);
      return { instances, operations };
    })();
    const clients = this.#clients;
    return clients.catch((error: unknown) => {
      if (this.#clients === clients) this.#clients = undefined;
      throw describeSetupError(error, context);
    });
  }
}

/**
 * Page by page, as the async iterators always do; saying so keeps the library from printing a process warning to
 * stderr (which would land in the middle of the dashboard).
 */
const PAGED = { autoPaginate: false } as const;

let shared: ComputeApi | undefined;

/** The process's Compute API (clients created on first call, options from the environment). */
export function sharedComputeApi(): ComputeApi {
  shared ??= new ComputeApi();
  return shared;
}

const LIFECYCLE_ACTIONS = {
  start: 'starting the VM',
  stop: 'stopping the VM',
  delete: 'deleting the VM',
  resume: 'resuming the VM',
  suspend: 'suspending the VM',
} as const;

/** `insert` and friends return an operation object whose `name` is the operation's id; the name is in `latestResponse`. */
function operationName(operation: { latestResponse?: unknown; name?: unknown }): string {
  const latest = operation.latestResponse as ComputeOperation | undefined;
  const name = latest?.name ?? (typeof operation.name === 'string' ? operation.name : undefined);
  if (!name) throw new GceError('api', 'the Compute API returned an operation without a name', 'Try again');
  return name;
}

function statusOf(error: unknown): number | undefined {
  const cause = error as { code?: unknown; response?: { status?: unknown } } | null;
  const status = cause?.response?.status ?? cause?.code;
  return typeof status === 'number' ? status : undefined;
}

/** `promise`, or the signal's reason as soon as it is aborted (the call itself is left to finish). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}
