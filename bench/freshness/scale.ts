/**
 * bench:freshness:scale — what a user sees with a big fleet, from the built binary in a real pseudo-terminal:
 *   1. cold start of W workers (private sshd each, S sessions each): `status --json` until it exits, and the
 *      dashboard until its header says all W are up (and whether any frame said a worker was down on the way);
 *   2. time to the first frame that lists the workers (W_SMALL workers), p50;
 *   3. idle client CPU (% of one core) at W_SMALL and at W workers (2 s poll);
 *   4. client CPU during a burst of BURST changes (sessions ending across the fleet) until the header shows them;
 *   5. RSS: the largest, and its slope over the run after the first RSS_SKIP_SECONDS (MB/hour);
 *   6. frame time at W×S jobs: a fleet or clock change to its frame written to the terminal (the dashboard's own
 *      MC_TEST_READY_FILE lines), p95; and keypress → frame (j/k typed into the terminal until the frame's last
 *      byte arrives), p95.
 * Each figure is printed with its goal and met / not met.
 *
 *   npm run bench:freshness:scale
 *   RSS_SECONDS=3900 npm run bench:freshness:scale       # the hour the RSS slope goal is about
 *   SCALE_WORKERS=40 SCALE_SESSIONS=5 IDLE_SECONDS=10 npx tsx bench/freshness/scale.ts
 *   PROFILE_DIR=/tmp/prof …                               # V8 CPU profiles of the dashboards (node --cpu-prof)
 *   SCALE_ONLY=frames SCALE_WORKERS=20 SCALE_SESSIONS=250 SCALE_LIVE=5 IDLE_SECONDS=20 npx tsx bench/freshness/scale.ts
 *                                                         # only the big dashboard's frame and keypress figures (6)
 *
 * Needs `npm run build` first (the npm script builds). Everything it starts is stopped by pid or private socket.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { TestSshd } from '../../test/harness/sshd.js';
import { run } from '../../test/harness/process.js';
import { freePtys, percentile, procFigures, startServers, startSessions, stopServers, tmuxSocketOf, writeEndedRecords, writeFleetFiles } from '../fleet.js';
import { startInPty, type PtyProgram } from '../pty.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const W = env('SCALE_WORKERS', 200);
const W_SMALL = Math.min(W, env('SCALE_SMALL', 20));
const S = env('SCALE_SESSIONS', 25);
const IDLE_SECONDS = env('IDLE_SECONDS', 30);
const RSS_SECONDS = Math.max(IDLE_SECONDS, env('RSS_SECONDS', 60));
const RSS_SKIP_SECONDS = env('RSS_SKIP_SECONDS', Math.min(300, RSS_SECONDS / 3));
const FIRST_FRAME_RUNS = env('FIRST_FRAME_RUNS', 5);
const KEYS = env('KEYS', 60);
const BURST = env('BURST', 1000);
/** `frames`: only the big dashboard's frame time and keypress → frame, idle for IDLE_SECONDS (no cold starts, burst). */
const ONLY_FRAMES = process.env['SCALE_ONLY'] === 'frames';
/**
 * Each tmux pane holds a pseudo-terminal and the kernel hands out a few thousand (kernel.pty.max less its reserve):
 * of a worker's S jobs, as many as fit are live sessions, the rest records of jobs that ended.
 */
const LIVE = Math.min(S, env('SCALE_LIVE', S), Math.floor(freePtys() / W));
const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'mission-control.js');

/** One printed figure: what, the value, the goal and whether it is met (undefined: no goal, reported only). */
export interface ScaleFigure {
  readonly figure: string;
  readonly value: string;
  readonly goal: string;
  readonly met: boolean | undefined;
}

const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g, '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => value.toFixed(digits);

/** The dashboard in a terminal, its CPU profile kept when PROFILE_DIR is set. */
function dashboard(config: string, readyFile?: string): Promise<PtyProgram> {
  const profile = process.env['PROFILE_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['PROFILE_DIR']}`] : [];
  return startInPty([process.execPath, ...profile, BIN, '--config', config], { CI: 'false', ...(readyFile ? { MC_TEST_READY_FILE: readyFile } : {}) });
}

/** CPU (% of one core) of `pid` over `seconds`, and its RSS sampled on the way. */
async function watchProcess(pid: number, seconds: number, everyMs = 1000): Promise<{ cpu: number; rss: { t: number; mb: number }[] }> {
  const first = { t: performance.now(), ...procFigures(pid) };
  const rss = [{ t: 0, mb: first.rssMb }];
  while (performance.now() - first.t < seconds * 1000) {
    await sleep(everyMs);
    const now = procFigures(pid);
    rss.push({ t: (performance.now() - first.t) / 1000, mb: now.rssMb });
  }
  const last = { t: performance.now(), ...procFigures(pid) };
  return { cpu: ((last.cpuMs - first.cpuMs) / (last.t - first.t)) * 100, rss };
}

/** Least-squares slope of RSS in MB per hour. */
function slopePerHour(samples: readonly { t: number; mb: number }[]): number {
  const n = samples.length;
  if (n < 2) return Number.NaN;
  const mt = samples.reduce((sum, s) => sum + s.t, 0) / n;
  const mm = samples.reduce((sum, s) => sum + s.mb, 0) / n;
  const num = samples.reduce((sum, s) => sum + (s.t - mt) * (s.mb - mm), 0);
  const den = samples.reduce((sum, s) => sum + (s.t - mt) ** 2, 0);
  return (num / den) * 3600;
}

const headerUp = (count: number) => (text: string) => plain(text).includes(`workers ${count} up`);

/** `status --json` on the fleet: seconds until it exits, and the workers it reports up. */
async function statusColdStart(config: string, figures: ScaleFigure[]): Promise<void> {
  const started = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'status', '--json', '--config', config], { maxBuffer: 256 * 1024 * 1024 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  const seconds = (performance.now() - started) / 1000;
  const workers = stdout ? (JSON.parse(stdout) as { workers: { connection: string; lastError: string | null }[] }).workers : [];
  const up = workers.filter((w) => w.connection === 'up').length;
  const failure = workers.find((w) => w.connection !== 'up')?.lastError;
  figures.push({ figure: `status cold start, ${W} workers: answered`, value: `${up} of ${W} in ${round(seconds)} s${failure ? ` (e.g. ${failure})` : ''}`, goal: `all ${W} within 15 s`, met: up === W && seconds <= 15 });
}

async function firstFrames(config: string, figures: ScaleFigure[]): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < FIRST_FRAME_RUNS; i += 1) {
    const program = await dashboard(config);
    try {
      const frame = await program.frameWhere((text) => /\bw0\b/.test(plain(text)), 20_000, 'a frame listing the workers');
      times.push(frame.at - program.startedAt);
    } finally {
      await program.stop();
    }
  }
  const p50 = percentile(times, 50);
  figures.push({ figure: `first frame listing the workers (${W_SMALL} workers), p50 of ${times.length}`, value: `${round(p50, 0)} ms (max ${round(Math.max(...times), 0)})`, goal: '< 400 ms', met: p50 < 400 });
}

async function idleSmall(config: string, figures: ScaleFigure[]): Promise<void> {
  const program = await dashboard(config);
  try {
    await program.frameWhere(headerUp(W_SMALL), 60_000, `all ${W_SMALL} workers up`);
    await sleep(5000);
    const { cpu } = await watchProcess(program.pid, IDLE_SECONDS);
    figures.push({ figure: `idle client CPU, ${W_SMALL} workers × ${S} jobs`, value: `${round(cpu, 2)} % of a core`, goal: '< 1 %', met: cpu < 1 });
  } finally {
    await program.stop();
  }
}

/** Frame lines of the ready file from line `from` on: each frame's milliseconds from its cause. */
function frameTimes(readyFile: string, from: number): { times: number[]; lines: number } {
  const lines = existsSync(readyFile) ? readFileSync(readyFile, 'utf8').split('\n').filter(Boolean) : [];
  const times = lines.slice(from).map((line) => Number(line.split(' ')[2])).filter((ms) => Number.isFinite(ms));
  return { times, lines: lines.length };
}

async function keypresses(program: PtyProgram): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < KEYS; i += 1) {
    // Decorrelated from the beat, and never within the 100 ms frame cap of the previous frame.
    await sleep(150 + Math.random() * 350);
    const typed = performance.now();
    program.type(i % 20 < 10 ? 'j' : 'k');
    const frame = await program.frameWhere(() => true, 10_000, 'the frame after a key', typed);
    times.push(frame.at - typed);
  }
  return times;
}

async function bigDashboard(servers: readonly TestSshd[], config: string, dir: string, figures: ScaleFigure[]): Promise<void> {
  const readyFile = join(dir, 'ready-big');
  const program = await dashboard(config, readyFile);
  try {
    const all = await program.frameWhere(headerUp(W), 120_000, `all ${W} workers up`);
    const down = program.frames.filter((frame) => frame.at <= all.at && / \d+ down/.test(plain(frame.text)));
    // What the workers pane said about a worker that was down, for the figure's note.
    const why = down.map((frame) => /(no answer|did not finish|refused|cannot|lost|timed out)[^│\n]*/.exec(plain(frame.text))?.[0]).find(Boolean);
    const seconds = (all.at - program.startedAt) / 1000;
    figures.push({
      figure: `dashboard cold start, ${W} workers: all up`,
      value: `${round(seconds)} s, ${down.length} frames with workers down on the way${why ? ` (${why.trim().slice(0, 80)})` : ''}`,
      goal: 'all up, no failures, within 15 s',
      met: down.length === 0 && seconds <= 15,
    });
    await program.frameWhere((text) => plain(text).includes(`jobs ${W * S}`), 60_000, `${W * S} jobs listed`);
    await sleep(5000);

    const idleFrom = frameTimes(readyFile, 0).lines;
    const watchSeconds = ONLY_FRAMES ? IDLE_SECONDS : RSS_SECONDS;
    const watched = await watchProcess(program.pid, watchSeconds, Math.max(1000, (watchSeconds * 1000) / 600));
    const idle = frameTimes(readyFile, idleFrom).times;
    const cpu = watched.cpu;
    if (!ONLY_FRAMES) figures.push({ figure: `idle client CPU, ${W} workers × ${S} jobs`, value: `${round(cpu, 2)} % of a core (over ${RSS_SECONDS} s)`, goal: '< 10 %', met: cpu < 10 });
    const rssMax = Math.max(...watched.rss.map((s) => s.mb));
    const slope = slopePerHour(watched.rss.filter((s) => s.t >= RSS_SKIP_SECONDS));
    if (!ONLY_FRAMES) figures.push({ figure: `RSS, ${W} workers (first ${round(watched.rss[0]!.mb, 0)} MB, last ${round(watched.rss.at(-1)!.mb, 0)} MB)`, value: `max ${round(rssMax, 0)} MB`, goal: '< 200 MB', met: rssMax < 200 });
    if (!ONLY_FRAMES) figures.push({ figure: `RSS slope after ${round(RSS_SKIP_SECONDS, 0)} s of a ${RSS_SECONDS} s run`, value: `${round(slope)} MB/hour`, goal: '≤ 5 MB/hour (after the first 5 min of an hour)', met: slope <= 5 });
    const p95 = percentile(idle, 95);
    figures.push({ figure: `frame time at ${W * S} jobs (change → frame written), ${idle.length} frames`, value: `p50 ${round(percentile(idle, 50))} / p95 ${round(p95)} ms`, goal: 'p95 ≤ 16 ms', met: p95 <= 16 });

    const keys = await keypresses(program);
    const keyP95 = percentile(keys, 95);
    figures.push({ figure: `keypress → frame at ${W * S} jobs, ${keys.length} keys`, value: `p50 ${round(percentile(keys, 50))} / p95 ${round(keyP95)} ms`, goal: 'p95 ≤ 50 ms', met: keyP95 <= 50 });
    if (ONLY_FRAMES) return;

    // The burst: BURST live sessions end across the fleet, as fast as tmux ends them.
    const perWorker = Math.min(LIVE, Math.ceil(BURST / servers.length));
    const before = { t: performance.now(), ...procFigures(program.pid) };
    const kill = (server: TestSshd) =>
      run('tmux', ['-f', '/dev/null', '-S', tmuxSocketOf(server), ...Array.from({ length: perWorker }, (_, j) => [...(j ? [';'] : []), 'kill-session', '-t', `mc-job-${j}`]).flat()]);
    // Sixteen tmux clients at a time: the changes land within a second or two, as a burst does.
    for (let i = 0; i < servers.length; i += 16) await Promise.all(servers.slice(i, i + 16).map(kill));
    const shown = await program.frameWhere((text) => plain(text).includes(`jobs ${W * S - perWorker * servers.length}`), 120_000, 'the burst on screen', before.t);
    const after = { t: performance.now(), ...procFigures(program.pid) };
    const burstCpu = ((after.cpuMs - before.cpuMs) / (after.t - before.t)) * 100;
    figures.push({
      figure: `client CPU during a burst of ${perWorker * servers.length} sessions ending`,
      value: `${round(burstCpu, 1)} % of a core over ${round((after.t - before.t) / 1000)} s (all on screen ${round((shown.at - before.t) / 1000)} s after the first)`,
      goal: 'reported',
      met: undefined,
    });
  } finally {
    await program.stop();
  }
}

/** Runs the whole bench and prints each figure with its goal; returns the figures. */
export async function runScale(): Promise<ScaleFigure[]> {
  console.log(`bench:freshness:scale — node ${process.version}, ${W} workers × ${S} jobs (${LIVE} live tmux sessions, ${S - LIVE} ended; sshd on loopback, a private tmux server each), 2 s poll`);
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first: the bench runs the built binary');
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-scale-'));
  const figures: ScaleFigure[] = [];
  let servers: TestSshd[] = [];
  try {
    servers = await startServers(W);
    await startSessions(servers, LIVE);
    await writeEndedRecords(servers, S - LIVE);
    const big = await writeFleetFiles(servers, join(dir), 0, servers.map((s) => s.port), ['  pollInterval: 2s']);
    const smallDir = mkdtempSync(join(dir, 'small-'));
    const small = await writeFleetFiles(servers.slice(0, W_SMALL), smallDir, 0, servers.slice(0, W_SMALL).map((s) => s.port), ['  pollInterval: 2s']);

    if (!ONLY_FRAMES) {
      await statusColdStart(big.configPath, figures);
      if (FIRST_FRAME_RUNS > 0) await firstFrames(small.configPath, figures);
      await idleSmall(small.configPath, figures);
    }
    await bigDashboard(servers, big.configPath, dir, figures);
  } finally {
    await stopServers(servers);
    rmSync(dir, { recursive: true, force: true });
  }
  // The figures are the client's own, but a busy machine slows everything they time: say how busy it was.
  console.log(`  (load average at the end: ${loadavg().map((n) => n.toFixed(1)).join(' ')} on ${availableParallelism()} cores)`);
  const width = Math.max(...figures.map((f) => f.figure.length));
  for (const f of figures) {
    const verdict = f.met === undefined ? '' : f.met ? 'met' : 'NOT MET';
    console.log(`  ${f.figure.padEnd(width)}  ${f.value}  [goal ${f.goal}] ${verdict}`);
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runScale().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
