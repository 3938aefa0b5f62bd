import { countsTowardMaxJobs, selectAllJobs, selectWorkers, summarizeFleet, workerCostPerHour, type FleetSummary } from '../state/selectors.js';
import { jobLabel } from '../state/job-target.js';
import type { CostSoFar } from '../state/ledger.js';
import type { FleetState } from '../state/store.js';
import type { Job, WorkerView } from '../state/types.js';
import { formatHourly } from '../providers/gce/pricing.js';
import { idleLabel, workerIdle } from '../state/idle.js';
import { formatAge, formatMs, pad } from '../text/format.js';
import { sanitizeLine } from '../text/sanitize.js';

/** The version of the `status --json` schema (docs/status-json.md). Bumped only on incompatible changes. */
export const STATUS_SCHEMA_VERSION = 2;

/** `status --json`: documented in docs/status-json.md. */
export interface StatusJson {
  readonly schemaVersion: number;
  readonly generatedAt: string;
  readonly config: string | null;
  readonly summary: FleetSummary['workers'] & {
    readonly jobs: FleetSummary['jobs'];
    readonly costPerHour: number;
    readonly unpricedWorkers: number;
    /** The fleet's cost so far today and this month (local calendar), from the cost ledger; null without one. */
    readonly costSoFar: StatusCostSoFar | null;
    /** Why the cost ledger could not be read, naming its file; null when it could. */
    readonly costError: string | null;
  };
  readonly workers: readonly StatusWorker[];
  readonly jobs: readonly StatusJob[];
  /** Worker VMs found in the configured cloud projects that the config does not name. */
  readonly unmanagedVms: readonly { project: string; zone: string; instance: string; machine: string; machineType: string }[];
}

/** Cost so far in `status --json`. */
interface StatusCostSoFar {
  readonly currency: string;
  readonly today: number;
  readonly month: number;
  /** Stretches of this month whose price is unknown (not in the sums). */
  readonly unpricedIntervals: number;
}

interface StatusWorker {
  readonly name: string;
  readonly provider: string;
  readonly connection: string;
  readonly machine: string | null;
  readonly machineDetail: string | null;
  readonly path: string | null;
  readonly rttMs: number | null;
  readonly scanMs: number | null;
  readonly lastRefresh: string | null;
  readonly lastError: string | null;
  readonly load1: number | null;
  readonly cpus: number | null;
  readonly container: { name: string; exists: boolean; status: string | null; running: boolean; error: string | null } | null;
  readonly jobs: number;
  readonly maxJobs: number;
  /** What the last successful scan could not read or did not trust, in short texts. */
  readonly problems: readonly string[];
  readonly costPerHour: number | null;
  /** This worker's cost so far (GCE workers in the cost ledger); null otherwise. */
  readonly costSoFar: StatusCostSoFar | null;
  readonly costEstimate: {
    currency: string;
    runningPerHour: number | null;
    stoppedPerHour: number;
    source: string;
    note: string | null;
  } | null;
  /** The idle policy and where the worker stands with it; null when it has no policy. */
  readonly idle: StatusIdle | null;
}

/** A worker's idle policy in `status --json`, and its countdown or what keeps it up (null when it is not running). */
interface StatusIdle {
  readonly action: string;
  readonly afterMs: number;
  readonly waitingAfterMs: number;
  /** When the worker will be suspended or stopped (ISO), if nothing changes. */
  readonly deadline: string | null;
  /** Why it is kept up ("build-7 running"), when something keeps it up. */
  readonly keptUpBy: string | null;
  /** "suspends in 12m", "kept up: build-7 running". */
  readonly label: string | null;
}

/** A worker's idle state for `status --json`. */
function statusIdle(state: FleetState, w: WorkerView, now: number): StatusIdle | null {
  if (!w.idle) return null;
  const verdict = workerIdle(w, state.jobsByWorker[w.name] ?? [], now);
  return {
    action: w.idle.action,
    afterMs: w.idle.afterMs,
    waitingAfterMs: w.idle.waitingAfterMs,
    deadline: verdict?.kind === 'idle' ? iso(verdict.deadline) : null,
    keptUpBy: verdict?.kind === 'kept-up' ? verdict.reason : null,
    label: verdict ? idleLabel(verdict, now) : null,
  };
}

/** One job in `status --json` and `jobs --json` (the same object in both). */
export interface StatusJob {
  readonly worker: string;
  readonly id: string;
  /** `worker/id`: what `stop`, `logs` and the other job commands take. */
  readonly key: string;
  readonly kind: string;
  /** The agent preset the job was launched with, if any. */
  readonly agent: string | null;
  /** Times the job was resumed in place; 0 when never. */
  readonly resumeCount: number;
  readonly state: string;
  readonly reason: string;
  readonly exitCode: number | null;
  readonly stateSince: string;
  readonly lastOutputAt: string | null;
  readonly createdAt: string | null;
  readonly session: string | null;
  readonly sessionId: string | null;
  readonly command: readonly string[];
  readonly params: Readonly<Record<string, string>>;
  readonly adhoc: boolean;
}

/** A time as ISO 8601; null when unknown or out of Date's range (a worker can report any mtime or clock). */
const iso = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15 ? null : new Date(ms).toISOString());
const round = (n: number | undefined) => (n === undefined ? null : Math.round(n * 10) / 10);

/** Builds the `status --json` document from the store's state. */
export function statusJson(state: FleetState, now = Date.now()): StatusJson {
  const summary = summarizeFleet(state);
  return {
    schemaVersion: STATUS_SCHEMA_VERSION,
    generatedAt: new Date(now).toISOString(),
    config: state.configSource ?? null,
    summary: {
      ...summary.workers,
      jobs: summary.jobs,
      costPerHour: summary.costPerHour,
      unpricedWorkers: summary.unpriced,
      costSoFar: costJson(state, state.costSoFar?.fleet),
      costError: state.costError ?? null,
    },
    workers: selectWorkers(state).map((w) => ({
      name: w.name,
      provider: w.provider,
      connection: w.connection,
      machine: w.machine?.state ?? null,
      machineDetail: w.machine?.detail ?? null,
      path: w.path ?? null,
      rttMs: round(w.rttMs),
      scanMs: round(w.scanMs),
      lastRefresh: iso(w.lastRefresh),
      lastError: w.lastError ?? null,
      load1: w.host?.load1 ?? null,
      cpus: w.host?.cpus ?? null,
      container: w.container
        ? {
            name: w.container.name,
            exists: w.container.exists,
            status: w.container.status ?? null,
            running: w.container.running,
            error: w.container.error ?? null,
          }
        : null,
      jobs: (state.jobsByWorker[w.name] ?? []).length,
      maxJobs: w.maxJobs,
      problems: w.problems,
      costPerHour: workerCostPerHour(w) ?? null,
      costSoFar: costJson(state, state.costSoFar?.workers[w.name]),
      costEstimate: w.cost
        ? {
            currency: w.cost.currency,
            runningPerHour: w.cost.runningPerHour ?? null,
            stoppedPerHour: w.cost.stoppedPerHour,
            source: w.cost.source,
            note: w.cost.note ?? null,
          }
        : null,
      idle: statusIdle(state, w, now),
    })),
    unmanagedVms: state.unmanagedVms.map((vm) => ({
      project: vm.project,
      zone: vm.zone,
      instance: vm.instance,
      machine: vm.machine.state,
      machineType: vm.machineType,
    })),
    jobs: selectAllJobs(state).map((j) => statusJob(j, now)),
  };
}

function costJson(state: FleetState, cost: CostSoFar | undefined): StatusCostSoFar | null {
  if (!cost || !state.costSoFar) return null;
  return { currency: state.costSoFar.currency, today: cost.today, month: cost.month, unpricedIntervals: cost.unpriced };
}

/** `$0.35 today, $4.20 this month`. */
export function formatCostSoFar(cost: CostSoFar): string {
  return `$${cost.today.toFixed(2)} today, $${cost.month.toFixed(2)} this month${cost.unpriced > 0 ? ` (+${cost.unpriced} unpriced)` : ''}`;
}

/** The lines under the workers table: the fleet's cost so far, then each worker's (or why it is unknown). */
function costSoFarLines(state: FleetState): string[] {
  const lines: string[] = [];
  const cost = state.costSoFar;
  if (cost) {
    lines.push(`Cost so far (local time): ${formatCostSoFar(cost.fleet)}`);
    for (const name of state.workerOrder) {
      const own = cost.workers[name];
      if (own) lines.push(`  ${pad(sanitizeLine(name), 14)} ${formatCostSoFar(own)}`);
    }
  }
  if (state.costError) lines.push(`Cost so far unknown: ${sanitizeLine(state.costError)}`);
  return lines;
}

/** A job as `status --json` and `jobs --json` print it (docs/status-json.md). */
export function statusJob(j: Job, now = Date.now()): StatusJob {
  return {
    worker: j.worker,
    id: j.id,
    key: j.key,
    kind: j.kind,
    agent: j.agent ?? null,
    resumeCount: j.resumeCount ?? 0,
    state: j.state,
    reason: j.reason,
    exitCode: j.exitCode ?? null,
    // Times a worker reports out of Date's range are null rather than a crash of the whole document.
    stateSince: iso(j.since) ?? new Date(now).toISOString(),
    lastOutputAt: j.lastOutputAt === undefined ? null : iso((j.lastOutputAt - j.clockSkew) * 1000),
    createdAt: j.createdAt === undefined ? null : iso(j.createdAt * 1000),
    session: j.session?.name ?? null,
    sessionId: j.session?.id ?? null,
    command: j.command,
    params: j.params,
    adhoc: j.adhoc,
  };
}

/** A job's state as a person reads it: `failed (exit 3)`. */
export function jobStateLabel(job: Job): string {
  return job.state === 'failed' && job.exitCode !== undefined ? `failed (exit ${job.exitCode})` : job.state;
}

/** A worker's state as a person reads it. */
export function workerStateLabel(worker: WorkerView): string {
  // A worker put to sleep (or a Spot VM GCE stopped) cannot be reached for a known reason: its state says which.
  if (worker.machine?.state === 'suspending' || worker.machine?.state === 'suspended') return worker.machine.state;
  if (worker.machine?.detail === 'preempted') return 'stopped';
  if (worker.connection === 'down') return 'unreachable';
  if (worker.connection === 'connecting') return 'connecting';
  if (worker.container && !worker.container.running) {
    return worker.container.exists ? `container ${sanitizeLine(worker.container.status ?? 'stopped')}` : 'container missing';
  }
  return worker.machine?.state === 'running' || worker.machine === undefined ? 'up' : worker.machine.state;
}

/** Problems shown per worker in the `status` table; the rest are counted (all are in `status --json`). */
const PROBLEMS_SHOWN = 3;

/** The workers' problems under the workers table: `problems on box (2):` then one indented line each. */
function problemLines(workers: readonly WorkerView[]): string[] {
  const lines: string[] = [];
  for (const w of workers) {
    if (w.problems.length === 0) continue;
    lines.push(`problems on ${sanitizeLine(w.name)} (${w.problems.length}):`);
    for (const problem of w.problems.slice(0, PROBLEMS_SHOWN)) lines.push(`  ${sanitizeLine(problem)}`);
    if (w.problems.length > PROBLEMS_SHOWN) lines.push(`  … ${w.problems.length - PROBLEMS_SHOWN} more: mission-control status --json`);
  }
  return lines;
}

/** One line per running worker with an idle policy: `idle: gcli-worker suspends in 12m (no output)`. */
function idleLines(state: FleetState, workers: readonly WorkerView[], now: number): string[] {
  const lines: string[] = [];
  for (const w of workers) {
    const verdict = workerIdle(w, state.jobsByWorker[w.name] ?? [], now);
    if (!verdict) continue;
    const why = verdict.kind === 'idle' ? ` (${verdict.reason})` : '';
    lines.push(`idle: ${sanitizeLine(w.name)} ${sanitizeLine(idleLabel(verdict, now))}${sanitizeLine(why)}`);
  }
  return lines;
}

/** The plain-text tables `status` prints. Every remote string is sanitized. */
export function statusTable(state: FleetState, now = Date.now(), width = 120): string {
  const lines: string[] = [];
  const workers = selectWorkers(state);
  lines.push(
    [pad('WORKER', 14), pad('PROVIDER', 9), pad('STATE', 18), pad('PATH', 13), pad('RTT', 6, 'right'), pad('LOAD', 5, 'right'), pad('JOBS', 7, 'right'), '  LAST ERROR'].join(' '),
  );
  const priced = workers.some((w) => w.cost);
  if (priced) lines[0] = lines[0]!.replace('  LAST ERROR', `${pad('COST', 9, 'right')}  LAST ERROR`);
  for (const w of workers) {
    const jobs = countsTowardMaxJobs(state.jobsByWorker[w.name] ?? []);
    const row = [
      pad(sanitizeLine(w.name), 14),
      pad(w.provider, 9),
      pad(workerStateLabel(w), 18),
      pad(w.path ?? '-', 13),
      pad(formatMs(w.rttMs), 6, 'right'),
      pad(w.host?.load1 === undefined ? '-' : w.host.load1.toFixed(2), 5, 'right'),
      pad(`${jobs}/${w.maxJobs}`, 7, 'right'),
      ...(priced ? [pad(w.cost ? formatHourly(workerCostPerHour(w)) : '-', 9, 'right')] : []),
      `  ${w.lastError ? sanitizeLine(w.lastError) : ''}`,
    ].join(' ');
    lines.push(row.trimEnd());
  }
  for (const vm of state.unmanagedVms) {
    lines.push(
      `${pad(sanitizeLine(vm.instance), 14)} ${pad('gce', 9)} ${pad(`${vm.machine.state} (not in config)`, 18)} ${sanitizeLine(`${vm.project}/${vm.zone}`)}`,
    );
  }
  lines.push(...problemLines(workers), ...idleLines(state, workers, now));
  if (priced) {
    const { costPerHour, unpriced } = summarizeFleet(state);
    lines.push(`Fleet cost now: ${formatHourly(costPerHour)} (estimate${unpriced > 0 ? `; ${unpriced} worker${unpriced === 1 ? '' : 's'} cost unknown` : ''})`);
  }
  lines.push(...costSoFarLines(state));
  const jobs = selectAllJobs(state);
  lines.push('');
  if (jobs.length === 0) {
    lines.push('No jobs.');
  } else {
    const fixed = 14 + 24 + 10 + 18 + 7 + 7 + 6;
    const commandWidth = Math.max(10, width - fixed);
    lines.push([pad('WORKER', 14), pad('JOB', 24), pad('KIND', 10), pad('STATE', 18), pad('FOR', 7), pad('OUTPUT', 7), 'COMMAND'].join(' '));
    for (const j of jobs) {
      const outputAge = j.lastOutputAt === undefined ? undefined : (now / 1000 + j.clockSkew) - j.lastOutputAt;
      lines.push(
        [
          pad(sanitizeLine(j.worker), 14),
          pad(sanitizeLine(jobLabel(j)), 24),
          pad(sanitizeLine(j.kind), 10),
          pad(jobStateLabel(j), 18),
          pad(formatAge((now - j.since) / 1000), 7),
          pad(formatAge(outputAge), 7),
          pad(sanitizeLine(j.command.join(' ')), commandWidth),
        ]
          .join(' ')
          .trimEnd(),
      );
    }
  }
  return lines.join('\n');
}
