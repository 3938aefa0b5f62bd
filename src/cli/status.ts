import { createFleet, type Fleet } from '../app/fleet.js';
import type { WorkerObserver } from '../providers/types.js';
import { connectingProgress, selectWorkers, summarizeFleet } from '../state/selectors.js';
import type { FleetState } from '../state/store.js';
import { watchFleetConfig, type LoadedConfig } from './load-config.js';
import { safeJson, sanitizeBlock, sanitizeLine } from '../text/sanitize.js';
import { readContainerLog } from '../app/container-log.js';
import { workerDetailLines } from './worker-detail.js';
import { statusJson, statusTable } from './status-report.js';
import { EXIT } from './usage.js';

/** Options of `mission-control status`. */
export interface StatusOptions {
  readonly json: boolean;
  readonly watch: boolean;
  /** Describe this worker in full instead of the tables. */
  readonly worker?: string | undefined;
}

/** `mission-control status`: one refresh of every worker, printed; or, with --watch, refreshed in place. */
export async function runStatus(loaded: LoadedConfig, options: StatusOptions): Promise<number> {
  const fleet = createFleet(loaded.config, { readOnly: true });
  try {
    if (options.worker !== undefined) return await describeWorker(fleet, loaded, options.worker, options.json);
    if (options.watch) return await watch(fleet, options.json, loaded);
    const stopProgress = showProgress(fleet, process.stderr);
    await fleet.refreshAll().finally(stopProgress);
    const state = fleet.store.getState();
    process.stdout.write(statusText(state, options.json, process.stdout.columns ?? 120));
    return exitCode(state);
  } finally {
    await fleet.close();
  }
}

/** What `status` prints: the JSON document or the tables, escaped or sanitized for the terminal (pure but for the clock). */
export function statusText(state: FleetState, json: boolean, columns: number): string {
  if (json) return `${safeJson(statusJson(state), 2)}\n`;
  const errors = state.configErrors.length > 0 ? `\n${state.configErrors.join('\n')}\n` : '';
  return sanitizeBlock(`${statusTable(state, Date.now(), columns)}\n${errors}`);
}

/** `status WORKER`: one worker in full (with its container's last log lines), or its `--json` entry. */
async function describeWorker(fleet: Fleet<WorkerObserver>, loaded: LoadedConfig, name: string, json: boolean): Promise<number> {
  const config = loaded.config.workers.find((w) => w.name === name);
  const provider = fleet.provider(name);
  if (!config || !provider) {
    process.stderr.write(`mission-control status: there is no worker named ${sanitizeLine(JSON.stringify(name))}; workers: ${loaded.config.workers.map((w) => w.name).join(', ')}\n`);
    return EXIT.usage;
  }
  await fleet.refreshAll();
  const state = fleet.store.getState();
  const worker = state.workers[name]!;
  const containerLog = worker.container?.exists && worker.connection === 'up' ? await readContainerLog(provider, worker.container.name) : undefined;
  if (json) {
    const entry = statusJson(state).workers.find((w) => w.name === name);
    process.stdout.write(`${safeJson({ ...entry, ...(containerLog ? { containerLog } : {}) }, 2)}\n`);
  } else {
    const lines = workerDetailLines({
      worker,
      jobs: state.jobsByWorker[name] ?? [],
      config,
      containerLog,
      costSoFar: state.costSoFar?.workers[name],
      costError: state.costError,
      now: Date.now(),
      width: process.stdout.columns ?? 100,
    });
    process.stdout.write(sanitizeBlock(`${lines.join('\n')}\n`));
  }
  return worker.connection === 'up' ? EXIT.ok : EXIT.partial;
}

/**
 * While workers answer their first scan, `connecting (n of N)` on one line of a terminal's stderr, rewritten in
 * place at most 10 times a second and erased at the end (nothing when stderr is not a terminal: stdout stays
 * the report alone). Returns the function that stops it.
 */
export function showProgress(fleet: Pick<Fleet<WorkerObserver>, 'store'>, stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'>): () => void {
  if (!stream.isTTY) return () => undefined;
  let shown = '';
  const draw = () => {
    const text = connectingProgress(summarizeFleet(fleet.store.getState())) ?? '';
    if (text === shown) return;
    stream.write(`\r${text}\x1b[K`);
    shown = text;
  };
  draw();
  const timer = setInterval(draw, 100);
  return () => {
    clearInterval(timer);
    if (shown) stream.write('\r\x1b[K');
  };
}

function exitCode(state: FleetState): number {
  return selectWorkers(state).every((w) => w.connection === 'up') ? EXIT.ok : EXIT.partial;
}

/**
 * Keeps polling and reprints in place: the cursor goes back over the previous output, which is overwritten
 * line by line (no screen clear, no scrollback spam). With --json, one document per line per refresh.
 */
async function watch(fleet: Fleet<WorkerObserver>, json: boolean, loaded: LoadedConfig): Promise<number> {
  const getState = fleet.store.getState;
  const stopWatching = await watchFleetConfig(loaded, fleet);
  let previousLines = 0;
  let scheduled: NodeJS.Timeout | undefined;
  const draw = () => {
    scheduled = undefined;
    const state = getState();
    if (json) {
      process.stdout.write(`${safeJson(statusJson(state))}\n`);
      return;
    }
    // Sanitized whole before the cursor movements of our own are added.
    const text = sanitizeBlock(`${statusTable(state, Date.now(), process.stdout.columns ?? 120)}\n${state.configErrors.join('\n')}`);
    const lines = text.split('\n');
    const up = previousLines > 0 ? `\x1b[${previousLines}F` : '';
    process.stdout.write(`${up}${lines.map((line) => `${line}\x1b[K`).join('\n')}\n\x1b[J`);
    previousLines = lines.length;
  };
  const unsubscribe = fleet.store.subscribe(() => {
    scheduled ??= setTimeout(draw, json ? 0 : 100);
  });
  const clock = json ? undefined : setInterval(() => (scheduled ??= setTimeout(draw, 0)), 1000);
  fleet.startPolling();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  unsubscribe();
  if (clock) clearInterval(clock);
  if (scheduled) clearTimeout(scheduled);
  await stopWatching();
  return exitCode(getState());
}
