/**
 * bench:attention — how long a job's "I need you" takes to reach the user: from the state change on the worker
 * (a real job, launched by mission-control on an SSH worker, runs its `"$MISSION_CONTROL_STATE" waiting REASON`
 * contract program) to the fleet store (its job state becomes `waiting` with that reason) and to the screen (the
 * dashboard's frame that shows the reason, parsed by a terminal emulator).
 *
 * The screen is the dashboard's own composition, in this process: the fleet polling its workers, the frame
 * ticker, the Ink tree of the binary (concurrent root, 10 frames/s at most), writing into `@xterm/headless`;
 * a frame counts once the emulator has parsed it and its buffer shows the reason.
 *
 * Honest timing: each trigger comes after a random wait spread over two poll periods (so triggers are not in
 * phase with the polls), in STREAMS independent loops on different workers; nothing in the measuring path blocks
 * the event loop (the trigger is an asynchronous write to the job's FIFO; the loop's delay is printed), and the
 * latency proxies run in a child process of their own.
 *
 *   npm run bench:attention                      # 20 workers, 0 and 50 ms RTT, 80 samples each, 2 s poll
 *   W=5 RTTS=0 SAMPLES=20 POLL=1s npm run bench:attention
 */
import { EventEmitter } from 'node:events';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import xterm from '@xterm/headless';
import { createFleet } from '../src/app/fleet.js';
import { createObserveCommands } from '../src/app/observe-commands.js';
import { loadConfig } from '../src/config/load.js';
import { createJobActions } from '../src/jobs/actions.js';
import { kindsSchema, resolveJobSettings } from '../src/jobs/kinds.js';
import type { FleetState } from '../src/state/store.js';
import { run } from '../test/harness/process.js';
import type { TestSshd } from '../test/harness/sshd.js';
import { percentile, startProxiesInChild, startServers, stateDirOf, stopServers, tmuxSocketOf, writeFleetFiles, type FleetProxies } from './fleet.js';

// As the dashboard does (src/ui/run.ts): React's production build, chosen when React first loads.
process.env['NODE_ENV'] ??= 'production';
const { render } = await import('ink');
const { createElement } = await import('react');
const { App } = await import('../src/ui/App.js');
const { createDashboard } = await import('../src/ui/dashboard.js');
const { startPreviewFeed } = await import('../src/ui/feeds.js');
const { frameBeatMs, MAX_FPS } = await import('../src/ui/run.js');
const { createFrameTicker } = await import('../src/ui/state/throttled-store.js');
const { createUiStore } = await import('../src/ui/state/ui-store.js');
const { FakeStdin } = await import('../test/ui/render.js');

const W = Number(process.env['W'] ?? 20);
const RTTS = (process.env['RTTS'] ?? '0,50').split(',').map(Number);
const SAMPLES = Number(process.env['SAMPLES'] ?? 80);
const STREAMS = Math.min(W, Number(process.env['STREAMS'] ?? 4));
const POLL = process.env['POLL'] ?? '2s';
const COLUMNS = 160;
const ROWS = 60;
/** A sample not seen on screen by then counts as missed. */
const SAMPLE_TIMEOUT_MS = 20_000;
/** Sampling stops early past this (the whole run stays under 6 minutes). */
const BUDGET_MS = Number(process.env['BUDGET_MS'] ?? 300_000);

/**
 * The job each worker runs: it reads `STATE REASON` lines from a FIFO in its record directory and reports each
 * through the contract; `quit` ends it.
 */
const JOB_SCRIPT = [
  'f="$MC_JOB_DIR/trigger"; rm -f "$f"; mkfifo "$f" || exit 1',
  // Read-write: the FIFO never reaches end of file, and a writer never blocks waiting for a reader.
  'exec 3<>"$f"',
  'echo "bench job: reporting states from $f"',
  'while read -r s r <&3; do [ "$s" = quit ] && exit 0; "$MISSION_CONTROL_STATE" "$s" "$r"; done',
].join('\n');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A terminal for Ink: what it writes goes into a headless xterm; `parsed` is called once each write is parsed. */
class EmulatorStdout extends EventEmitter {
  readonly columns = COLUMNS;
  readonly rows = ROWS;
  readonly isTTY = true;
  // convertEol: a terminal's line discipline turns "\n" into "\r\n" on output (ONLCR); Ink relies on it.
  readonly terminal = new xterm.Terminal({ cols: COLUMNS, rows: ROWS, allowProposedApi: true, scrollback: 0, convertEol: true });
  /** Called with the time the frame was written, once the emulator has parsed it. */
  parsed: (writtenAt: number) => void = () => undefined;
  /** When the last frame was written (`performance.now()`). */
  lastWrite = -Infinity;
  write = (data: string) => {
    const writtenAt = performance.now();
    this.lastWrite = writtenAt;
    this.terminal.write(data, () => this.parsed(writtenAt));
    return true;
  };
  /** The screen as text. */
  screen(): string {
    const buffer = this.terminal.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < ROWS; y += 1) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return lines.join('\n');
  }
}

interface Sample {
  readonly worker: string;
  readonly id: string;
  readonly token: string;
  readonly t0: number;
  store?: number;
  /** No frame was written in the 100 ms before the change reached the store (the frame cap cannot hold it back). */
  quiet?: boolean;
  /** When the frame ticker published the fleet state with the job waiting. */
  published?: number;
  /** When Ink wrote the frame that shows it. */
  written?: number;
  screen?: number;
  seen?: () => void;
}

const jobOf = (state: FleetState, worker: string, id: string) => state.jobsByWorker[worker]?.find((job) => job.id === id);

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Launches the bench job on every worker, through mission-control's own launch, and waits until each has its FIFO. */
export async function launchJobs(configPath: string): Promise<void> {
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const settings = resolveJobSettings({
    kinds: kindsSchema.parse({ bench: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', JOB_SCRIPT], worktree: false } }),
  });
  const fleet = createFleet({ ...loaded.config, jobs: settings });
  try {
    const actions = createJobActions(fleet, settings);
    for (let i = 0; i < W; i += 1) await actions.launch({ kind: 'bench', params: { n: String(i) }, worker: `w${i}` });
  } finally {
    await fleet.close();
  }
}

/**
 * Ends every bench job and waits for its session to close, so that nothing writes into a worker's HOME (the job's
 * exit code, its log) while the worker is removed.
 */
export async function stopJobs(servers: readonly TestSshd[], fifoOf: (i: number) => string): Promise<void> {
  await Promise.all(servers.map((_, i) => appendFile(fifoOf(i), 'quit\n').catch(() => undefined)));
  for (const server of servers) {
    const socket = tmuxSocketOf(server);
    const deadline = performance.now() + 10_000;
    while ((await run('tmux', ['-S', socket, 'has-session'], { allowFailure: true })).code === 0 && performance.now() < deadline) await sleep(50);
  }
}

/** What {@link measure} found at one RTT. */
export interface Figures {
  readonly store: number[];
  readonly screen: number[];
  /** Per sample: store → published by the frame ticker, → frame written by Ink, → parsed by the emulator. */
  readonly steps: [number, number, number][];
  /** Store → screen of the samples that reached the store with no frame written in the 100 ms before. */
  readonly quietDrawing: number[];
  missed: number;
  readonly loopDelayMaxMs: number;
  readonly loopDelayP99Ms: number;
}

/** Options for {@link measure}. */
export interface MeasureOptions {
  /** Samples to take; default SAMPLES. */
  readonly samples?: number;
  /** Each trigger comes after a random wait up to this; default two poll intervals. */
  readonly spreadMs?: number;
  /** Awaited once the jobs are in the store, before the first sample (e.g. until push streams are up). */
  readonly beforeSampling?: () => Promise<void>;
}

/** Mounts the dashboard over the fleet at one RTT and takes SAMPLES samples. */
export async function measure(
  configPath: string,
  fifoOf: (i: number) => string,
  deadline: number,
  options: MeasureOptions = {},
): Promise<Figures & { pollMs: number }> {
  const samples = options.samples ?? SAMPLES;
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const pollMs = loaded.config.workers[0]!.pollIntervalMs;
  const fleet = createFleet(loaded.config, { readOnly: true });
  const ticker = createFrameTicker(fleet.store, frameBeatMs(loaded.config.workers.map((w) => w.pollIntervalMs)));
  const dashboard = createDashboard({
    fleet: ticker.fleet,
    access: { readOnly: true, commands: createObserveCommands(fleet) },
    host: { attach: () => undefined, quit: () => undefined },
    color: true,
    ui: createUiStore(),
    clock: ticker.clock,
  });
  const stdout = new EmulatorStdout();
  const pending = new Set<Sample>();
  const settle = (sample: Sample) => {
    if (sample.store !== undefined && sample.screen !== undefined) sample.seen?.();
  };
  const unsubscribe = fleet.store.subscribe((state) => {
    const now = performance.now();
    for (const sample of pending) {
      if (sample.store !== undefined) continue;
      const job = jobOf(state, sample.worker, sample.id);
      if (job?.state === 'waiting' && job.reason.includes(sample.token)) {
        sample.store = now;
        sample.quiet = now - stdout.lastWrite >= 100;
        settle(sample);
      }
    }
  });
  const unfollow = ticker.fleet.subscribe((state) => {
    const now = performance.now();
    for (const sample of pending) {
      if (sample.published === undefined && jobOf(state, sample.worker, sample.id)?.reason.includes(sample.token)) sample.published = now;
    }
  });
  stdout.parsed = (writtenAt) => {
    const open = [...pending].filter((sample) => sample.screen === undefined);
    if (open.length === 0) return;
    const now = performance.now();
    const screen = stdout.screen();
    for (const sample of open) {
      if (screen.includes(sample.token)) {
        sample.screen = now;
        sample.written = writtenAt;
        settle(sample);
      }
    }
  };
  fleet.startPolling();
  ticker.start();
  const feed = startPreviewFeed(dashboard);
  ticker.fleet.flush();
  const instance = render(createElement(App, { dashboard }), {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: MAX_FPS,
    concurrent: true,
    incrementalRendering: false,
  });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const figures: Figures = { store: [], screen: [], steps: [], quietDrawing: [], missed: 0, loopDelayMaxMs: 0, loopDelayP99Ms: 0 };
  try {
    await waitUntil(
      () => Array.from({ length: W }, (_, i) => jobOf(fleet.store.getState(), `w${i}`, `${i}-bench`)).every((job) => job && job.state !== 'waiting'),
      60_000,
      `the ${W} bench jobs in the store`,
    );
    await sleep(pollMs);
    await options.beforeSampling?.();
    loop.enable();
    let taken = 0;
    const stream = async (s: number) => {
      for (let k = 0; taken < samples && performance.now() < deadline; k += 1) {
        taken += 1;
        const i = s + STREAMS * (k % Math.ceil((W - s) / STREAMS));
        const id = `${i}-bench`;
        const worker = `w${i}`;
        await sleep(Math.random() * (options.spreadMs ?? 2 * pollMs));
        // The previous sample on this worker has been reset to working; the store must have seen it.
        await waitUntil(() => jobOf(fleet.store.getState(), worker, id)?.state !== 'waiting', SAMPLE_TIMEOUT_MS, `${worker}/${id} to leave waiting`);
        const token = `ask-${s}-${k}`;
        let timer: NodeJS.Timeout | undefined;
        const sample: Sample = { worker, id, token, t0: performance.now() };
        const seen = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), SAMPLE_TIMEOUT_MS);
          sample.seen = () => resolve(true);
        });
        pending.add(sample);
        await appendFile(fifoOf(i), `waiting Allow ${token}?\n`);
        const ok = await seen;
        clearTimeout(timer);
        pending.delete(sample);
        if (ok) {
          figures.store.push(sample.store! - sample.t0);
          figures.screen.push(sample.screen! - sample.t0);
          if (sample.quiet) figures.quietDrawing.push(sample.screen! - sample.store!);
          figures.steps.push([sample.published! - sample.store!, sample.written! - sample.published!, sample.screen! - sample.written!]);
        } else figures.missed += 1;
        await appendFile(fifoOf(i), 'working\n');
      }
    };
    await Promise.all(Array.from({ length: STREAMS }, (_, s) => stream(s)));
  } finally {
    loop.disable();
    instance.unmount();
    feed.stop();
    ticker.stop();
    unsubscribe();
    unfollow();
    await fleet.close();
    stdout.terminal.dispose();
  }
  return { ...figures, loopDelayMaxMs: loop.max / 1e6, loopDelayP99Ms: loop.percentile(99) / 1e6, pollMs };
}

/** A duration in a fixed-width column. */
export const fmt = (n: number) => `${n.toFixed(0).padStart(6)} ms`;

async function main(): Promise<void> {
  const started = performance.now();
  const deadline = started + BUDGET_MS;
  console.log(`bench:attention — ${W} SSH workers (a private sshd each), one job each; RTT ${RTTS.join('/')} ms; poll interval ${POLL}`);
  console.log(`  ${SAMPLES} samples per RTT in ${STREAMS} streams, each trigger after a random wait over two poll periods`);
  console.log('  hook → store:  the job runs "$MISSION_CONTROL_STATE" waiting REASON → the fleet store has the job waiting with REASON');
  console.log('  hook → screen: … → the dashboard frame showing REASON, parsed by @xterm/headless (the real Ink tree, in-process)\n');
  const dir = await mkdtemp(join(tmpdir(), 'mc-bench-attention-'));
  const servers = await startServers(W);
  const proxies: FleetProxies[] = [];
  const fifoOf = (i: number) => join(stateDirOf(servers[i]!), 'jobs', `${i}-bench`, 'trigger');
  try {
    const defaults = [`  pollInterval: ${POLL}`];
    const direct = await writeFleetFiles(servers, dir, 0, servers.map((s) => s.port), defaults);
    await launchJobs(direct.configPath);
    console.log(`setup: ${W} sshd and ${W} launched jobs in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    console.log('  RTT  path              p50        p95        max    target p95 (poll + RTT + 20 ms)');
    for (const rtt of RTTS) {
      const proxied = await startProxiesInChild(servers, rtt);
      proxies.push(proxied);
      const files = rtt === 0 ? direct : await writeFleetFiles(servers, dir, rtt, proxied.ports, defaults);
      const f = await measure(files.configPath, fifoOf, deadline);
      const target = f.pollMs + rtt + 20;
      for (const [path, values] of [['hook → store ', f.store], ['hook → screen', f.screen]] as const) {
        const p95 = percentile(values, 95);
        console.log(
          `${String(rtt).padStart(5)}  ${path}  ${fmt(percentile(values, 50))}  ${fmt(p95)}  ${fmt(Math.max(...values))}  ${fmt(target)}  ${p95 <= target ? 'met' : 'NOT met'}`,
        );
      }
      const drawing = f.screen.map((screen, i) => screen - f.store[i]!);
      const step = (n: number) => f.steps.map((s) => s[n]!);
      console.log(`       store → screen  ${fmt(percentile(drawing, 50))}  ${fmt(percentile(drawing, 95))}  ${fmt(Math.max(...drawing))}`);
      console.log(
        `         of which p50/p95: frame ticker ${percentile(step(0), 50).toFixed(0)}/${percentile(step(0), 95).toFixed(0)} ms, ` +
          `Ink to the frame written ${percentile(step(1), 50).toFixed(0)}/${percentile(step(1), 95).toFixed(0)} ms, ` +
          `terminal parse ${percentile(step(2), 50).toFixed(0)}/${percentile(step(2), 95).toFixed(0)} ms`,
      );
      console.log(
        `       ${f.store.length} samples${f.missed ? `, ${f.missed} missed (not seen within ${SAMPLE_TIMEOUT_MS / 1000} s)` : ''}; ` +
          `poll interval ${f.pollMs} ms; event loop delay p99 ${f.loopDelayP99Ms.toFixed(1)} ms, max ${f.loopDelayMaxMs.toFixed(1)} ms`,
      );
      for (const p of proxies.splice(0)) await p.stop();
    }
    console.log(`\nthis machine: ${availableParallelism()} cores shared by all ${W} workers' sshd, tmux, scans and the dashboard`);
  } finally {
    for (const p of proxies) await p.stop();
    await stopJobs(servers, fifoOf).catch((error: unknown) => console.log(`stopping the jobs: ${String(error)}`));
    await stopServers(servers);
    await rm(dir, { recursive: true, force: true });
    console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; everything started was stopped`);
  }
}

// Run as a program (`npm run bench:attention`), not when another bench imports its harness.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
