/**
 * The confirmation dialogs of dangerous actions, as data: exactly which jobs or worker, and what will happen to
 * them. Pure, so tests assert the exact text.
 */
import type { ApproveAnswer } from '../../app/approve.js';
import { describeBudgetFigures, type BudgetFigures } from '../../app/budget.js';
import { describeTarget, targetOf } from '../../state/job-target.js';
import { isGceKind } from '../../providers/types.js';
import { isLiveState } from '../../state/selectors.js';
import type { Job, WorkerView } from '../../state/types.js';
import { sanitizeLine } from '../../text/sanitize.js';
import type { ConfirmRequest, PendingAction } from '../state/ui-types.js';

/** At most this many jobs are listed one per line; the rest are counted. */
export const LISTED_JOBS = 8;

// A job whose state is unknown (its worker is down, say) may still run: dialogs count it as live.
const live = (job: Job) => isLiveState(job.state) || job.state === 'unknown';

function describeJob(job: Job): string {
  const params = Object.entries(job.params)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const what = [job.kind, params].filter((part) => part !== '').join(' ');
  return sanitizeLine(`${describeTarget(targetOf(job))}  ${job.state}  ${what}`.trimEnd());
}

function listJobs(jobs: readonly Job[]): string[] {
  const lines = jobs.slice(0, LISTED_JOBS).map((job) => `  ${describeJob(job)}`);
  if (jobs.length > LISTED_JOBS) lines.push(`  … and ${jobs.length - LISTED_JOBS} more`);
  return lines;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The stop dialog, or a reason there is nothing to stop. Jobs that already ended are left out and said so. */
export function stopRequest(targets: readonly Job[]): ConfirmRequest | string {
  const stoppable = targets.filter(live);
  const ended = targets.filter((job) => !live(job));
  if (stoppable.length === 0) {
    return targets.length === 1 ? `nothing to stop: ${sanitizeLine(targets[0]?.key ?? '')} has already ended` : 'nothing to stop: every marked job has already ended';
  }
  const lines = [...listJobs(stoppable), 'Each job is interrupted (ctrl-c), then killed if it has not ended after a grace period.'];
  if (ended.length > 0) lines.push(`Left alone (already ended): ${ended.map((job) => sanitizeLine(job.key)).join(', ')}`);
  return {
    title: stoppable.length === 1 ? `Stop job ${sanitizeLine(stoppable[0]?.key ?? '')}?` : `Stop ${plural(stoppable.length, 'job')}?`,
    lines,
    confirmLabel: `stop ${plural(stoppable.length, 'job')}`,
    action: { type: 'stop-jobs', jobs: stoppable.map(targetOf) },
  };
}

/** The remove dialog. */
export function removeRequest(targets: readonly Job[]): ConfirmRequest | string {
  if (targets.length === 0) return 'nothing to remove: no job selected';
  const running = targets.filter(live);
  const lines = [...listJobs(targets), "Kills each job's tmux session and removes its worktree; its logs are kept."];
  if (running.length > 0) lines.push(`Still running, ended without a grace period: ${running.map((job) => sanitizeLine(job.key)).join(', ')}`);
  const byHand = targets.filter((job) => job.adhoc);
  if (byHand.length > 0) lines.push(`Started by hand, only the session ends (no record or worktree is touched): ${byHand.map((job) => sanitizeLine(job.key)).join(', ')}`);
  return {
    title: targets.length === 1 ? `Remove job ${sanitizeLine(targets[0]?.key ?? '')}?` : `Remove ${plural(targets.length, 'job')}?`,
    lines,
    confirmLabel: `remove ${plural(targets.length, 'job')}`,
    action: { type: 'remove-jobs', jobs: targets.map(targetOf) },
  };
}

/**
 * The approve dialog of a waiting job: what it asks, and the keys its agent's allow-once answer sends; or why it
 * cannot be approved from here.
 */
export function approveRequest(job: Job, answer: ApproveAnswer | undefined): ConfirmRequest | string {
  const name = sanitizeLine(job.key);
  if (job.state !== 'waiting') return `nothing to approve: ${name} is not waiting for an answer`;
  if (!answer || answer.keys.length === 0) {
    const agent = job.agent === undefined ? 'it names no agent' : `no approve answer is known for agent ${sanitizeLine(job.agent)}`;
    return `cannot approve ${name}: ${agent}; press i to reply, or enter to attach`;
  }
  return {
    title: `Approve ${name}?`,
    lines: [`  ${sanitizeLine(job.reason)}`, `Sends ${answer.keys.map(sanitizeLine).join(' ')} to its pane (${sanitizeLine(job.agent ?? '')}: allow once).`],
    confirmLabel: `approve ${name}`,
    action: { type: 'approve-job', job: targetOf(job), keys: answer.keys, asked: job.reason },
  };
}

/** The provision dialog. */
export function provisionRequest(worker: WorkerView): ConfirmRequest {
  const name = sanitizeLine(worker.name);
  return {
    title: `Provision worker ${name}?`,
    lines: [`Creates the ${worker.provider} machine of worker ${name} and waits until it is ready for jobs.`],
    confirmLabel: `provision ${name}`,
    action: { type: 'provision-worker', worker: worker.name },
  };
}

/** The rebuild dialog: says the machine and everything on it go, naming the live jobs that go with it. */
export function rebuildRequest(worker: WorkerView, jobs: readonly Job[]): ConfirmRequest {
  const name = sanitizeLine(worker.name);
  const alive = jobs.filter(live);
  // A docker worker's worktrees and records live in directories mounted from this machine: only the container goes.
  const lines =
    worker.provider === 'docker'
      ? [`Removes the container of worker ${name}, then creates it again from its image.`, 'Worktrees, logs and job records in its mounted directories stay.']
      : [`Deletes the ${worker.provider} machine of worker ${name} with its boot disk, then provisions it again.`, 'Worktrees, logs and job records on that disk are lost.'];
  if (alive.length > 0) lines.push(`${plural(alive.length, 'live job')} ${alive.length === 1 ? 'ends' : 'end'} with it:`, ...listJobs(alive));
  return {
    title: `Rebuild worker ${name}?`,
    lines,
    confirmLabel: `rebuild ${name}`,
    action: { type: 'rebuild-worker', worker: worker.name },
  };
}

/**
 * The suspend dialog of a GCE worker (its live jobs pause with it and carry on when it is started again), or why
 * it cannot be suspended now.
 */
export function suspendRequest(worker: WorkerView, jobs: readonly Job[]): ConfirmRequest | string {
  const name = sanitizeLine(worker.name);
  if (!isGceKind(worker.provider)) return `cannot suspend ${name}: only GCE workers can be suspended (it is ${worker.provider})`;
  const state = worker.machine?.state;
  if (state === 'suspended' || state === 'suspending') return `nothing to suspend: ${name} is already ${state}`;
  if (state !== undefined && state !== 'running' && state !== 'unknown') {
    return `cannot suspend ${name}: its VM is ${state}, and only a running VM can be suspended`;
  }
  const alive = jobs.filter(live);
  const lines = [`Suspends the ${worker.provider} VM of worker ${name}: its memory is kept and compute billing stops (its disk is still billed).`];
  if (alive.length > 0) lines.push(`${plural(alive.length, 'live job')} ${alive.length === 1 ? 'pauses with it and carries on' : 'pause with it and carry on'} after a start (S, a launch or an attach):`, ...listJobs(alive));
  else lines.push('No live job runs on it; a start (S, a launch or an attach) resumes it.');
  return {
    title: `Suspend worker ${name}?`,
    lines,
    confirmLabel: `suspend ${name}`,
    action: { type: 'suspend-worker', worker: worker.name },
  };
}

/** The start or stop dialog: stop when the machine runs (listing the live jobs that stop with it), else start. */
export function startStopRequest(worker: WorkerView, jobs: readonly Job[]): ConfirmRequest {
  const name = sanitizeLine(worker.name);
  const running = worker.machine?.state === 'running' || worker.machine?.state === 'starting';
  if (!running) {
    return {
      title: `Start worker ${name}?`,
      lines: [`Starts the ${worker.provider} machine of worker ${name} (now ${worker.machine?.state ?? 'unknown'}).`],
      confirmLabel: `start ${name}`,
      action: { type: 'start-worker', worker: worker.name },
    };
  }
  const alive = jobs.filter(live);
  const lines = [`Stops the ${worker.provider} machine of worker ${name}.`];
  if (alive.length > 0) lines.push(`${plural(alive.length, 'live job')} ${alive.length === 1 ? 'stops' : 'stop'} with it:`, ...listJobs(alive));
  else lines.push('No live job runs on it.');
  return {
    title: `Stop worker ${name}?`,
    lines,
    confirmLabel: `stop ${name}`,
    action: { type: 'stop-worker', worker: worker.name },
  };
}

/** What the monthly budget can refuse from the dashboard: creating or waking a worker, or a launch that wakes one. */
export type PastBudgetAction = Extract<PendingAction, { type: 'provision-worker' | 'start-worker' | 'rebuild-worker' | 'launch-job' }>;

/** The dialog after the monthly budget refused a wake-up: its figures, and going ahead this once. */
export function overBudgetRequest(action: PastBudgetAction, figures: BudgetFigures): ConfirmRequest {
  const name = sanitizeLine(figures.worker);
  if (action.type === 'launch-job') {
    const kind = sanitizeLine(action.request.kind);
    return {
      title: `Over the monthly budget: wake worker ${name} to launch ${kind} anyway?`,
      lines: [describeBudgetFigures(figures), 'Goes ahead this once; raise budget.monthly in the config to change the limit.'],
      confirmLabel: `launch ${kind} on ${name} past the budget`,
      action: { type: 'launch-job', request: { ...action.request, worker: figures.worker, overBudget: true } },
    };
  }
  const verb = action.type === 'start-worker' ? 'start' : action.type === 'rebuild-worker' ? 'rebuild' : 'provision';
  return {
    title: `Over the monthly budget: ${verb} worker ${name} anyway?`,
    lines: [describeBudgetFigures(figures), 'Goes ahead this once; raise budget.monthly in the config to change the limit.'],
    confirmLabel: `${verb} ${name} past the budget`,
    action: { ...action, overBudget: true },
  };
}
