/**
 * The slice of the Compute API the GCE providers use, as plain REST calls through google-auth-library (see
 * compute-rest.ts): instances, zone operations, guest attributes, and what the egress and OS Login checks read
 * (project metadata, networks, subnetworks, routers).
 */
import { randomUUID } from 'node:crypto';
import { ComputeRest, computeOptionsFromEnv, resourcePath, type ComputeClientOptions, type CredentialsAccount, type RestRequest } from './compute-rest.js';
import type { ComputeInstance, ComputeNetwork, ComputeOperation, ComputeProject, ComputeRouter, ComputeSubnetwork } from './compute-resources.js';
import { describeComputeError, describeOperationError, describeSetupError, GceError, httpStatusOf, isRequestTimeout, type CallContext } from './errors.js';

export { COMPUTE_EMULATOR_ACCOUNT_ENV, COMPUTE_EMULATOR_ENV, computeOptionsFromEnv, dropMetadataLookupWarnings, METADATA_LOOKUP_WARNING } from './compute-rest.js';
export type { ComputeClientOptions, CredentialsAccount } from './compute-rest.js';

export type {
  AccessConfig,
  ComputeInstance,
  ComputeNetwork,
  ComputeOperation,
  ComputeProject,
  ComputeRouter,
  ComputeSubnetwork,
  MetadataItem,
  NetworkInterface,
  RouterNat,
} from './compute-resources.js';

/** Names one VM. */
export interface InstanceRef {
  readonly project: string;
  readonly zone: string;
  readonly instance: string;
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

/** Options for {@link ComputeApi}. */
export interface ComputeApiOptions {
  /** Client options, or a function that gives them (called on first use). Default: {@link computeOptionsFromEnv}. */
  readonly client?: ComputeClientOptions | (() => Promise<ComputeClientOptions>);
  /** How long one `zoneOperations.wait` call may block; default 60 s (the API answers within 2 min, maybe at once). */
  readonly waitCallMs?: number;
  /** The least time between the starts of two `wait` calls on one operation; default 1 s. */
  readonly waitFloorMs?: number;
  /** Pause before repeating a create or lifecycle call that failed in transit; default 1 s (then 2 s). */
  readonly retryDelayMs?: number;
}

/** Guest attributes may be read at most this often per VM (the API's limit: 10 queries a minute). */
export const GUEST_ATTRIBUTE_QUERIES_PER_MINUTE = 10;

/** The Compute API calls the providers make. Every failure is a {@link GceError}. */
export class ComputeApi {
  #rest: Promise<ComputeRest> | undefined;
  readonly #options: ComputeApiOptions;
  readonly #guestQueries = new Map<string, { times: number[]; last: Map<string, GuestAttribute[]> }>();

  constructor(options: ComputeApiOptions = {}) {
    this.#options = options;
  }

  /** True once the transport has been set up by this object. */
  get loaded(): boolean {
    return this.#rest !== undefined;
  }

  /** The instance, or undefined when it does not exist. */
  async getInstance(ref: InstanceRef): Promise<ComputeInstance | undefined> {
    return this.#getOrMissing({ method: 'GET', path: instancePath(ref) }, { action: 'reading the VM', ...ref });
  }

  /**
   * Starts creating an instance; resolves to the operation's name. The request carries a requestId, so a call
   * repeated after a failure in transit finds the first one's operation instead of creating a second VM.
   */
  async insertInstance(project: string, zone: string, body: ComputeInstance, context: Partial<CallContext> = {}): Promise<string> {
    const ctx: CallContext = { action: 'creating the VM', project, zone, ...(body.name ? { instance: body.name } : {}), ...context, insert: true };
    return this.#mutate({ method: 'POST', path: resourcePath('projects', project, 'zones', zone, 'instances'), data: body }, ctx);
  }

  /** Starts a lifecycle call on an instance; resolves to the operation's name. */
  async lifecycle(ref: InstanceRef, call: 'start' | 'stop' | 'delete' | 'resume' | 'suspend'): Promise<string> {
    const request: RestRequest = call === 'delete' ? { method: 'DELETE', path: instancePath(ref) } : { method: 'POST', path: `${instancePath(ref)}/${call}` };
    return this.#mutate(request, { action: LIFECYCLE_ACTIONS[call], ...ref });
  }

  /**
   * Waits for a zone operation to be DONE: `zoneOperations.wait` returns when the operation is done or after a while
   * (then still RUNNING, possibly at once), so it is called again, at most once per `waitFloorMs`, until DONE.
   * An operation that finished with errors rejects with them.
   */
  async waitOperation(project: string, zone: string, operation: string, context: CallContext, signal?: AbortSignal): Promise<ComputeOperation> {
    const rest = await this.#ready(context);
    const floor = this.#options.waitFloorMs ?? 1000;
    const path = `${resourcePath('projects', project, 'zones', zone, 'operations', operation)}/wait`;
    for (;;) {
      signal?.throwIfAborted();
      const started = Date.now();
      let result: ComputeOperation | undefined;
      try {
        result = await rest.send<ComputeOperation>({ method: 'POST', path, timeoutMs: this.#options.waitCallMs ?? 60_000, ...(signal ? { signal } : {}) });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        // The call outlived its own deadline: the operation is still running, ask again.
        if (!isRequestTimeout(error)) throw describeComputeError(error, context);
      }
      if (result?.status === 'DONE') {
        if (result.error?.errors?.length) throw describeOperationError(result.error, result.httpErrorStatusCode, context);
        return result;
      }
      await pause(floor - (Date.now() - started), signal);
    }
  }

  /**
   * The guest attributes under `queryPath` (e.g. `hostkeys/`); empty when the VM publishes none. At most
   * {@link GUEST_ATTRIBUTE_QUERIES_PER_MINUTE} queries a minute per VM reach the API; past that, the last answer.
   */
  async guestAttributes(ref: InstanceRef, queryPath: string): Promise<GuestAttribute[]> {
    const key = `${ref.project}/${ref.zone}/${ref.instance}`;
    const vm = this.#guestQueries.get(key) ?? { times: [], last: new Map<string, GuestAttribute[]>() };
    this.#guestQueries.set(key, vm);
    const now = Date.now();
    vm.times = vm.times.filter((at) => now - at < 60_000);
    if (vm.times.length >= GUEST_ATTRIBUTE_QUERIES_PER_MINUTE) return vm.last.get(queryPath) ?? [];
    vm.times.push(now);
    type Answer = { queryValue?: { items?: { namespace?: string; key?: string; value?: string }[] } };
    // Not published (yet), or guest attributes disabled on this VM: a 404.
    const answer = await this.#getOrMissing<Answer>(
      { method: 'GET', path: `${instancePath(ref)}/getGuestAttributes`, params: { queryPath } },
      { action: 'reading guest attributes', ...ref },
    );
    const items = (answer?.queryValue?.items ?? []).flatMap((item) =>
      item.key && item.value ? [{ namespace: item.namespace ?? '', key: item.key, value: item.value }] : [],
    );
    vm.last.set(queryPath, items);
    return items;
  }

  /**
   * Instances matching `filter` (e.g. `labels.mission-control=worker`): in the given zones, or in every zone of the
   * project with one aggregated call.
   */
  async listInstances(project: string, filter: string, zones?: readonly string[]): Promise<ListedInstance[]> {
    const ctx: CallContext = { action: 'listing VMs', project };
    const found: ListedInstance[] = [];
    if (zones && zones.length > 0) {
      for (const zone of zones) {
        type Page = { items?: ComputeInstance[] };
        const path = resourcePath('projects', project, 'zones', zone, 'instances');
        for await (const page of this.#pages<Page>({ method: 'GET', path, params: { filter } }, ctx)) {
          for (const instance of page.items ?? []) found.push({ zone, instance });
        }
      }
      return found;
    }
    type Page = { items?: Record<string, { instances?: ComputeInstance[] }> };
    const request: RestRequest = { method: 'GET', path: resourcePath('projects', project, 'aggregated', 'instances'), params: { filter, returnPartialSuccess: true } };
    for await (const page of this.#pages<Page>(request, ctx)) {
      for (const [scope, list] of Object.entries(page.items ?? {})) {
        for (const instance of list.instances ?? []) found.push({ zone: scope.replace(/^zones\//, ''), instance });
      }
    }
    return found;
  }

  /** The zone's operations matching `filter` (e.g. a VM's preemptions: `operationType = "compute.instances.preempted"`). */
  async listOperations(project: string, zone: string, filter: string): Promise<ComputeOperation[]> {
    const operations: ComputeOperation[] = [];
    const request: RestRequest = { method: 'GET', path: resourcePath('projects', project, 'zones', zone, 'operations'), params: { filter } };
    for await (const page of this.#pages<{ items?: ComputeOperation[] }>(request, { action: 'listing zone operations', project, zone })) operations.push(...(page.items ?? []));
    return operations;
  }

  /** The project (for its common instance metadata). */
  async getProject(project: string): Promise<ComputeProject> {
    return this.#send({ method: 'GET', path: resourcePath('projects', project) }, { action: 'reading the project', project });
  }

  /** The network, or undefined when it does not exist. */
  async getNetwork(project: string, network: string): Promise<ComputeNetwork | undefined> {
    return this.#getOrMissing({ method: 'GET', path: resourcePath('projects', project, 'global', 'networks', network) }, { action: 'reading the network', project });
  }

  /** The subnetwork, or undefined when it does not exist. */
  async getSubnetwork(project: string, region: string, subnet: string): Promise<ComputeSubnetwork | undefined> {
    const path = resourcePath('projects', project, 'regions', region, 'subnetworks', subnet);
    return this.#getOrMissing({ method: 'GET', path }, { action: 'reading the subnetwork', project });
  }

  /** The Cloud Routers of a region (with their NAT configurations). */
  async listRouters(project: string, region: string): Promise<ComputeRouter[]> {
    const routers: ComputeRouter[] = [];
    const request: RestRequest = { method: 'GET', path: resourcePath('projects', project, 'regions', region, 'routers') };
    for await (const page of this.#pages<{ items?: ComputeRouter[] }>(request, { action: 'listing Cloud Routers', project })) routers.push(...(page.items ?? []));
    return routers;
  }

  /** The account behind the credentials, when it can be found out (for the OS Login user name). */
  async account(): Promise<CredentialsAccount | undefined> {
    const rest = await this.#ready({ action: 'reading the credentials', project: '' });
    return rest.account();
  }

  /** Forgets the transport (nothing stays open between calls). */
  async close(): Promise<void> {
    this.#rest = undefined;
  }

  async #send<T>(request: RestRequest, context: CallContext): Promise<T> {
    const rest = await this.#ready(context);
    try {
      return await rest.send<T>(request);
    } catch (error) {
      throw describeComputeError(error, context);
    }
  }

  async #getOrMissing<T>(request: RestRequest, context: CallContext): Promise<T | undefined> {
    try {
      return await this.#send<T>(request, context);
    } catch (error) {
      if (error instanceof GceError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** A create or lifecycle call with a requestId, repeated (same id) when it failed in transit or on a server error. */
  async #mutate(request: RestRequest, context: CallContext): Promise<string> {
    const rest = await this.#ready(context);
    const params = { ...request.params, requestId: randomUUID() };
    const delay = this.#options.retryDelayMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      try {
        const operation = await rest.send<ComputeOperation>({ ...request, params });
        if (!operation.name) throw new GceError('api', `${context.action} failed: the Compute API returned an operation without a name`, 'Try again');
        return operation.name;
      } catch (error) {
        if (attempt >= 3 || !isRetryable(error)) throw describeComputeError(error, context);
        await pause(delay * attempt);
      }
    }
  }

  async *#pages<T extends object>(request: RestRequest, context: CallContext): AsyncGenerator<T & { nextPageToken?: string }> {
    let pageToken: string | undefined;
    do {
      const page = await this.#send<T & { nextPageToken?: string }>({ ...request, params: { ...request.params, pageToken } }, context);
      yield page;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /**
   * The transport, set up on first use. A failed setup (no credentials) is forgotten, so the next call tries again
   * (e.g. after `gcloud auth application-default login`).
   */
  #ready(context: CallContext): Promise<ComputeRest> {
    this.#rest ??= (async () => {
      const configured = this.#options.client;
      const options = typeof configured === 'function' ? await configured() : (configured ?? (await computeOptionsFromEnv()));
      return ComputeRest.connect(options);
    })();
    const rest = this.#rest;
    return rest.catch((error: unknown) => {
      if (this.#rest === rest) this.#rest = undefined;
      throw describeSetupError(error, context);
    });
  }
}

let shared: ComputeApi | undefined;

/** The process's Compute API (transport set up on first call, options from the environment). */
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

function instancePath(ref: InstanceRef): string {
  return resourcePath('projects', ref.project, 'zones', ref.zone, 'instances', ref.instance);
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** A failure after which the same request (same requestId) may be sent again: lost in transit, or a server error. */
function isRetryable(error: unknown): boolean {
  const status = httpStatusOf(error);
  if (status !== undefined) return status >= 500 || status === 429;
  return TRANSIENT_CODES.has(errorCode(error) ?? '') || /socket hang up|other side closed|fetch failed|terminated/i.test(String((error as Error)?.message));
}

function errorCode(error: unknown): string | undefined {
  const cause = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = cause?.code ?? cause?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Waits `ms` (nothing when 0 or less); rejects with the signal's reason when it aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal!.reason));
    const timer = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
