/**
 * Builders for dashboard tests: jobs, workers and fleet states from fixture data (or from a recorded real scan),
 * a recording command layer that asserts exact calls, and a dashboard with a frozen clock.
 */
import { readFileSync } from 'node:fs';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FleetCommands, LaunchOutcome, LaunchRequest, ObserveCommands } from '../../src/app/commands.js';
import type { AttachCommand } from '../../src/providers/types.js';
import { parseScan } from '../../src/scanners/worker-scan/parse.js';
import type { JobTarget } from '../../src/state/job-target.js';
import { createFleetStore, type FleetState } from '../../src/state/store.js';
import type { Job, WorkerView } from '../../src/state/types.js';
import { createDashboard, type Dashboard, type DashboardAccess, type DashboardHost } from '../../src/ui/dashboard.js';
import { createFeedStore, type FeedState } from '../../src/ui/state/feed-store.js';
import { createClock } from '../../src/ui/state/throttled-store.js';
import { createUiStore } from '../../src/ui/state/ui-store.js';
import type { UiState } from '../../src/ui/state/ui-types.js';

/** The frozen "now" of every test: 2026-11-23 12:00:00 UTC. */
export const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

/** A job with sensible defaults: running `review pr=12` on `local`, output 5 s ago, in its state for 2 min. */
export function job(id: string, overrides: Partial<Job> = {}): Job {
  const worker = overrides.worker ?? 'local';
  const kind = overrides.kind ?? 'review';
  const what = Object.entries(overrides.params ?? { pr: '12' }).map(([name, value]) => `${name} ${value}`).join(' ');
  return {
    key: `${worker}/${id}`,
    id,
    worker,
    kind: 'review',
    params: { pr: '12' },
    command: ['gemini', '--prompt-interactive', `${kind} ${what}`],
    state: 'running',
    reason: 'output in the last minute',
    since: NOW - 120_000,
    exitCode: undefined,
    lastOutputAt: NOW / 1000 - 5,
    createdAt: NOW / 1000 - 600,
    session: { id: `$${id.length}`, name: `mc-${id}`, attached: 0 },
    paneId: `%${id.length}`,
    adhoc: false,
    clockSkew: 0,
    ...overrides,
  };
}

/** A worker that is up, with defaults. */
export function worker(name: string, overrides: Partial<WorkerView> = {}): WorkerView {
  return {
    name,
    provider: 'local',
    maxJobs: 4,
    pollIntervalMs: 2000,
    machine: { state: 'running' },
    connection: 'up',
    path: 'local',
    rttMs: 4,
    lastError: undefined,
    lastRefresh: NOW - 1000,
    scanMs: 12,
    failures: 0,
    host: { now: NOW / 1000, uptimeSeconds: 1000, load1: 0.5, load5: 0.4, load15: 0.3, cpus: 2 },
    container: undefined,
    tmuxError: undefined,
    problems: [],
    ...overrides,
  };
}

/** A fleet state from workers and jobs (each job under its worker, in the order given). */
export function fleetState(workers: readonly WorkerView[], jobs: readonly Job[], extra: Partial<FleetState> = {}): FleetState {
  const jobsByWorker: Record<string, Job[]> = {};
  for (const w of workers) jobsByWorker[w.name] = [];
  for (const j of jobs) (jobsByWorker[j.worker] ??= []).push(j);
  return {
    workerOrder: workers.map((w) => w.name),
    workers: Object.fromEntries(workers.map((w) => [w.name, w])),
    jobsByWorker,
    configErrors: [],
    configSource: '/home/user/.config/mission-control/config.yaml',
    readOnly: false,
    unmanagedVms: [],
    ...extra,
  };
}

/** A fleet store holding `state`; `setState` replaces it (as a refresh would). */
export function fleetSource(state: FleetState): StoreApi<FleetState> {
  return createStore<FleetState>()(() => state);
}

/** The usual small fleet: two workers and five jobs in every interesting state. */
export function smallFleet(): FleetState {
  return fleetState(
    [worker('local'), worker('gpu-1', { provider: 'ssh', path: 'direct', rttMs: 41 })],
    [
      job('12-review'),
      job('13-fix', { kind: 'fix', params: { pr: '13' }, state: 'idle', since: NOW - 30_000 }),
      job('14-ready', { kind: 'ready', params: { pr: '14' }, state: 'failed', exitCode: 3, session: undefined, paneId: undefined, since: NOW - 600_000 }),
      job('15-review', { worker: 'gpu-1', params: { pr: '15' }, state: 'idle', since: NOW - 900_000 }),
      job('7-implement', { worker: 'gpu-1', kind: 'implement', params: { issue: '7' }, state: 'exited', exitCode: 0, session: undefined, paneId: undefined }),
    ],
  );
}

/** `n` jobs spread over `workers` workers (the 5,000-job fleet of the benchmark and the virtualisation test). */
export function bigFleet(n: number, workers = 20): FleetState {
  const names = Array.from({ length: workers }, (_, i) => `w${String(i + 1).padStart(2, '0')}`);
  const states = ['running', 'running', 'idle', 'running', 'failed', 'exited'] as const;
  const jobs = Array.from({ length: n }, (_, i) =>
    job(`${1000 + i}-review`, { worker: names[i % workers] ?? 'w01', params: { pr: String(1000 + i) }, state: states[i % states.length] ?? 'running', since: NOW - (i % 600) * 1000 }),
  );
  return fleetState(
    names.map((name) => worker(name, { provider: 'ssh', path: 'direct' })),
    jobs,
  );
}

/** The fleet as a real scan of the hostile fixture world saw it (test/fixtures/scan/host-hostile.dash.txt). */
export function recordedHostileFleet(): FleetState {
  const text = readFileSync(new URL('../fixtures/scan/host-hostile.dash.txt', import.meta.url), 'utf8');
  const scan = parseScan(text, 'fixture0nonce0001');
  const store = createFleetStore();
  store.getState().setWorkers([{ name: 'local', provider: 'local', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' }], undefined);
  store.getState().refreshSucceeded('local', { scan, machine: { state: 'running' }, path: 'local', rttMs: 3, scanMs: 20, now: NOW });
  const { workerOrder, workers, jobsByWorker, configErrors, configSource, readOnly, unmanagedVms } = store.getState();
  return { workerOrder, workers, jobsByWorker, configErrors, configSource, readOnly, unmanagedVms };
}

/** One call made to the command layer; progress reporters show as `<progress>`. */
export interface Call {
  readonly name: string;
  readonly args: readonly unknown[];
}

/** Canned answers of the recording command layer. */
export interface Answers {
  capture?: (jobKey: string, lines: number) => Promise<string>;
  readLog?: (jobKey: string) => Promise<string>;
  readDiff?: (jobKey: string) => Promise<string>;
  containerLog?: (worker: string) => Promise<string>;
  launch?: (request: LaunchRequest) => Promise<LaunchOutcome>;
  stopJob?: (job: JobTarget) => Promise<void>;
}

function record(calls: Call[], name: string, args: readonly unknown[]): void {
  calls.push({ name, args: args.map((arg) => (typeof arg === 'function' ? '<progress>' : arg)).filter((arg) => arg !== undefined) });
}

/** Observing commands that record every call. */
export function recordingObserve(answers: Answers = {}): ObserveCommands & { readonly calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    refresh: (...args) => record(calls, 'refresh', args),
    attachCommand(jobKey): AttachCommand {
      record(calls, 'attachCommand', [jobKey]);
      return { argv: ['tmux', 'attach-session', '-t', jobKey] };
    },
    capture(jobKey, lines) {
      record(calls, 'capture', [jobKey, lines]);
      return answers.capture ? answers.capture(jobKey, lines) : Promise.resolve(`screen of ${jobKey}`);
    },
    readLog(jobKey, options) {
      record(calls, 'readLog', [jobKey, options]);
      return answers.readLog ? answers.readLog(jobKey) : Promise.resolve(`log of ${jobKey}`);
    },
    readDiff(jobKey) {
      record(calls, 'readDiff', [jobKey]);
      return answers.readDiff ? answers.readDiff(jobKey) : Promise.resolve(`diff of ${jobKey}`);
    },
    containerLog(worker) {
      record(calls, 'containerLog', [worker]);
      return answers.containerLog ? answers.containerLog(worker) : Promise.resolve(`log of ${worker}'s container`);
    },
  };
}

/** The full command layer, recording every call; mutating calls resolve at once unless answered otherwise. */
export function recordingCommands(answers: Answers = {}): FleetCommands & { readonly calls: Call[] } {
  const observe = recordingObserve(answers);
  const calls = observe.calls;
  const done = (name: string) => (...args: unknown[]) => {
    record(calls, name, args);
    return Promise.resolve();
  };
  return {
    ...observe,
    calls,
    launch(request, progress) {
      record(calls, 'launch', [request, progress]);
      progress?.('placing');
      return answers.launch ? answers.launch(request) : Promise.resolve({ jobKey: `local/${request.params['pr'] ?? 'x'}-${request.kind}`, worker: 'local', created: true, placement: 'local first' });
    },
    stopJob(target, progress) {
      record(calls, 'stopJob', [target, progress]);
      return answers.stopJob ? answers.stopJob(target) : Promise.resolve();
    },
    removeJob: done('removeJob'),
    sendToJob: done('sendToJob'),
    resumeJob: done('resumeJob'),
    provisionWorker: done('provisionWorker'),
    startWorker: done('startWorker'),
    stopWorker: done('stopWorker'),
    suspendWorker: done('suspendWorker'),
    rebuildWorker: done('rebuildWorker'),
  };
}

/** A host that records attach and quit requests. */
export function recordingHost(): DashboardHost & { readonly requests: string[] } {
  const requests: string[] = [];
  return { requests, attach: (jobKey) => requests.push(`attach ${jobKey}`), quit: () => requests.push('quit') };
}

/** Options of {@link testDashboard}. */
export interface TestDashboardOptions {
  readonly state?: FleetState;
  readonly access?: DashboardAccess;
  readonly wallboard?: boolean;
  readonly color?: boolean;
  readonly ui?: Partial<UiState>;
  readonly feeds?: Partial<FeedState>;
}

/** A dashboard over fixture data with a frozen clock, a recording host and (by default) recording full commands. */
export function testDashboard(options: TestDashboardOptions = {}): Dashboard & {
  readonly source: StoreApi<FleetState>;
  readonly requests: string[];
} {
  const source = fleetSource(options.state ?? smallFleet());
  const host = recordingHost();
  const dashboard = createDashboard({
    fleet: source,
    access: options.access ?? { readOnly: false, commands: recordingCommands() },
    host,
    wallboard: options.wallboard ?? false,
    color: options.color ?? true,
    ui: createUiStore(options.ui),
    clock: createClock(1000, NOW),
    feeds: createFeedStore(options.feeds),
  });
  return Object.assign(dashboard, { source, requests: host.requests });
}

/** The recorded calls of a dashboard's command layer. */
export function callsOf(dashboard: Dashboard): readonly Call[] {
  return (dashboard.observe as unknown as { calls: Call[] }).calls;
}
