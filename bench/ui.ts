/**
 * bench:ui — the dashboard's figures (printed, not asserted):
 *   1. frame time: a fleet update to the frame written, for the whole dashboard and for the jobs table alone, with
 *      50 and 5,000 jobs (Ink's render into a fake 120x40 terminal, unthrottled so the cost itself is measured);
 *   2. keypress to frame: `j`/`k` written to stdin until the frame is written, same fleets;
 *   3. time to first frame: the built binary started in a tmux pane until it reports its first frame;
 *   4. idle: the built binary left running against W SSH workers (private sshd each, S sessions each, 2 s poll):
 *      CPU (% of one core) and RSS sampled over IDLE_SECONDS;
 *   5. the first GCE call: the longest event-loop stall (a 10 ms interval timer's worst lateness, and
 *      perf_hooks' monitorEventLoopDelay) while a fresh process makes its first Compute API call, against the
 *      local Compute server: what the dashboard's frames and keys wait for when the first GCE status is read.
 *
 *   npm run bench:ui                        # quick: idle over 30 s
 *   IDLE_SECONDS=600 npm run bench:ui       # the 10-minute run the targets are about
 *   W=20 S=5 JOBS=50,5000 ITER=200 SKIP_IDLE=1 npm run bench:ui
 *   PROFILE_DIR=/tmp/prof npm run bench:ui  # a V8 CPU profile of the idle dashboard
 *   ONLY=gce npx tsx bench/ui.ts            # only 5 (no build needed)
 *
 * Needs `npm run build` first for 3 and 4 (`npm run bench:ui` builds). Everything it starts is stopped by pid,
 * private socket or temporary directory.
 */
import { execFile, execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { ReactElement } from 'react';
import type { FleetState } from '../src/state/store.js';
import type { Dashboard } from '../src/ui/dashboard.js';
import { bigFleet, testDashboard } from '../test/ui/fixtures.js';
import { startSshd, type TestSshd } from '../test/harness/sshd.js';
import { procFigures, startSessions } from './fleet.js';

// As the dashboard does (src/ui/run.ts): React's production build, chosen when React first loads.
process.env['NODE_ENV'] ??= 'production';
const { render } = await import('ink');
const { createElement } = await import('react');
const { App } = await import('../src/ui/App.js');
const { DashboardContext } = await import('../src/ui/hooks.js');
const { JobsTable } = await import('../src/ui/JobsTable.js');

const JOBS = (process.env['JOBS'] ?? '50,5000').split(',').map(Number);
const ITER = Number(process.env['ITER'] ?? 200);
const W = Number(process.env['W'] ?? 20);
const S = Number(process.env['S'] ?? 5);
const IDLE_SECONDS = Number(process.env['IDLE_SECONDS'] ?? 30);
const FIRST_FRAME_RUNS = Number(process.env['FIRST_FRAME_RUNS'] ?? 5);
const ROOT = new URL('../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'mission-control.js');

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

/** A terminal that resolves a promise on each frame. */
class FrameStdout extends EventEmitter {
  readonly columns = 120;
  readonly rows = 40;
  readonly isTTY = false;
  private waiting: (() => void) | undefined;
  frames = 0;
  write = (_frame: string) => {
    this.frames += 1;
    this.waiting?.();
    this.waiting = undefined;
    return true;
  };
  nextFrame(): Promise<void> {
    return new Promise((resolve) => (this.waiting = resolve));
  }
}

class KeyStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
  }
  read = (): string | null => {
    const { data } = this;
    this.data = null;
    return data;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

function mount(element: ReactElement) {
  const stdout = new FrameStdout();
  const stdin = new KeyStdin();
  const instance = render(element, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { stdout, stdin, instance };
}

/** A fleet update as a poll makes it: every job of one worker replaced by a new object. */
function touch(state: FleetState, round: number): FleetState {
  const worker = state.workerOrder[round % state.workerOrder.length] ?? '';
  const jobs = (state.jobsByWorker[worker] ?? []).map((job) => ({ ...job, lastOutputAt: (job.lastOutputAt ?? 0) + 1 }));
  return { ...state, jobsByWorker: { ...state.jobsByWorker, [worker]: jobs } };
}

async function frameTimes(dashboard: Dashboard & { source: { setState(state: FleetState, replace: true): void; getState(): FleetState } }, element: ReactElement) {
  const { stdout, instance } = mount(element);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const times: number[] = [];
  for (let i = 0; i < ITER; i += 1) {
    const frame = stdout.nextFrame();
    const started = performance.now();
    dashboard.source.setState(touch(dashboard.source.getState(), i), true);
    await frame;
    times.push(performance.now() - started);
  }
  instance.unmount();
  return times;
}

async function keyTimes(dashboard: Dashboard): Promise<number[]> {
  const { stdout, stdin, instance } = mount(createElement(App, { dashboard }));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const times: number[] = [];
  for (let i = 0; i < ITER; i += 1) {
    const frame = stdout.nextFrame();
    const started = performance.now();
    stdin.write(i % 20 < 10 ? 'j' : 'k');
    await frame;
    times.push(performance.now() - started);
  }
  instance.unmount();
  return times;
}

async function renderBench(): Promise<void> {
  console.log(`\n1-2. frames in a 120x40 terminal, ${ITER} updates each (p50 / p95 / max)`);
  for (const n of JOBS) {
    const fleet = bigFleet(n, Math.min(20, Math.max(1, Math.ceil(n / 10))));
    const whole = testDashboard({ state: fleet });
    const app = await frameTimes(whole, createElement(App, { dashboard: whole }));
    const alone = testDashboard({ state: fleet });
    const table = await frameTimes(alone, createElement(DashboardContext.Provider, { value: alone }, createElement(JobsTable, { width: 120, rows: 30 })));
    const keys = await keyTimes(testDashboard({ state: fleet }));
    const line = (label: string, t: number[]) =>
      console.log(`  ${String(n).padStart(5)} jobs  ${label.padEnd(28)} ${ms(percentile(t, 50))} / ${ms(percentile(t, 95))} / ${ms(Math.max(...t))}`);
    line('fleet update → frame (App)', app);
    line('fleet update → frame (table)', table);
    line('keypress → frame (j/k)', keys);
  }
  console.log('  (the running dashboard also caps frames at 10/s: a key pressed within 100 ms of the last frame waits for the rest of it)');
}

function tmux(socket: string, ...args: string[]): string {
  return execFileSync('tmux', ['-f', '/dev/null', '-S', socket, ...args], { encoding: 'utf8' });
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function firstFrameBench(): Promise<void> {
  console.log(`\n3. time to first frame: the built binary in a 120x40 tmux pane, ${FIRST_FRAME_RUNS} starts`);
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-ui-'));
  const socket = join(dir, 'tui.sock');
  const jobs = join(dir, 'jobs.sock');
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `workers:\n  - name: local\n    provider: local\n    tmuxSocket: ${jobs}\n    stateDir: ${join(dir, 'state')}\n`);
  try {
    tmux(jobs, 'new-session', '-d', '-s', 'mc-one', 'exec sleep 3600');
    const paints: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < FIRST_FRAME_RUNS; i += 1) {
      const ready = join(dir, `ready-${i}`);
      const started = performance.now();
      tmux(socket, 'new-session', '-d', '-s', `run${i}`, '-x', '120', '-y', '40', `exec env CI=false MC_TEST_READY_FILE=${ready} node ${BIN} --config ${config}`);
      await waitFor(() => tmux(socket, 'capture-pane', '-p', '-t', `run${i}`).includes('mission-control'), 10_000, 'the first paint');
      paints.push(performance.now() - started);
      await waitFor(() => existsSync(ready), 10_000, 'the first frame');
      times.push(performance.now() - started);
      tmux(socket, 'send-keys', '-t', `run${i}`, 'q');
    }
    const node = percentile(
      Array.from({ length: 5 }, () => {
        const started = performance.now();
        execFileSync('node', ['-e', '0']);
        return performance.now() - started;
      }),
      50,
    );
    console.log(`  spawn → first paint (the starting line): p50 ${ms(percentile(paints, 50))}, max ${ms(Math.max(...paints))}`);
    console.log(`  spawn → first dashboard frame:          p50 ${ms(percentile(times, 50))}, max ${ms(Math.max(...times))}`);
    console.log(`  (node -e 0 alone: ${ms(node)}; loading Ink is most of the rest, see the note in src/ui/run.ts)`);
  } finally {
    try {
      tmux(socket, 'kill-server');
    } catch {}
    try {
      tmux(jobs, 'kill-server');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
}

async function idleBench(): Promise<void> {
  console.log(`\n4. idle: the built dashboard against ${W} SSH workers x ${S} sessions at a 2 s poll, ${IDLE_SECONDS} s`);
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-idle-'));
  const socket = join(dir, 'tui.sock');
  const servers: TestSshd[] = [];
  try {
    for (let i = 0; i < W; i += 1) servers.push(await startSshd());
    await startSessions(servers, S);
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, servers.map((s, i) => `bench-w${i} ${s.hostPublicKey}\n`).join(''));
    const sshConfig = join(dir, 'ssh_config');
    writeFileSync(
      sshConfig,
      servers
        .map((s, i) => `Host w${i}\n  HostName 127.0.0.1\n  Port ${s.port}\n  User ${s.user}\n  IdentityFile ${s.clientKeyPath}\n  HostKeyAlias bench-w${i}\n  UserKnownHostsFile ${knownHosts}\n  StrictHostKeyChecking yes\n  BatchMode yes\n`)
        .join('\n'),
    );
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      ['defaults:', '  pollInterval: 2s', 'workers:', ...servers.flatMap((s, i) => [`  - name: w${i}`, '    provider: ssh', `    ssh: w${i}`, `    sshConfigFile: ${sshConfig}`, `    tmuxSocket: ${join(s.home, 'tmux.sock')}`, `    stateDir: ${join(s.home, 'state')}`])].join('\n'),
    );
    const profile = process.env['PROFILE_DIR'] ? `--cpu-prof --cpu-prof-dir=${process.env['PROFILE_DIR']} ` : '';
    tmux(socket, 'new-session', '-d', '-s', 'idle', '-x', '120', '-y', '40', `exec env CI=false node ${profile}${BIN} --config ${config}`);
    const pid = Number(tmux(socket, 'display-message', '-p', '-t', 'idle', '#{pane_pid}').trim());
    await waitFor(() => tmux(socket, 'capture-pane', '-p', '-t', 'idle').includes(`jobs ${W * S}`), 30_000, 'every worker scanned');
    const samples: { t: number; cpuMs: number; rssMb: number }[] = [];
    const started = performance.now();
    const every = Math.max(1, Math.min(10, IDLE_SECONDS / 10));
    while (performance.now() - started < IDLE_SECONDS * 1000) {
      samples.push({ t: performance.now(), ...procFigures(pid) });
      await new Promise((resolve) => setTimeout(resolve, every * 1000));
    }
    samples.push({ t: performance.now(), ...procFigures(pid) });
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const cpu = ((last.cpuMs - first.cpuMs) / (last.t - first.t)) * 100;
    const rss = samples.map((s) => s.rssMb);
    console.log(`  CPU ${cpu.toFixed(2)}% of one core (the dashboard process: render, ssh2, parsing)`);
    console.log(`  RSS first ${rss[0]?.toFixed(1)} MB, last ${rss.at(-1)?.toFixed(1)} MB, max ${Math.max(...rss).toFixed(1)} MB (${samples.length} samples)`);
    console.log(`  RSS every ${every} s: ${rss.map((mb) => mb.toFixed(0)).join(' ')}`);
    tmux(socket, 'send-keys', '-t', 'idle', 'q');
    await waitFor(() => !existsSync(`/proc/${pid}`), 10_000, 'the dashboard to quit');
  } finally {
    try {
      tmux(socket, 'kill-server');
    } catch {}
    for (const s of servers) {
      // Each worker's job sessions live on a tmux server of their own, inside the worker's directory.
      try {
        execFileSync('tmux', ['-f', '/dev/null', '-S', join(s.home, 'tmux.sock'), 'kill-server'], { stdio: 'ignore' });
      } catch {}
      await s.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const GCE_RUNS = Number(process.env['GCE_RUNS'] ?? 3);

/** The probe a fresh process runs: the first (and a second) Compute API call, the event loop watched throughout. */
const GCE_PROBE = `
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
const { ComputeApi } = await import(process.env.MC_ROOT + '/src/providers/gce/compute-api.ts');
// Pointed at the local server through the environment, so everything the first call loads is loaded inside the window.
const api = new ComputeApi();
const ref = { project: 'bench-project', zone: 'us-central1-a', instance: 'bench-vm' };
const histogram = monitorEventLoopDelay({ resolution: 10 });
let worst = 0;
let expected = performance.now() + 10;
const timer = setInterval(() => {
  const now = performance.now();
  worst = Math.max(worst, now - expected);
  expected = now + 10;
}, 10);
histogram.enable();
const started = performance.now();
await api.getInstance(ref);
const firstMs = performance.now() - started;
const again = performance.now();
await api.getInstance(ref);
const secondMs = performance.now() - again;
await new Promise((resolve) => setTimeout(resolve, 30));
histogram.disable();
clearInterval(timer);
console.log(JSON.stringify({ firstMs, secondMs, worstLatenessMs: worst, histogramMaxMs: histogram.max / 1e6 }));
`;

async function firstGceCallBench(): Promise<void> {
  console.log(`\n5. the first GCE call in a fresh process (local Compute server), ${GCE_RUNS} runs`);
  const { startComputeApi } = await import('../test/harness/compute-api.js');
  const fake = await startComputeApi();
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-gce-'));
  const probe = join(dir, 'probe.mts');
  writeFileSync(probe, GCE_PROBE);
  try {
    const runs: { firstMs: number; secondMs: number; worstLatenessMs: number; histogramMaxMs: number }[] = [];
    for (let i = 0; i < GCE_RUNS; i += 1) {
      // Asynchronously: the local Compute server answers from this process's event loop.
      const { stdout: output } = await promisify(execFile)(process.execPath, ['--import', 'tsx', probe], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, MC_ROOT: ROOT.replace(/\/$/, ''), MISSION_CONTROL_COMPUTE_EMULATOR: fake.url },
      });
      runs.push(JSON.parse(output.trim().split('\n').at(-1)!));
    }
    const line = (label: string, values: number[]) => console.log(`  ${label.padEnd(44)} p50 ${ms(percentile(values, 50))}, max ${ms(Math.max(...values))}`);
    line('longest stall (10 ms timer, worst lateness)', runs.map((r) => r.worstLatenessMs));
    line('longest stall (monitorEventLoopDelay max)', runs.map((r) => r.histogramMaxMs));
    line('first call (loads the transport)', runs.map((r) => r.firstMs));
    line('second call', runs.map((r) => r.secondMs));
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`bench:ui — node ${process.version}`);
  if (process.env['ONLY'] === 'gce') return firstGceCallBench();
  await renderBench();
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    console.log('\n3-4 skipped: run `npm run build` first');
    return;
  }
  if (FIRST_FRAME_RUNS > 0) await firstFrameBench();
  if (process.env['SKIP_IDLE'] !== '1') await idleBench();
  if (GCE_RUNS > 0) await firstGceCallBench();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
