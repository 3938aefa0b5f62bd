/**
 * One worker in full, as `mission-control status WORKER` prints it and the dashboard's preview shows it when the
 * workers pane is focused (like k9s' describe): the whole last error wrapped, the connection path and target, the
 * machine and container state, the container's last log lines, cost, jobs (sessions started by hand apart) and
 * problems. Pure; every remote string is sanitized here.
 */
import { CONTAINER_LOG_LINES, type ContainerLog } from '../app/container-log.js';
import type { WorkerConfig } from '../config/schema.js';
import { formatHourly } from '../providers/gce/pricing.js';
import type { CostSoFar } from '../state/ledger.js';
import { countsTowardMaxJobs, isLiveState, workerCostPerHour } from '../state/selectors.js';
import type { Job, WorkerView } from '../state/types.js';
import { idleLabel, workerIdle } from '../state/idle.js';
import { formatAge, formatMs } from '../text/format.js';
import { sanitizeLine } from '../text/sanitize.js';
import { formatCostSoFar, workerStateLabel } from './status-report.js';


/** What {@link workerDetailLines} describes. */
export interface WorkerDetailInput {
  readonly worker: WorkerView;
  readonly jobs: readonly Job[];
  /** The worker's config entry, for where it is (absent when it left the config). */
  readonly config?: WorkerConfig | undefined;
  readonly containerLog?: ContainerLog | undefined;
  /** The worker's cost so far today and this month, from the cost ledger. */
  readonly costSoFar?: CostSoFar | undefined;
  /** Why the cost ledger could not be read (naming its file). */
  readonly costError?: string | undefined;
  /** Milliseconds since epoch. */
  readonly now: number;
  /** Columns to wrap long texts at. */
  readonly width: number;
}

/** The worker described as lines of text, each at most `width` columns, sanitized. */
export function workerDetailLines(input: WorkerDetailInput): string[] {
  const { worker: w, jobs, config, now } = input;
  const width = Math.max(20, input.width);
  const lines: string[] = [];
  const field = (label: string, value: string) => lines.push(...wrap(`${label.padEnd(11)}${sanitizeLine(value)}`, width, 11));
  field('Worker', `${w.name} (${w.provider})`);
  field('State', `${workerStateLabel(w)}${w.machine ? `; machine ${w.machine.state}${w.machine.detail ? ` (${w.machine.detail})` : ''}` : ''}`);
  field('Connection', `${w.path ?? 'not connected yet'}${config ? ` to ${target(config)}` : ''}`);
  const seen = w.lastRefresh === undefined ? 'never scanned' : `last scan ${formatAge((now - w.lastRefresh) / 1000)} ago (took ${formatMs(w.scanMs)})`;
  field('Round trip', `${formatMs(w.rttMs)}; ${seen}${w.failures > 0 ? `; ${w.failures} failed in a row` : ''}`);
  if (w.host) {
    const load = [w.host.load1, w.host.load5, w.host.load15].map((l) => (l === undefined ? '-' : l.toFixed(2))).join(' ');
    field('Host', `load ${load}; up ${formatAge(w.host.uptimeSeconds)}`);
  }
  const live = countsTowardMaxJobs(jobs);
  const byHand = jobs.filter((job) => job.adhoc);
  const byHandLive = byHand.filter((job) => isLiveState(job.state)).length;
  const handText = byHand.length > 0 ? `; ${byHand.length} session${byHand.length === 1 ? '' : 's'} started by hand (${byHandLive} live, not counted)` : '';
  field('Jobs', `${live}/${w.maxJobs} live of ${jobs.length - byHand.length}${handText}`);
  if (w.idle) field('Idle', idleText(w, jobs, now));
  if (w.cost) {
    const rates = w.rates ? `; running ${formatHourly(w.rates.running ?? undefined)}, suspended ${formatHourly(w.rates.suspended ?? undefined)}, stopped ${formatHourly(w.rates.stopped ?? undefined)}` : '';
    field('Cost', `${formatHourly(workerCostPerHour(w))} now (estimate)${rates}`);
    // What it has cost so far is in the ledger only for cloud workers: the other kinds cost nothing extra.
    if (input.costSoFar) field('Spent', `${formatCostSoFar(input.costSoFar)} (local time, from the cost ledger)`);
    else field('Spent', input.costError ? `unknown: ${input.costError}` : 'nothing recorded yet in the cost ledger');
  }
  if (w.container) {
    const c = w.container;
    const state = !c.exists ? 'missing' : `${c.status ?? (c.running ? 'running' : 'stopped')}${c.startedAt ? `, started ${c.startedAt}` : ''}`;
    field('Container', `${c.name}: ${state}${c.image ? `; image ${c.image}` : ''}${c.error ? `; docker: ${c.error}` : ''}`);
  } else if (config?.container) {
    field('Container', `${config.container.name}: not seen yet`);
  }
  if (w.tmuxError) field('tmux', w.tmuxError);
  if (w.lastError) {
    lines.push('Last error:');
    lines.push(...wrap(sanitizeLine(w.lastError), width, 2, '  '));
  }
  if (w.problems.length > 0) {
    lines.push(`Problems (${w.problems.length}):`);
    for (const problem of w.problems) lines.push(...wrap(sanitizeLine(problem), width, 2, '  '));
  }
  if (input.containerLog) {
    const log = input.containerLog;
    lines.push(`Container log (last ${CONTAINER_LOG_LINES} lines):`);
    if ('error' in log) lines.push(...wrap(`could not read it: ${sanitizeLine(log.error)}`, width, 2, '  '));
    else if (log.lines.length === 0) lines.push('  (empty)');
    else for (const line of log.lines) lines.push(...wrap(sanitizeLine(line), width, 2, '  '));
  }
  return lines;
}

/** The idle policy and the countdown: `suspends in 12m (no output); policy: suspend after 30m, waiting jobs 2h00m`. */
function idleText(w: WorkerView, jobs: readonly Job[], now: number): string {
  const policy = w.idle;
  if (!policy) return '';
  const verdict = workerIdle(w, jobs, now);
  const state = verdict ? `${idleLabel(verdict, now)}${verdict.kind === 'idle' ? ` (${verdict.reason})` : ''}` : 'not running';
  return `${state}; policy: ${policy.action} after ${formatAge(policy.afterMs / 1000)}, waiting jobs ${formatAge(policy.waitingAfterMs / 1000)}`;
}

/** Where the config says the worker is. */
function target(config: WorkerConfig): string {
  if (config.provider === 'local') return 'this machine';
  if (config.provider === 'ssh') {
    const ssh = config.ssh;
    if ('alias' in ssh) return `ssh alias ${ssh.alias} (host, port and user from ${config.sshConfigFile ?? '~/.ssh/config'})`;
    return `${ssh.user ? `${ssh.user}@` : ''}${ssh.host}${ssh.port ? ` port ${ssh.port}` : ''}`;
  }
  if (config.provider === 'docker') return `container ${config.container.name} of image ${config.image} on ${config.dockerHost ?? 'this machine'}`;
  return `VM ${config.instance} in ${config.project}/${config.zone} (${config.machineType})`;
}

/** `text` cut into lines of `width` columns; lines after the first start with `indent` spaces (or `first` on all). */
function wrap(text: string, width: number, indent: number, first = ''): string[] {
  const lines: string[] = [];
  let rest = first + text;
  const pad = ' '.repeat(indent);
  while ([...rest].length > width) {
    const chars = [...rest];
    let cut = chars.lastIndexOf(' ', width);
    if (cut <= indent) cut = width;
    lines.push(chars.slice(0, cut).join('').trimEnd());
    rest = pad + chars.slice(cut).join('').trimStart();
  }
  lines.push(rest);
  return lines;
}
