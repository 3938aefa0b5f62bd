/**
 * `mission-control autopilot`: the idle policy without a dashboard. Scans the fleet on a steady beat and suspends or
 * stops workers whose idle deadline has passed (after a fresh scan), logging one line per decision. Runs in the
 * foreground until interrupted, as a systemd user service (`--print-unit`), or once (`--once`).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { IdleDecision } from '../app/autopilot.js';
import type { WorkerConfig } from '../config/schema.js';
import { safeJson } from '../text/sanitize.js';
import { loadFleetConfig, watchFleetConfig, type LoadedConfig } from './load-config.js';
import { terminalStream } from './terminal-io.js';
import { EXIT, UsageError } from './usage.js';

/** The longest pause between two checks: a policy's countdown is shown to the minute, and a check is one scan. */
const MAX_BEAT_MS = 30_000;

/** The pause between two checks: a tenth of the shortest `after`, between 1 s and {@link MAX_BEAT_MS}. */
export function autopilotBeatMs(workers: readonly Pick<WorkerConfig, 'idle'>[]): number {
  const afters = workers.flatMap((w) => (w.idle ? [w.idle.afterMs] : []));
  if (afters.length === 0) return MAX_BEAT_MS;
  return Math.min(MAX_BEAT_MS, Math.max(1000, Math.round(Math.min(...afters) / 10)));
}

/** One decision as a log line: `2026-12-02T01:20:00.000Z suspend gcli-worker: suspending: no output, due now`. */
export function decisionLine(decision: IdleDecision, json: boolean): string {
  if (json) return `${safeJson(decision)}\n`;
  return `${new Date(decision.at).toISOString()} ${decision.decision} ${decision.text}\n`;
}

/** A word in an `ExecStart=` line, quoted the way systemd splits it. */
function systemdWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word.replace(/%/g, '%%');
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** The systemd user unit that runs `autopilot` with this program, this Node and this config file. */
export function autopilotUnit(program: { node: string; script: string }, configPath: string): string {
  const exec = [program.node, program.script, 'autopilot', '--config', configPath].map(systemdWord).join(' ');
  return `[Unit]
Description=mission-control autopilot: suspends or stops idle workers
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=${exec}
Restart=on-failure
RestartSec=30

[Install]
WantedBy=default.target
`;
}

/** Runs `autopilot ARGS…`; resolves to the exit code. */
export async function runAutopilot(args: readonly string[], configPath: string | undefined): Promise<number> {
  const out = terminalStream(process.stdout);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      // `--help` never gets here: main answers it from the command table.
      options: { once: { type: 'boolean' }, json: { type: 'boolean' }, 'print-unit': { type: 'boolean' } },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error));
  }
  const { values } = parsed;
  const loaded = await loadFleetConfig(configPath);
  if (!loaded.ok) {
    terminalStream(process.stderr).write(`${loaded.message}\n`);
    return EXIT.usage;
  }
  if (values['print-unit']) {
    out.write(autopilotUnit({ node: process.execPath, script: resolve(process.argv[1] ?? 'mission-control') }, resolve(loaded.path)));
    return EXIT.ok;
  }
  if (!loaded.config.workers.some((w) => w.idle)) {
    terminalStream(process.stderr).write(
      `mission-control autopilot: no worker in ${loaded.path} has an idle policy; add \`idle: { after: 30m }\` under \`defaults:\` or a GCE or docker worker\n`,
    );
    if (values.once) return EXIT.ok;
  }
  return autopilotLoop(loaded, { once: values.once ?? false, write: (decision) => out.write(decisionLine(decision, values.json ?? false)) });
}

/** The loop: scan everything, decide, act; again after a beat, until SIGINT or SIGTERM (or once). */
async function autopilotLoop(loaded: LoadedConfig, options: { once: boolean; write: (decision: IdleDecision) => void }): Promise<number> {
  const [{ createFleet }, { createIdleActor }, { refreshWorker }] = await Promise.all([
    import('../app/fleet.js'),
    import('../app/autopilot.js'),
    import('../app/refresh.js'),
  ]);
  const fleet = createFleet(loaded.config);
  const actor = createIdleActor(fleet, { report: options.write });
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const unwatch = options.once ? undefined : await watchFleetConfig(loaded, fleet).catch(() => undefined);
  try {
    for (;;) {
      // Only workers with a policy (in the config in force) are scanned, and no cloud listing of unmanaged VMs:
      // nothing else is decided here.
      const watched = fleet.store.getState().workerOrder.flatMap((name) => {
        const worker = fleet.worker(name);
        const provider = fleet.provider(name);
        return worker?.idle && provider ? [{ worker, provider }] : [];
      });
      await Promise.allSettled(watched.map(({ worker, provider }) => refreshWorker(fleet.store, provider, worker.pollIntervalMs)));
      await actor.check();
      if (options.once || stopping.signal.aborted) return EXIT.ok;
      await pause(autopilotBeatMs(watched.map(({ worker }) => worker)), stopping.signal);
      if (stopping.signal.aborted) return EXIT.ok;
    }
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    await unwatch?.();
    await fleet.close();
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true });
  });
}
