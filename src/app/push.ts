/**
 * Pushed scans: one watcher stream per worker (see `scanners/worker-events`), whose scans go into the store through
 * the same path as polled ones ({@link storeScan}) the moment they arrive. A stream that ends is opened again, after
 * a backoff when it ends soon after opening; its health is reported so the scheduler can poll slower while it holds.
 */
import { performance } from 'node:perf_hooks';
import type { WorkerObserver } from '../providers/types.js';
import { buildWatcherCommand, frameMarker, newStreamSecret } from '../scanners/worker-events/command.js';
import { WatcherStreamReader, type WatcherEvent } from '../scanners/worker-events/parse.js';
import { MAX_SCAN_OUTPUT_BYTES } from '../scanners/worker-scan/command.js';
import type { FleetStore } from '../state/store.js';
import { storeScan } from './refresh.js';

/** How long one watcher runs before it is replaced by a fresh one (bounds what a lost stream can leave behind). */
export const STREAM_LIFETIME_MS = 10 * 60_000;

/** Options for {@link PushStreams}. */
export interface PushStreamsOptions {
  /** Called when a worker's stream becomes healthy (its hooks are armed) or stops being so. */
  readonly onHealth?: (worker: string, healthy: boolean) => void;
  /** Called after a pushed scan is in the store. */
  readonly onPushed?: (worker: string) => void;
  /** Lifetime of one watcher; default {@link STREAM_LIFETIME_MS}. */
  readonly lifetimeMs?: number;
  /** First wait before reopening a stream that failed soon after opening; doubles up to `maxBackoffMs`. Default 1 s. */
  readonly initialBackoffMs?: number;
  /** Longest wait before reopening; default 30 s. */
  readonly maxBackoffMs?: number;
}

interface Stream {
  readonly view: WorkerObserver;
  readonly controller: AbortController;
  healthy: boolean;
  done: Promise<void>;
}

/** The watcher streams of a fleet's workers that have push on. */
export class PushStreams {
  readonly #streams = new Map<string, Stream>();
  readonly #store: FleetStore;
  readonly #options: PushStreamsOptions;

  constructor(store: FleetStore, options: PushStreamsOptions = {}) {
    this.#store = store;
    this.#options = options;
  }

  /** Makes the set of streamed workers `views`: opens new streams, ends those of workers gone or changed. */
  setWorkers(views: ReadonlyMap<string, WorkerObserver>): void {
    for (const [name, stream] of this.#streams) {
      if (views.get(name) !== stream.view) this.#end(name, stream);
    }
    for (const [name, view] of views) {
      if (this.#streams.has(name)) continue;
      const stream: Stream = { view, controller: new AbortController(), healthy: false, done: Promise.resolve() };
      this.#streams.set(name, stream);
      stream.done = this.#run(name, stream);
    }
  }

  /** True while the worker's stream is open with its hooks armed. */
  healthy(worker: string): boolean {
    return this.#streams.get(worker)?.healthy === true;
  }

  /** Ends every stream and waits for them. */
  async close(): Promise<void> {
    const all = [...this.#streams.entries()];
    for (const [name, stream] of all) this.#end(name, stream);
    await Promise.all(all.map(([, stream]) => stream.done));
  }

  #end(name: string, stream: Stream): void {
    this.#streams.delete(name);
    stream.controller.abort();
    this.#setHealth(name, stream, false);
  }

  #setHealth(name: string, stream: Stream, healthy: boolean): void {
    if (stream.healthy === healthy) return;
    stream.healthy = healthy;
    this.#options.onHealth?.(name, healthy);
  }

  async #run(name: string, stream: Stream): Promise<void> {
    const { signal } = stream.controller;
    const lifetimeMs = this.#options.lifetimeMs ?? STREAM_LIFETIME_MS;
    let failures = 0;
    // The worker's first scan goes first: the stream's channel (and the watcher it starts on the worker) would
    // otherwise compete with it for the new connection and the worker's sshd at a cold start.
    await firstScan(this.#store, name, signal);
    while (!signal.aborted) {
      const opened = performance.now();
      await this.#once(name, stream, lifetimeMs).catch(() => undefined);
      this.#setHealth(name, stream, false);
      if (signal.aborted) break;
      // A stream that lived its time (or long enough) is replaced at once; one that keeps failing waits longer each time.
      failures = performance.now() - opened >= Math.min(lifetimeMs, 30_000) ? 0 : failures + 1;
      if (failures > 0) await sleep(this.#backoff(failures), signal);
    }
  }

  #backoff(failures: number): number {
    const initial = this.#options.initialBackoffMs ?? 1000;
    const base = Math.min(this.#options.maxBackoffMs ?? 30_000, initial * 2 ** (failures - 1));
    return Math.round(base * (0.8 + 0.4 * Math.random()));
  }

  /** One watcher, from open to end; pushed scans are stored one after another, in order. */
  async #once(name: string, stream: Stream, lifetimeMs: number): Promise<void> {
    const { view, controller } = stream;
    const secret = newStreamSecret();
    const reader = new WatcherStreamReader(frameMarker(secret), MAX_SCAN_OUTPUT_BYTES);
    const command = buildWatcherCommand({
      tmuxSocketArgs: view.tmux.socketArgs,
      ...(view.containerName ? { container: view.containerName } : {}),
      stateDir: view.stateDir,
      secret,
      lifetimeS: Math.ceil(lifetimeMs / 1000),
    });
    let stored = Promise.resolve();
    const handle = (event: WatcherEvent) => {
      if (event.kind === 'up') this.#setHealth(name, stream, true);
      else if (event.kind === 'down' || event.kind === 'fail') this.#setHealth(name, stream, false);
      else if (event.kind === 'scan') {
        const scanMs = this.#store.getState().workers[name]?.scanMs ?? 0;
        stored = stored
          .then(() => storeScan(this.#store, view, event.output, event.nonce, scanMs, { pushed: true, signal: controller.signal }))
          .then(() => this.#options.onPushed?.(name))
          // A pushed scan that cannot be read changes nothing: the next poll refreshes the worker.
          .catch(() => undefined);
      }
    };
    await view.stream(command, (chunk) => reader.push(chunk).forEach(handle), {
      target: 'host',
      signal: controller.signal,
      timeoutMs: lifetimeMs,
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Resolves once `worker` has answered its first scan, up or down (or is gone from the store), or `signal` aborts. */
function firstScan(store: FleetStore, worker: string, signal: AbortSignal): Promise<void> {
  const scanned = () => signal.aborted || store.getState().workers[worker]?.connection !== 'connecting';
  if (scanned()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      unsubscribe();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const unsubscribe = store.subscribe(() => {
      if (scanned()) done();
    });
    signal.addEventListener('abort', done, { once: true });
  });
}
