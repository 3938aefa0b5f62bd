import { isGceWorker, PUSH_POLL_INTERVAL_MS, type FleetConfig, type HostKeyPolicy, type WorkerConfig } from '../config/schema.js';
import { createProvider } from '../providers/factory.js';
import { estimateHourlyCost } from '../providers/gce/pricing.js';
import { readOnlyView } from '../providers/read-only.js';
import type { WorkerObserver, WorkerProvider } from '../providers/types.js';
import { SshPool } from '../ssh/pool.js';
import { usageRates } from '../state/ledger-rates.js';
import { PollScheduler } from '../state/scheduler.js';
import { createFleetStore, type FleetStore } from '../state/store.js';
import { guardBudget, type BudgetGate } from './budget.js';
import { discoverUnmanagedVms, DISCOVERY_INTERVAL_MS } from './discovery.js';
import { CostLedger } from './ledger-file.js';
import { CostRecorder } from './ledger-recorder.js';
import { PushStreams } from './push.js';
import { refreshWorker, reliesOnScreens, watchScreens } from './refresh.js';

/**
 * Reconnect pacing inside the pool stays short: the poll scheduler already backs off per worker, and a long
 * pool backoff on top would delay noticing a worker that came back.
 */
const POOL_BACKOFF = { initialMs: 250, maxMs: 5000 };

/** The running fleet: the store, the providers behind it and the loops that keep it fresh. */
export interface Fleet<P extends WorkerObserver = WorkerProvider> {
  readonly store: FleetStore;
  /** The provider of a worker; in read-only mode, a view with no mutating method. */
  provider(worker: string): P | undefined;
  /** Configured workers by name. */
  worker(name: string): WorkerConfig | undefined;
  /** Starts the polling loops. */
  startPolling(): void;
  /** Refreshes every worker once, in parallel (and lists cloud projects for unconfigured worker VMs). */
  refreshAll(): Promise<PromiseSettledResult<void>[]>;
  /** Refreshes a worker (or all) as soon as possible. */
  refreshNow(worker?: string): void;
  /** Applies a new config: workers added, changed and removed without a restart. */
  applyConfig(config: FleetConfig): void;
  /** The cost ledger's recorder: cloud workers' API observations go into it; its sums into the store. */
  readonly costs: CostRecorder;
  /**
   * Lets the next creation or wake-up of `worker` pass over the monthly budget (after the user confirmed); returns
   * what withdraws that, when it was not used.
   */
  allowOverBudget(worker: string): () => void;
  /** Stops polling and closes every connection. */
  close(): Promise<void>;
}

/** Options for {@link createFleet}. */
export interface FleetOptions {
  /** Job state thresholds. */
  readonly idleAfterSeconds?: number;
  /** The cost ledger; default the file in the XDG state directory. */
  readonly ledger?: CostLedger;
  /** Every creation and wake-up may pass over the monthly budget (`--force`). */
  readonly overBudget?: boolean;
}

/** Creates a fleet whose providers can change it. */
export function createFleet(config: FleetConfig, options?: FleetOptions & { readOnly?: false }): Fleet<WorkerProvider>;
/** Creates a read-only fleet: its providers are views without mutating methods. */
export function createFleet(config: FleetConfig, options: FleetOptions & { readOnly: true }): Fleet<WorkerObserver>;
export function createFleet(
  initial: FleetConfig,
  options: FleetOptions & { readOnly?: boolean } = {},
): Fleet<WorkerObserver> | Fleet<WorkerProvider> {
  const readOnly = options.readOnly ?? false;
  const store = createFleetStore({ readOnly, ...(options.idleAfterSeconds ? { idleAfterSeconds: options.idleAfterSeconds } : {}) });
  // One pool per host-key policy: each worker's own `hostKeyPolicy` decides how its host keys are checked.
  const pools = new Map<HostKeyPolicy, SshPool>();
  const poolFor = (policy: HostKeyPolicy) => {
    let pool = pools.get(policy);
    if (!pool) pools.set(policy, (pool = new SshPool({ hostKeyPolicy: policy, backoff: POOL_BACKOFF })));
    return pool;
  };
  let config = initial;
  const providers = new Map<string, WorkerProvider>();
  const views = new Map<string, WorkerObserver>();
  const readOnlyViews = new WeakMap<WorkerProvider, WorkerObserver>();
  const workers = new Map<string, WorkerConfig>();
  let polling = false;
  let discoveryTimer: NodeJS.Timeout | undefined;
  const discover = () => discoverUnmanagedVms(store, config.workers);
  const costs = new CostRecorder(options.ledger ?? new CostLedger(), store);
  const overrides = new Set<string>();
  const gate: BudgetGate = {
    monthly: () => config.budget?.monthly,
    monthSoFar: async () => {
      await costs.settled();
      return (await costs.ledger.summary()).fleet.month;
    },
    takeOverride: (worker) => options.overBudget === true || overrides.delete(worker),
  };

  const scheduler = new PollScheduler((name, signal) => {
    const view = views.get(name);
    const worker = workers.get(name);
    if (!view || !worker) return Promise.resolve();
    return refreshWorker(store, view, worker.pollIntervalMs, signal);
  });

  // A worker whose stream is lost is scanned at once, then at its normal interval until the stream is back.
  const pushStreams = new PushStreams(store, { onHealth: (name, healthy) => (healthy ? undefined : scheduler.refreshNow(name)) });
  const streamed = () => new Map([...views].filter(([name]) => workers.get(name)?.push !== false));

  const install = (next: FleetConfig) => {
    const retired: WorkerProvider[] = [];
    const wanted = new Map(next.workers.map((w) => [w.name, w]));
    for (const [name, provider] of providers) {
      const before = workers.get(name);
      const after = wanted.get(name);
      if (!after || !before || JSON.stringify(before) !== JSON.stringify(after)) {
        providers.delete(name);
        retired.push(provider);
      }
    }
    workers.clear();
    views.clear();
    for (const worker of next.workers) {
      workers.set(worker.name, worker);
      let provider = providers.get(worker.name);
      if (!provider) {
        const gce = isGceWorker(worker) ? worker : undefined;
        provider = createProvider(worker, {
          pool: poolFor(worker.hostKeyPolicy),
          ...(gce ? { gce: { onInstance: (instance) => costs.observe(gce, instance) } } : {}),
        });
        provider = guardBudget(provider, worker, gate);
        providers.set(worker.name, provider);
      }
      // One view per provider, kept across reloads: its push stream and screen memory belong to it.
      let view = readOnly ? readOnlyViews.get(provider) : provider;
      if (!view) readOnlyViews.set(provider, (view = readOnlyView(provider)));
      views.set(worker.name, view);
      // Waiting patterns come from the config in force at each scan.
      watchScreens(view, (kind) => config.jobs.kinds.get(kind)?.waitingPatterns);
    }
    config = next;
    store.getState().setWorkers(
      next.workers.map((w) => ({
        name: w.name,
        provider: w.provider,
        maxJobs: w.maxJobs,
        pollIntervalMs: w.pollIntervalMs,
        sessionPrefix: w.sessionPrefix,
        ...(isGceWorker(w) ? { cost: estimateHourlyCost(w), rates: usageRates(w) } : {}),
        ...(w.idle ? { idle: w.idle } : {}),
      })),
      next.source,
    );
    if (polling) {
      scheduler.setWorkers(timings());
      pushStreams.setWorkers(streamed());
    }
    for (const provider of retired) void provider.close();
  };

  // Read at every wait: slower while the worker's changes are pushed, unless its states come from its screens.
  const intervalOf = (worker: WorkerConfig) => {
    const view = views.get(worker.name);
    const pushed = pushStreams.healthy(worker.name) && view !== undefined && !reliesOnScreens(view);
    return pushed ? Math.max(PUSH_POLL_INTERVAL_MS, worker.pollIntervalMs) : worker.pollIntervalMs;
  };
  const timings = () => new Map([...workers.values()].map((w) => [w.name, { get intervalMs() { return intervalOf(w); } }]));

  install(initial);

  return {
    store,
    provider: (name: string) => views.get(name),
    worker: (name: string) => workers.get(name),
    startPolling() {
      polling = true;
      scheduler.setWorkers(timings());
      pushStreams.setWorkers(streamed());
      void discover();
      discoveryTimer = setInterval(() => void discover(), DISCOVERY_INTERVAL_MS);
      discoveryTimer.unref();
    },
    async refreshAll() {
      const [results] = await Promise.all([
        Promise.allSettled([...views.values()].map((view) => refreshWorker(store, view, workers.get(view.name)?.pollIntervalMs ?? 2000))),
        discover(),
      ]);
      await costs.settled();
      if (config.workers.some(isGceWorker)) await costs.publish();
      return results;
    },
    refreshNow: (worker?: string) => scheduler.refreshNow(worker),
    costs,
    allowOverBudget: (worker: string) => {
      overrides.add(worker);
      return () => void overrides.delete(worker);
    },
    applyConfig: install,
    async close() {
      if (discoveryTimer) clearInterval(discoveryTimer);
      await Promise.all([scheduler.stop(), pushStreams.close()]);
      // Observations still on their way to the ledger are written before the process may end.
      await costs.settled();
      await Promise.all([...providers.values()].map((p) => p.close()));
      await Promise.all([...pools.values()].map((pool) => pool.close()));
    },
  } as Fleet<WorkerProvider>;
}
