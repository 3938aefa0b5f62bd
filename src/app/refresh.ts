import { performance } from 'node:perf_hooks';
import type { WorkerObserver } from '../providers/types.js';
import { buildScanCommand, MAX_SCAN_OUTPUT_BYTES, newScanNonce } from '../scanners/worker-scan/command.js';
import { parseScan } from '../scanners/worker-scan/parse.js';
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
    const parsed = parseScan(result.stdout, nonce);
    const scan = screens ? { ...parsed, screens: screens.update(parsed.screens ?? new Map(), parsed.sessions, parsed.jobs, parsed.host.now) } : parsed;
    const scanMs = performance.now() - started;
    const machine = await provider.getStatus();
    if (signal?.aborted) return;
    store.getState().refreshSucceeded(provider.name, {
      scan,
      machine,
      path: provider.connectionPath(),
      rttMs: provider.roundTripMs(),
      scanMs,
      now: Date.now(),
    });
  } catch (error) {
    if (signal?.aborted) return;
    // A cloud worker's machine state is cached by its provider: a stopped VM shows as stopped, not just unreachable.
    const machine = await provider.getStatus().catch(() => undefined);
    store.getState().refreshFailed(provider.name, describeError(error), Date.now(), machine);
    throw error;
  }
}
