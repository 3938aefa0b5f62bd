import { performance } from 'node:perf_hooks';
import type { WorkerObserver } from '../providers/types.js';
import { buildScanCommand, MAX_SCAN_OUTPUT_BYTES, newScanNonce } from '../scanners/worker-scan/command.js';
import { parseScan } from '../scanners/worker-scan/parse.js';
import type { WorkerScan } from '../scanners/worker-scan/types.js';
import { ScreenMemory, type WaitingPatterns } from '../scanners/worker-scan/screens.js';
import type { FleetStore } from '../state/store.js';
import { describeError } from './errors.js';

/** How long one scan may take before the worker counts as unreachable: 1.5 poll intervals, at least 3 s. */
export function scanTimeoutMs(pollIntervalMs: number): number {
  return Math.max(3000, Math.round(pollIntervalMs * 1.5));
}

/** What each worker's watched panes last showed (the screen source of agent states), kept across its scans. */
const screenMemories = new WeakMap<WorkerObserver, ScreenMemory>();

/**
 * Has the scans of `provider` capture the panes of jobs whose kind has waiting patterns (looked up by kind name in
 * the local config at each scan). A worker no one watches is scanned without captures.
 */
export function watchScreens(provider: WorkerObserver, patternsFor: WaitingPatterns): void {
  if (!screenMemories.has(provider)) screenMemories.set(provider, new ScreenMemory(patternsFor));
}

/** When each worker's last pushed scan reached the store (`performance.now()`). */
const lastPushed = new WeakMap<WorkerObserver, number>();

/** The last answer each worker's scan gave about panes reading their terminal (a pushed scan does not look). */
const lastReading = new WeakMap<WorkerObserver, NonNullable<WorkerScan['readingTerminal']>>();

/**
 * Parses one scan's output (made with `nonce`) and puts it into the store: the one path from a scan to the store,
 * for polled and `pushed` scans alike. A pushed scan captures no pane and looks at no foreground process (it was
 * written before the change it answers), so a worker's screens and terminal readers keep their last polled values.
 */
export async function storeScan(
  store: FleetStore,
  provider: WorkerObserver,
  output: string,
  nonce: string,
  scanMs: number,
  options: { readonly pushed?: boolean; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const { pushed = false, signal } = options;
  const parsed = parseScan(output, nonce);
  const screens = screenMemories.get(provider);
  const withScreens = screens ? { ...parsed, screens: screens.update(parsed.screens ?? new Map(), parsed.sessions, parsed.jobs, parsed.host.now) } : parsed;
  if (!pushed) {
    if (parsed.readingTerminal) lastReading.set(provider, parsed.readingTerminal);
    else lastReading.delete(provider);
  }
  const reading = pushed ? lastReading.get(provider) : parsed.readingTerminal;
  const scan = reading ? { ...withScreens, readingTerminal: reading } : withScreens;
  const machine = await provider.getStatus();
  if (signal?.aborted) return;
  if (pushed) lastPushed.set(provider, performance.now());
  store.getState().refreshSucceeded(provider.name, {
    scan,
    machine,
    path: provider.connectionPath(),
    rttMs: provider.roundTripMs(),
    scanMs,
    now: Date.now(),
  });
}

/** True when the scans of `provider` capture panes or look for terminal readers: states a pushed scan cannot see change. */
export function reliesOnScreens(provider: WorkerObserver): boolean {
  const screens = screenMemories.get(provider);
  return screens !== undefined && (screens.requests().length > 0 || screens.foreground().length > 0);
}

/**
 * Refreshes one worker: one scan command (tmux, job records, container and host state at once), parsed and
 * put into the store. Rejects (after recording the failure) when the worker could not be reached.
 */
export async function refreshWorker(
  store: FleetStore,
  provider: WorkerObserver,
  pollIntervalMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const actions = store.getState();
  actions.refreshStarted(provider.name);
  const nonce = newScanNonce();
  const screens = screenMemories.get(provider);
  const command = buildScanCommand({
    tmuxSocketArgs: provider.tmux.socketArgs,
    ...(provider.containerName ? { container: provider.containerName } : {}),
    stateDir: provider.stateDir,
    nonce,
    capture: screens?.requests() ?? [],
    foreground: screens?.foreground() ?? [],
  });
  const started = performance.now();
  try {
    const result = await provider.observe(command, {
      target: 'host',
      timeoutMs: scanTimeoutMs(pollIntervalMs),
      maxOutputBytes: MAX_SCAN_OUTPUT_BYTES,
      ...(signal ? { signal } : {}),
    });
    const scanMs = performance.now() - started;
    // A pushed scan stored while this one was on its way is at least as fresh: this one would put older state back.
    if ((lastPushed.get(provider) ?? -Infinity) > started) return;
    await storeScan(store, provider, result.stdout, nonce, scanMs, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) return;
    // A cloud worker's machine state is cached by its provider: a stopped VM shows as stopped, not just unreachable.
    const machine = await provider.getStatus().catch(() => undefined);
    store.getState().refreshFailed(provider.name, describeError(error), Date.now(), machine);
    throw error;
  }
}
