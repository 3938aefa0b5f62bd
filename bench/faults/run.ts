/**
 * bench:faults — faults injected into a watched fleet of eight real SSH workers (network namespace, latency proxy,
 * private dockerd, libfaketime, tmpfs), the built binary killed mid-launch, and hostile data; one table of figures
 * with each goal met or missed. Then the fuzzers (bench/faults/fuzz.ts), when present.
 *
 *   npm run bench:faults                 # builds, then runs everything (about 10 minutes)
 *   ONLY=link,sshd npm run bench:faults  # cases whose name contains one of the words
 *   FUZZ_RUNS=1000 npm run bench:faults  # fewer fuzz cases per property
 *
 * Needs root (namespaces, iptables, tmpfs, dockerd). Everything it starts is stopped by pid, socket or name in a
 * finally block, also on Ctrl-C and when the whole run passes its time limit.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { MAX_BACKOFF_MS } from '../../src/state/scheduler.js';
import { diskFullRow, launchKillRows } from './launch-kill.js';
import { networkFaults } from './network.js';
import { bigLogFault, crowdFault, escapeDirFault, escapeTerminalRow, oversizeMetaFault } from './hostile.js';
import { printTable, type FaultRow, type Goals } from './table.js';
import { RefreshRecorder, runWatchedFault, timeUntil, type WatchedFault } from './watch.js';
import { clockFault, rebootFault } from './worker.js';
import { createFaultWorld, type FaultWorld } from './world.js';

const ONLY = (process.env['ONLY'] ?? '').split(',').filter(Boolean);
const RUN_LIMIT_MS = Number(process.env['RUN_LIMIT_MS'] ?? 20 * 60_000);
const CROWD = Number(process.env['CROWD'] ?? 10_000);
const CROWD_LIVE = Number(process.env['CROWD_LIVE'] ?? 1000);
const CROWD_BUDGET_MS = Number(process.env['CROWD_BUDGET_MS'] ?? 150_000);
const LOG_RSS_LIMIT_MB = 128;

const log = (line: string) => process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const wanted = (name: string) => ONLY.length === 0 || ONLY.some((word) => name.toLowerCase().includes(word.toLowerCase()));

async function baselineJobs(world: FaultWorld): Promise<string> {
  let logJob = '';
  for (const w of world.workers) {
    for (const n of w.name === 'w7' ? ['1', '2', '3'] : ['1', '2']) {
      const launched = await world.actions.launch({ kind: 'sleeper', params: { n }, worker: w.name });
      if (w.name === 'w7' && n === '3') logJob = launched.key;
    }
  }
  world.fleet.refreshNow();
  return logJob;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:faults needs root: network namespaces, iptables, tmpfs mounts and a private dockerd\n');
    return 2;
  }
  const started = performance.now();
  const rows: FaultRow[] = [];
  let world: FaultWorld | undefined;
  let recorder: RefreshRecorder | undefined;
  const timing = { pollMs: 0, detectWithinMs: 0, recoverWithinMs: MAX_BACKOFF_MS };
  let stopping = false;
  const cleanup = async () => {
    if (stopping) return;
    stopping = true;
    recorder?.stop();
    log('stopping workers, namespaces, dockerd');
    await world?.stop();
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const limit = setTimeout(() => {
    log(`the run passed its limit of ${RUN_LIMIT_MS / 60_000} min: stopping`);
    void cleanup().then(() => process.exit(1));
  }, RUN_LIMIT_MS);
  limit.unref();
  try {
    log('starting 8 sshd workers, a network namespace, a latency proxy and a private dockerd');
    world = await createFaultWorld(log);
    const w = world;
    timing.pollMs = Math.max(...w.config.workers.map((worker) => worker.pollIntervalMs));
    timing.detectWithinMs = 2 * timing.pollMs;
    w.fleet.startPolling();
    const allUp = await timeUntil(w, (state) => state.workerOrder.every((name) => state.workers[name]?.connection === 'up'), 30_000);
    if (allUp === undefined) {
      const down = w.fleet.store.getState();
      throw new Error(`not every worker came up: ${down.workerOrder.map((n) => `${n} ${down.workers[n]?.connection} ${down.workers[n]?.lastError ?? ''}`).join('; ')}`);
    }
    const logJob = await baselineJobs(w);
    log(`fleet up in ${((performance.now() - started) / 1000).toFixed(1)} s; ${w.config.workers.length} workers, poll ${timing.pollMs} ms`);
    recorder = new RefreshRecorder(w);

    const watched: (WatchedFault | { name: string; notRun: string })[] = [
      ...networkFaults(w),
      rebootFault(w),
      clockFault(w),
      oversizeMetaFault(w),
      escapeDirFault(w),
      crowdFault(w, CROWD, CROWD_LIVE, CROWD_BUDGET_MS),
      bigLogFault(w, () => logJob, LOG_RSS_LIMIT_MB),
    ];
    for (const fault of watched) {
      if (!wanted(fault.name)) continue;
      log(`case: ${fault.name}`);
      if ('notRun' in fault) rows.push({ fault: fault.name, notRun: fault.notRun });
      else {
        try {
          rows.push(await runWatchedFault(w, recorder, fault, timing));
        } catch (error) {
          rows.push({ fault: fault.name, notRun: `the case failed: ${String(error).split('\n')[0]}` });
        }
      }
    }
    if (wanted('disk full')) {
      log('case: disk full during launch');
      rows.push(await diskFullRow(w).catch((error: unknown) => ({ fault: 'disk full during launch', notRun: String(error).split('\n')[0]! })));
    }
    if (wanted('SIGKILL') || wanted('launch')) {
      log('cases: launches killed at each step');
      rows.push(...(await launchKillRows(w)));
    }
    if (wanted('escapes')) {
      log('case: escapes through the dashboard');
      rows.push(await escapeTerminalRow());
    }
  } catch (error) {
    log(`the suite stopped early: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    rows.push({ fault: 'suite setup', notRun: String(error).split('\n')[0]! });
  } finally {
    await cleanup();
    clearTimeout(limit);
  }

  process.stdout.write(`\nbench:faults — ${rows.length} cases in ${((performance.now() - started) / 1000).toFixed(0)} s\n\n`);
  const goals: Goals = { detectMs: timing.detectWithinMs || 4000, refreshRatio: 1.2, recoverMs: MAX_BACKOFF_MS };
  const missed = printTable(rows, goals, (line) => process.stdout.write(`${line}\n`));
  await runFuzzers();
  return missed > 0 ? 1 : 0;
}

/** The fuzzers and hostile-string corpus, when bench/faults/fuzz.ts exists: their own table. */
async function runFuzzers(): Promise<void> {
  if (!existsSync(new URL('./fuzz.ts', import.meta.url)) || !wanted('fuzz')) {
    process.stdout.write('\nfuzzers: not run: bench/faults/fuzz.ts is not here\n');
    return;
  }
  const path = './fuzz.js';
  try {
    const fuzz = (await import(path)) as {
      runFuzz?: (options: { runsPerParser: number }) => Promise<unknown[]>;
      fuzzTable?: (rows: unknown[]) => string;
    };
    if (!fuzz.runFuzz) throw new Error('it exports no runFuzz');
    const runs = Number(process.env['FUZZ_RUNS'] ?? 10_000);
    process.stdout.write(`\nfuzzers (${runs} cases per property):\n`);
    const rows = await fuzz.runFuzz({ runsPerParser: runs });
    process.stdout.write(fuzz.fuzzTable ? fuzz.fuzzTable(rows) : `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
  } catch (error) {
    process.stdout.write(`\nfuzzers: not run: ${String(error).split('\n')[0]}\n`);
  }
}

process.exitCode = await main();
