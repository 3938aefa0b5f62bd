/**
 * bench:freshness:latency — how fresh the dashboard is, pushed against polled, in one run on the same fleet.
 *
 * Latency: the bench:attention harness (bench/attention.ts: W SSH workers, a real job on each reporting through
 * `"$MISSION_CONTROL_STATE"`, the dashboard's Ink tree writing into @xterm/headless, latency proxies in a child
 * process), run twice per RTT: with push on, and with `push: false` (today's 2 s poll). Change on the worker →
 * store, and → screen, p50/p95.
 *
 * CPU: the same fleet idle, one worker holding 25 sessions: that worker's CPU (its sshd and everything under it —
 * the connection, the scan shell, the watcher and what they ran — plus its tmux server, from /proc) and this
 * process's CPU, per hour, push against poll.
 *
 *   npm run bench:freshness:latency              # 20 workers, 0 and 50 ms RTT, 40 samples per mode and RTT
 *   W=5 RTTS=0 SAMPLES=10 IDLE_S=20 npm run bench:freshness:latency
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createFleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import { runChild } from '../../src/providers/local.js';
import { PUSH_CHANNEL } from '../../src/scanners/worker-events/command.js';
import { buildScanCommand, newScanNonce } from '../../src/scanners/worker-scan/command.js';
import { run } from '../../test/harness/process.js';
import type { TestSshd } from '../../test/harness/sshd.js';
import { percentile, startProxiesInChild, startServers, stateDirOf, stopServers, tmuxSocketOf, writeFleetFiles, type FleetFiles } from '../fleet.js';

process.env['W'] ??= '20';
process.env['SAMPLES'] ??= '40';
const W = Number(process.env['W']);
const RTTS = (process.env['RTTS'] ?? '0,50').split(',').map(Number);
const POLL = process.env['POLL'] ?? '2s';
const IDLE_S = Number(process.env['IDLE_S'] ?? 60);
const SESSIONS = 25;
/** The CPU clock's ticks per second (`getconf CLK_TCK`, 100 on Linux). */
const TICKS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (n: number) => `${n.toFixed(0).padStart(5)} ms`;
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** Until every worker's tmux server has the watcher's hooks armed. */
async function streamsUp(servers: readonly TestSshd[]): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (const server of servers) {
    while (!(await run('tmux', ['-S', tmuxSocketOf(server), 'show-hooks', '-g'], { allowFailure: true })).stdout.includes(PUSH_CHANNEL)) {
      if (performance.now() > deadline) throw new Error('the push streams did not arm their hooks within 60 s');
      await sleep(100);
    }
  }
  // The hooks are armed before the first pushed scan is sent: let it land.
  await sleep(500);
}

/** CPU seconds (user + system, with reaped children) of `roots` and every process under them, from /proc. */
async function treeCpuSeconds(roots: readonly number[]): Promise<number> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const text = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the command: state ppid … utime(12) stime(13) cutime(14) cstime(15), counted from the state field.
    if (fields.length > 15) stats.set(Number(entry), { ppid: Number(fields[1]), ticks: [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) });
  }
  const wanted = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, stat] of stats) if (!wanted.has(pid) && wanted.has(stat.ppid)) (wanted.add(pid), (grew = true));
  }
  let ticks = 0;
  for (const pid of wanted) ticks += stats.get(pid)?.ticks ?? 0;
  return ticks / TICKS;
}

/** Worker CPU (its sshd tree and tmux server) and this process's CPU over IDLE_S seconds of an idle fleet. */
async function idleCpu(files: FleetFiles, worker: TestSshd, servers: readonly TestSshd[], push: boolean): Promise<{ worker: number; client: number }> {
  const loaded = await loadConfig(files.configPath);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const fleet = createFleet(loaded.config, { readOnly: true });
  try {
    fleet.startPolling();
    await sleep(3000);
    if (push) await streamsUp(servers);
    const tmuxPid = Number((await run('tmux', ['-S', tmuxSocketOf(worker), 'display-message', '-p', '#{pid}'])).stdout.trim());
    const roots = [worker.pid()!, tmuxPid];
    const before = { worker: await treeCpuSeconds(roots), client: process.cpuUsage() };
    await sleep(IDLE_S * 1000);
    const client = process.cpuUsage(before.client);
    return { worker: (await treeCpuSeconds(roots)) - before.worker, client: (client.user + client.system) / 1e6 };
  } finally {
    await fleet.close();
  }
}

/** The worker side of a pushed change, timed alone: the scan script (what a wake runs) on w0, 20 times in a row. */
async function scanAlone(server: TestSshd): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const command = buildScanCommand({ tmuxSocketArgs: ['-S', tmuxSocketOf(server)], stateDir: stateDirOf(server), nonce: newScanNonce() });
    const started = performance.now();
    await runChild(['sh', '-c', 'script' in command ? command.script : ''], { timeoutMs: 30_000 });
    times.push(performance.now() - started);
  }
  return times;
}

/** Runs the latency and CPU comparison and prints every figure with its goal. */
export async function runLatency(): Promise<void> {
  const { fmt, launchJobs, measure, stopJobs } = await import('../attention.js');
  const started = performance.now();
  console.log(`bench:freshness:latency — ${W} SSH workers (a private sshd each), one job each; RTT ${RTTS.join('/')} ms; push vs poll every ${POLL}`);
  console.log('  change → store:  a job runs "$MISSION_CONTROL_STATE" waiting REASON → the fleet store has the job waiting with REASON');
  console.log('  change → screen: … → the dashboard frame showing REASON, parsed by @xterm/headless (the real Ink tree, in-process)');
  console.log('  goal: change → store p50 ≤ 0.6 RTT + 20 ms; change → screen p50 ≤ that + 16 ms (with push)\n');
  const dir = await mkdtemp(join(tmpdir(), 'mc-bench-freshness-'));
  const servers = await startServers(W);
  const fifoOf = (i: number) => join(stateDirOf(servers[i]!), 'jobs', `${i}-bench`, 'trigger');
  const defaultsFor = (push: boolean) => [`  pollInterval: ${POLL}`, `  push: ${push}`];
  try {
    const direct = await writeFleetFiles(servers, dir, 0, servers.map((s) => s.port), defaultsFor(false));
    await launchJobs(direct.configPath);
    console.log(`setup: ${W} sshd and ${W} launched jobs in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    console.log('  RTT  mode  path              p50       p95       max   goal (p50)');
    for (const rtt of RTTS) {
      const proxies = await startProxiesInChild(servers, rtt);
      try {
        for (const push of [true, false]) {
          const files = await writeFleetFiles(servers, dir, rtt, proxies.ports, defaultsFor(push));
          const deadline = performance.now() + 240_000;
          // Triggers spread over two (normal) poll periods in both halves, as bench:attention does.
          const f = await measure(files.configPath, fifoOf, deadline, push ? { beforeSampling: () => streamsUp(servers) } : {});
          const goal = 0.6 * rtt + 20;
          const mode = push ? 'push' : 'poll';
          for (const [path, values, target] of [['change → store ', f.store, goal], ['change → screen', f.screen, goal + 16]] as const) {
            const p50 = percentile(values, 50);
            console.log(
              `${String(rtt).padStart(5)}  ${mode}  ${path}  ${fmt(p50)} ${fmt(percentile(values, 95))} ${fmt(Math.max(...values))}   ${ms(target)}  ${verdict(p50 <= target)}`,
            );
          }
          const quiet = f.quietDrawing;
          const drawn = quiet.length > 0 ? percentile(quiet, 50) : Number.NaN;
          console.log(
            `             store → screen with no frame in the 100 ms before: p50 ${ms(drawn)}, p95 ${ms(quiet.length > 0 ? percentile(quiet, 95) : Number.NaN)} ` +
              `(${quiet.length} samples)   goal ≤ 16 ms: ${verdict(drawn <= 16)}`,
          );
          console.log(`             ${f.store.length} samples${f.missed ? `, ${f.missed} missed` : ''}; event loop delay p99 ${f.loopDelayP99Ms.toFixed(1)} ms`);
        }
      } finally {
        await proxies.stop();
      }
    }

    const alone = await scanAlone(servers[0]!);
    console.log(`\n  what bounds a pushed change: the scan on the worker alone (w0, sh here) p50 ${ms(percentile(alone, 50))}, p95 ${ms(percentile(alone, 95))}; plus half a round trip`);
    console.log(`\nidle CPU per hour (${IDLE_S} s measured each, 0 ms RTT): worker w0 with ${SESSIONS} sessions (sshd tree + tmux server), client for all ${W} workers`);
    for (let i = 1; i < SESSIONS; i += 1) await run('tmux', ['-S', tmuxSocketOf(servers[0]!), 'new-session', '-d', '-s', `idle-${i}`, 'sleep 100000']);
    const cpu: Record<'push' | 'poll', { worker: number; client: number }> = { push: { worker: 0, client: 0 }, poll: { worker: 0, client: 0 } };
    for (const push of [true, false]) {
      const files = await writeFleetFiles(servers, dir, 0, servers.map((s) => s.port), defaultsFor(push));
      cpu[push ? 'push' : 'poll'] = await idleCpu(files, servers[0]!, servers, push);
    }
    for (let i = 1; i < SESSIONS; i += 1) await run('tmux', ['-S', tmuxSocketOf(servers[0]!), 'kill-session', '-t', `=idle-${i}`], { allowFailure: true });
    const perHour = (seconds: number) => (seconds * 3600) / IDLE_S;
    const clientGoal = 0.01 * 3600;
    for (const mode of ['push', 'poll'] as const) {
      const { worker, client } = cpu[mode];
      console.log(`  ${mode}  worker ${perHour(worker).toFixed(1).padStart(7)} CPU s/h (${((worker / IDLE_S) * 100).toFixed(2)} % of a core)` +
        `   client ${perHour(client).toFixed(1).padStart(7)} CPU s/h (${((client / IDLE_S) * 100).toFixed(2)} % of a core; goal < 1 % at 20 workers: ${verdict(perHour(client) < clientGoal)})`);
    }
    console.log(`  worker CPU, push below polling: ${verdict(cpu.push.worker < cpu.poll.worker)} (${(cpu.poll.worker / Math.max(cpu.push.worker, 1e-9)).toFixed(1)}× less)`);
    console.log(`\nthis machine: ${availableParallelism()} cores shared by all ${W} workers' sshd, tmux, scans and the dashboard`);
  } finally {
    await stopJobs(servers, fifoOf).catch((error: unknown) => console.log(`stopping the jobs: ${String(error)}`));
    await stopServers(servers);
    await rm(dir, { recursive: true, force: true });
    console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; everything started was stopped`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runLatency();
