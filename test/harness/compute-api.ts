/**
 * A local HTTP server implementing the Compute REST subset mission-control uses, for its real REST calls (through
 * google-auth-library's client, without credentials) to talk to (no mocking of the client):
 *
 *   GET    /compute/v1/projects/P/zones/Z/instances[?filter=]          list
 *   POST   /compute/v1/projects/P/zones/Z/instances                    insert
 *   GET    /compute/v1/projects/P/zones/Z/instances/NAME               get
 *   DELETE /compute/v1/projects/P/zones/Z/instances/NAME               delete
 *   POST   /compute/v1/projects/P/zones/Z/instances/NAME/{start,stop,suspend,resume}
 *   GET    /compute/v1/projects/P/zones/Z/instances/NAME/getGuestAttributes?queryPath=
 *   GET    /compute/v1/projects/P/aggregated/instances[?filter=]       aggregatedList
 *   GET    /compute/v1/projects/P/zones/Z/operations[?filter=]         zoneOperations.list (e.g. preemptions)
 *   GET    /compute/v1/projects/P/zones/Z/operations/OP                zoneOperations.get
 *   POST   /compute/v1/projects/P/zones/Z/operations/OP/wait           zoneOperations.wait (may return RUNNING)
 *   GET    /compute/v1/projects/P                                      projects.get (common instance metadata)
 *   GET    /compute/v1/projects/P/global/networks/N                    networks.get
 *   GET    /compute/v1/projects/P/regions/R/subnetworks/S              subnetworks.get
 *   GET    /compute/v1/projects/P/regions/R/routers                    routers.list (with Cloud NAT)
 *
 * As strict as the real API where mission-control depends on it: insert and lifecycle calls honour `requestId`
 * (the same id returns the first call's operation), an insert naming a missing image or network or a taken disk
 * name fails as GCE fails it, guest attributes answer at most 10 queries a minute per VM, a project can have the
 * Compute Engine API disabled, and `wait` answers after at most `waitMs`, possibly with the operation still RUNNING.
 *
 * State changes happen asynchronously on timers (see compute/state.ts), errors have the real bodies (compute/errors.ts),
 * and every request is recorded for assertions.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThroughClient } from 'google-auth-library';
import { notFound, rateLimited, type ApiError } from './compute/errors.js';
import { operationMatches } from './compute/operations.js';
import { FakeWorld, type FakeInstance, type TransitionDelays } from './compute/state.js';

export * from './compute/errors.js';
export type { FakeInstance, FakeOperation, FakeGuestAttribute, InstanceHook } from './compute/state.js';
export type { FakeProjects, FakeRouter, FakeSubnet } from './compute/projects.js';

/** One request the fake received. */
export interface RecordedRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/compute/v1/projects/p/zones/z/instances`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The JSON body, parsed; undefined when there was none. */
  readonly body: unknown;
}

/** Options for {@link startComputeApi}. */
export interface ComputeApiOptions {
  /** Milliseconds per transition step; default 150 each, but 1 s for a suspend (GCE writes the VM's memory out). */
  readonly delays?: Partial<TransitionDelays>;
  /** The longest a `wait` call blocks before answering with a RUNNING operation; default 100 ms. */
  readonly waitMs?: number;
}

/** A running fake Compute API. */
export interface ComputeApiFake {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Options for mission-control's ComputeApi that point at this server, without credentials. */
  clientOptions(): { apiEndpoint: string; port: number; protocol: 'http'; authClient: PassThroughClient };
  /** Every request so far, in order. */
  readonly requests: RecordedRequest[];
  /** Requests with this method whose path matches. */
  requestsTo(method: string, path: RegExp): RecordedRequest[];
  /** The instance, if it exists. */
  instance(project: string, zone: string, name: string): FakeInstance | undefined;
  /** The world behind the API: add instances, hooks, operation failures. */
  readonly world: FakeWorld;
  /** The next `times` requests matching method and path are answered with `error` instead. */
  failRequests(method: string, path: RegExp, error: ApiError, times?: number): void;
  /** The next `times` requests matching method and path are carried out, but the connection drops before the answer. */
  dropResponses(method: string, path: RegExp, times?: number): void;
  close(): Promise<void>;
}

const PREFIX = /^\/compute\/v1\/projects\/([^/]+)/;

/** Starts the fake on a free loopback port. */
export async function startComputeApi(options: ComputeApiOptions = {}): Promise<ComputeApiFake> {
  const delays: TransitionDelays = { provisioning: 150, staging: 150, stopping: 150, suspending: 1000, deleting: 150, ...options.delays };
  const waitMs = options.waitMs ?? 100;
  const world = new FakeWorld(delays);
  const requests: RecordedRequest[] = [];
  const failures: { method: string; path: RegExp; error: ApiError; times: number }[] = [];
  const drops: { method: string; path: RegExp; times: number }[] = [];
  const guestQueries = new Map<string, number[]>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    const method = req.method ?? 'GET';
    const request: RecordedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body };
    requests.push(request);
    const drop = drops.find((d) => d.times > 0 && d.method === method && d.path.test(url.pathname));
    const send = (status: number, payload: unknown) => {
      if (drop) {
        drop.times--;
        res.socket?.destroy();
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(payload));
    };
    const fail = (error: ApiError) => send(error.status, error.body);

    const injected = failures.find((f) => f.times > 0 && f.method === method && f.path.test(url.pathname));
    if (injected) {
      injected.times--;
      return fail(injected.error);
    }
    const prefix = PREFIX.exec(url.pathname);
    if (!prefix) return fail(notFound(url.pathname));
    const project = decodeURIComponent(prefix[1]!);
    const rest = url.pathname.slice(prefix[0].length).split('/').filter(Boolean).map(decodeURIComponent);
    const filter = url.searchParams.get('filter') ?? '';
    const requestId = url.searchParams.get('requestId') ?? undefined;
    const answered = world.projects.answer(method, project, rest);
    if (answered) return send(answered.status, answered.body);

    // aggregated/instances
    if (rest[0] === 'aggregated' && rest[1] === 'instances' && rest.length === 2 && method === 'GET') {
      const items: Record<string, unknown> = {};
      for (const instance of world.instances.values()) {
        if (instance.project !== project || !matchesFilter(world.render(instance), filter)) continue;
        const scope = `zones/${instance.zone}`;
        const list = (items[scope] as { instances: unknown[] } | undefined) ?? { instances: [] };
        list.instances.push(world.render(instance));
        items[scope] = list;
      }
      return send(200, { kind: 'compute#instanceAggregatedList', id: `projects/${project}/aggregated/instances`, items });
    }
    if (rest[0] !== 'zones' || !rest[1]) return fail(notFound(url.pathname));
    const zone = rest[1];
    const [collection, name, verb, extra] = rest.slice(2);
    const resource = `projects/${project}/zones/${zone}/instances/${name ?? ''}`;

    if (collection === 'operations' && !name && method === 'GET') {
      const items = [...world.operations.values()]
        .filter((operation) => operation.project === project && operation.zone === zone && operationMatches(operation, filter))
        .map((operation) => world.renderOperation(operation));
      return send(200, { kind: 'compute#operationList', id: `projects/${project}/zones/${zone}/operations`, items });
    }
    if (collection === 'operations' && name) {
      const operation = world.operations.get(FakeWorld.key(project, zone, name));
      if (!operation) return fail(notFound(`projects/${project}/zones/${zone}/operations/${name}`));
      if (verb === 'wait' && method === 'POST') {
        await Promise.race([operation.done, new Promise((resolve) => setTimeout(resolve, waitMs))]);
      } else if (verb !== undefined || method !== 'GET') {
        return fail(notFound(url.pathname));
      }
      return send(200, world.renderOperation(operation));
    }
    if (collection !== 'instances') return fail(notFound(url.pathname));

    if (!name) {
      if (method === 'GET') {
        const items = [...world.instances.values()]
          .filter((i) => i.project === project && i.zone === zone)
          .map((i) => world.render(i))
          .filter((i) => matchesFilter(i, filter));
        return send(200, { kind: 'compute#instanceList', id: `projects/${project}/zones/${zone}/instances`, items });
      }
      if (method === 'POST') {
        const replayed = world.replay(project, zone, requestId);
        if (replayed) return send(200, world.renderOperation(replayed));
        const result = world.insert(project, zone, (body ?? {}) as Record<string, unknown>);
        if (isApiError(result)) return fail(result);
        world.remember(project, zone, requestId, result);
        return send(200, world.renderOperation(result));
      }
      return fail(notFound(url.pathname));
    }

    const instance = world.instances.get(FakeWorld.key(project, zone, name));
    if (verb === undefined && method === 'GET') {
      return instance ? send(200, world.render(instance)) : fail(notFound(resource));
    }
    if ((verb === undefined && method === 'DELETE') || (method === 'POST' && ['start', 'stop', 'suspend', 'resume'].includes(verb ?? ''))) {
      const replayed = world.replay(project, zone, requestId);
      if (replayed) return send(200, world.renderOperation(replayed));
      const result = world.lifecycle(project, zone, name, verb ?? 'delete');
      if (isApiError(result)) return fail(result);
      world.remember(project, zone, requestId, result);
      return send(200, world.renderOperation(result));
    }
    if (verb === 'getGuestAttributes' && method === 'GET' && extra === undefined) {
      if (!instance) return fail(notFound(resource));
      const now = Date.now();
      const recent = (guestQueries.get(resource) ?? []).filter((at) => now - at < 60_000);
      if (recent.length >= 10) return fail(rateLimited(`guest attribute queries of ${resource}`));
      guestQueries.set(resource, [...recent, now]);
      const queryPath = url.searchParams.get('queryPath') ?? '';
      const items = instance.guestAttributes.filter((a) => `${a.namespace}/${a.key}`.startsWith(queryPath));
      if (items.length === 0) return fail(notFound(`${resource}/guestAttributes/${queryPath}`));
      return send(200, { kind: 'compute#guestAttributes', queryPath, queryValue: { items }, selfLink: `${resource}/guestAttributes/${queryPath}` });
    }
    return fail(notFound(url.pathname));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 500, message: String(error), errors: [{ message: String(error), domain: 'global', reason: 'backendError' }] } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    clientOptions: () => ({ apiEndpoint: '127.0.0.1', port, protocol: 'http', authClient: new PassThroughClient() }),
    requests,
    requestsTo: (method, path) => requests.filter((r) => r.method === method && path.test(r.path)),
    instance: (project, zone, name) => world.instances.get(FakeWorld.key(project, zone, name)),
    world,
    failRequests(method, path, error, times = 1) {
      failures.push({ method, path, error, times });
    },
    dropResponses(method, path, times = 1) {
      drops.push({ method, path, times });
    },
    async close() {
      world.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Supports the filters mission-control sends: `labels.KEY = "VALUE"` (also `=VALUE`, `:VALUE`), several joined by AND. */
function matchesFilter(instance: Record<string, unknown>, filter: string): boolean {
  if (!filter.trim()) return true;
  const labels = (instance.labels ?? {}) as Record<string, string>;
  return filter.split(/\s+AND\s+/i).every((term) => {
    const match = /^\(?\s*labels\.([a-z0-9_-]+)\s*[=:]\s*"?([^"\s)]*)"?\s*\)?$/.exec(term.trim());
    if (!match) throw new Error(`the fake Compute API cannot evaluate filter ${JSON.stringify(term)}`);
    return labels[match[1]!] === match[2];
  });
}

function isApiError(value: object): value is ApiError {
  return 'body' in value && typeof (value as { status?: unknown }).status === 'number';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
