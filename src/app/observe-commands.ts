/**
 * The observing half of the command layer: refresh, attach argv, pane capture and log tail. Everything here runs
 * through `WorkerObserver.observe` with commands made as observations, so it works the same on a read-only fleet.
 */
import { DEFAULT_DETACH_KEY } from '../config/schema.js';
import { DIFF_MAX_BYTES, readJobDiff } from '../jobs/diff.js';
import { readContainerLog } from './container-log.js';
import { readLogChunk } from '../jobs/logs.js';
import { formatBytes } from '../text/format.js';
import { tmuxArgv } from '../providers/tmux.js';
import { observation, type AttachCommand, type WorkerObserver, type WorkerProvider } from '../providers/types.js';
import { buildCaptureCommand } from '../scanners/pane-capture/command.js';
import { parseCapture } from '../scanners/pane-capture/parse.js';
import type { FleetState } from '../state/store.js';
import type { Job } from '../state/types.js';
import type { ObserveCommands } from './commands.js';
import type { Fleet } from './fleet.js';

/** Bytes of a log read when the caller does not say. */
export const DEFAULT_LOG_BYTES = 64 * 1024;

/** The unconditional detach key bound on mission-control's private tmux servers before attaching (config: `attach.detachKey`). */
export const DETACH_KEY = DEFAULT_DETACH_KEY;

/** What observing commands need of a fleet (a read-only one is enough). */
export type ObservedFleet = Pick<Fleet<WorkerObserver>, 'store' | 'provider' | 'refreshNow'>;

function findJob(state: FleetState, jobKey: string): Job {
  const slash = jobKey.indexOf('/');
  const worker = slash > 0 ? jobKey.slice(0, slash) : '';
  const job = (state.jobsByWorker[worker] ?? []).find((candidate) => candidate.key === jobKey);
  if (!job) throw new Error(`no job ${jobKey} (it may have been removed; the list refreshes by itself)`);
  return job;
}

function providerOf(fleet: ObservedFleet, job: Job): WorkerObserver {
  const provider = fleet.provider(job.worker);
  if (!provider) throw new Error(`no worker named ${job.worker} in the config any more`);
  return provider;
}

/** Creates the observing commands of a fleet (the whole command layer of a read-only dashboard). */
export function createObserveCommands(fleet: ObservedFleet): ObserveCommands {
  return {
    refresh: (worker) => fleet.refreshNow(worker),

    attachCommand(jobKey): AttachCommand {
      const job = findJob(fleet.store.getState(), jobKey);
      if (!job.session) throw new Error(`${jobKey} has no tmux session any more (the job ended): press l for its log`);
      return providerOf(fleet, job).attachCommand(job.session.id);
    },

    async capture(jobKey, lines) {
      const job = findJob(fleet.store.getState(), jobKey);
      if (!job.paneId) throw new Error(`${jobKey} has no tmux pane any more (the job ended)`);
      const provider = providerOf(fleet, job);
      const command = buildCaptureCommand({
        tmuxSocketArgs: provider.tmux.socketArgs,
        ...(provider.containerName ? { container: provider.containerName } : {}),
        paneId: job.paneId,
        lines: Math.max(0, Math.min(lines, 10_000)),
      });
      const result = await provider.observe(command, { target: 'host', timeoutMs: 10_000 });
      const capture = parseCapture(result.stdout + result.stderr);
      if (capture.kind === 'gone') throw new Error(`the pane is gone: ${capture.reason}`);
      if (capture.kind === 'failed') throw new Error(capture.error);
      let end = capture.lines.length;
      while (end > 0 && (capture.lines[end - 1] ?? '').trim() === '') end -= 1;
      return capture.lines.slice(Math.max(0, end - lines), end).join('\n');
    },

    async readLog(jobKey, options = {}) {
      const job = findJob(fleet.store.getState(), jobKey);
      if (job.adhoc) throw new Error(`${jobKey} was started by hand (no job record), so it has no output log: attach to see it`);
      const provider = providerOf(fleet, job);
      const chunk = await readLogChunk(provider, provider.stateDir, job.id, { tailBytes: options.bytes ?? DEFAULT_LOG_BYTES });
      return chunk.text;
    },
    async containerLog(worker) {
      const provider = fleet.provider(worker);
      const name = fleet.store.getState().workers[worker]?.container?.name;
      if (!provider || name === undefined) throw new Error(`${worker} has no container to read a log of`);
      const log = await readContainerLog(provider, name);
      if ('error' in log) throw new Error(log.error);
      return log.lines.join('\n');
    },
    async readDiff(jobKey) {
      const job = findJob(fleet.store.getState(), jobKey);
      if (job.adhoc) throw new Error(`${jobKey} was started by hand (no job record), so it has no diff`);
      const provider = providerOf(fleet, job);
      const diff = await readJobDiff(provider, provider.stateDir, job.id, { color: true });
      const cut = diff.truncated ? `\n… cut at ${formatBytes(DIFF_MAX_BYTES)}: run \`mission-control diff ${jobKey}\` for all of it\n` : '';
      const note = diff.base === 'HEAD' ? 'launched before start commits were recorded: only what is not committed yet\n' : '';
      return diff.text === '' ? `${note}no changes since ${diff.base.slice(0, 12)}\n` : note + diff.text + cut;
    },
  };
}

/**
 * The tmux prefix of the job's server (e.g. `C-b`), read with `show-options`, so the detach hint names the key
 * that works there. Undefined when it cannot be read.
 */
export async function readTmuxPrefix(fleet: ObservedFleet, jobKey: string): Promise<string | undefined> {
  try {
    const job = findJob(fleet.store.getState(), jobKey);
    const provider = providerOf(fleet, job);
    const result = await provider.observe(observation({ argv: tmuxArgv(provider.tmux, ['show-options', '-gv', 'prefix']) }), { timeoutMs: 5000 });
    const prefix = result.stdout.trim();
    return result.code === 0 && /^[A-Za-z0-9-]{1,16}$/.test(prefix) ? prefix : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Binds `key` (default {@link DETACH_KEY}) to `detach-client` in the root key table of the job's private tmux server, so one key
 * always detaches, whatever the user's tmux prefix (and even inside their own tmux, where the prefix goes to the
 * outer server). It changes the tmux server's config, so it needs a fleet that may change things: a read-only
 * dashboard cannot call it and attaches read-only instead, where the prefix then `d` detaches.
 */
export async function bindDetachKey(fleet: Pick<Fleet<WorkerProvider>, 'store' | 'provider'>, jobKey: string, key: string = DETACH_KEY): Promise<void> {
  const job = findJob(fleet.store.getState(), jobKey);
  const provider = fleet.provider(job.worker);
  if (!provider) throw new Error(`no worker named ${job.worker} in the config any more`);
  const result = await provider.exec(
    { argv: tmuxArgv(provider.tmux, ['bind-key', '-n', key, 'detach-client']) },
    { timeoutMs: 10_000, quick: true },
  );
  if (result.code !== 0) throw new Error(`could not bind ${key} on ${job.worker}: ${result.stderr.trim() || `tmux exited ${result.code}`}`);
}
