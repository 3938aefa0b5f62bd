/**
 * Actions that change the fleet. They only run through `dashboard.mutate`, which a read-only dashboard does not
 * have; each runs as a tracked operation so input never waits for it.
 */
import { BudgetExceededError } from '../../app/budget.js';
import type { LaunchRequest, WorkerWakeOptions } from '../../app/commands.js';
import type { ProgressReporter } from '../../providers/types.js';
import type { JobTarget } from '../../state/job-target.js';
import { sanitizeLine } from '../../text/sanitize.js';
import type { Dashboard } from '../dashboard.js';
import { launchProblem } from '../launch-kinds.js';
import type { PendingAction } from '../state/ui-types.js';
import { overBudgetRequest, type PastBudgetAction } from './confirmations.js';
import { track } from './operations.js';

/**
 * Runs an operation the monthly budget may refuse; a refusal (unless the user already confirmed going past it) asks
 * again with the budget's figures — the dashboard's `--force` — and a yes runs `action` once past the budget.
 */
function askPastBudget<T>(
  dashboard: Dashboard,
  action: PastBudgetAction,
  run: (progress: ProgressReporter) => Promise<T>,
): (progress: ProgressReporter) => Promise<T> {
  const confirmed = action.type === 'launch-job' ? action.request.overBudget === true : action.overBudget === true;
  return async (progress) => {
    try {
      return await run(progress);
    } catch (error) {
      if (error instanceof BudgetExceededError && !confirmed) {
        dashboard.ui.getState().openOverlay({ kind: 'confirm', request: overBudgetRequest(action, error.figures) });
      }
      throw error;
    }
  };
}

/** The wake options of a confirmed action: past the budget once the user saw its figures. */
function wake(action: { readonly overBudget?: boolean }): WorkerWakeOptions | undefined {
  return action.overBudget ? { overBudget: true } : undefined;
}

/** Runs a confirmed action. */
export function runPending(dashboard: Dashboard, action: PendingAction): void {
  const commands = dashboard.mutate;
  if (!commands) {
    dashboard.ui.getState().notify(dashboard.mutationsUnavailable ?? 'read-only: nothing can be changed from here', 'error');
    return;
  }
  const refresh = (worker?: string) => dashboard.observe.refresh(worker);
  switch (action.type) {
    case 'stop-jobs':
      dashboard.ui.getState().clearMarks();
      for (const job of action.jobs) {
        const name = sanitizeLine(job.key);
        void track(dashboard, `stop ${name}`, (progress) => commands.stopJob(job, progress), () => `stopped ${name}`).then(() => refresh(job.worker));
      }
      return;
    case 'remove-jobs':
      dashboard.ui.getState().clearMarks();
      for (const job of action.jobs) {
        const name = sanitizeLine(job.key);
        void track(dashboard, `remove ${name}`, (progress) => commands.removeJob(job, {}, progress), () => `removed ${name}`).then(() => refresh(job.worker));
      }
      return;
    case 'approve-job': {
      const name = sanitizeLine(action.job.key);
      const changed = approvalChanged(dashboard, action);
      if (changed) {
        dashboard.ui.getState().notify(`not approved: ${name} ${changed}; press y again to see what it asks now`, 'error');
        return;
      }
      void track(dashboard, `approve ${name}`, () => commands.sendToJob(action.job, { keys: action.keys }), () => `approved ${name}`).then(() => refresh(action.job.worker));
      return;
    }
    case 'provision-worker':
      void track(dashboard, `provision ${action.worker}`, askPastBudget(dashboard, action, (p) => commands.provisionWorker(action.worker, p, wake(action)))).then(() => refresh(action.worker));
      return;
    case 'start-worker':
      void track(dashboard, `start ${action.worker}`, askPastBudget(dashboard, action, (p) => commands.startWorker(action.worker, p, wake(action)))).then(() => refresh(action.worker));
      return;
    case 'stop-worker':
      void track(dashboard, `stop ${action.worker}`, (p) => commands.stopWorker(action.worker, p)).then(() => refresh(action.worker));
      return;
    case 'suspend-worker':
      void track(dashboard, `suspend ${action.worker}`, (p) => commands.suspendWorker(action.worker, p)).then(() => refresh(action.worker));
      return;
    case 'rebuild-worker':
      void track(dashboard, `rebuild ${action.worker}`, askPastBudget(dashboard, action, (p) => commands.rebuildWorker(action.worker, p, wake(action)))).then(() => refresh(action.worker));
      return;
    case 'launch-job': {
      const problem = launchJob(dashboard, action.request);
      if (problem) dashboard.ui.getState().notify(problem, 'error');
      return;
    }
  }
}

/**
 * Why an approval confirmed in a dialog must not be sent after all, or undefined when it may: the job, as the last
 * scan saw it, no longer asks the question the dialog showed (the agent answered itself, or asks something else
 * now). The allow-once keys approve whatever is on the screen, so they are never sent for a question not shown.
 */
function approvalChanged(dashboard: Dashboard, action: Extract<PendingAction, { type: 'approve-job' }>): string | undefined {
  const job = dashboard.fleet.getState().jobsByWorker[action.job.worker]?.find((candidate) => candidate.key === action.job.key);
  if (!job) return 'is gone';
  if (job.session?.id !== action.job.session?.id) return 'is in another session now';
  if (job.state !== 'waiting') return `is no longer waiting (${job.state})`;
  if (job.reason !== action.asked) return `now asks: ${sanitizeLine(job.reason)}`;
  return undefined;
}

/** Sends a typed reply line to the job it was opened for, then Enter. */
export function sendReply(dashboard: Dashboard, job: JobTarget, text: string): void {
  const commands = dashboard.mutate;
  if (!commands) {
    dashboard.ui.getState().notify(dashboard.mutationsUnavailable ?? 'read-only: nothing can be sent from here', 'error');
    return;
  }
  if (text === '') {
    dashboard.ui.getState().notify('nothing sent: the reply was empty');
    return;
  }
  const name = sanitizeLine(job.key);
  void track(dashboard, `reply to ${name}`, () => commands.sendToJob(job, { text, keys: ['Enter'] }), () => `sent to ${name}`).then(() =>
    dashboard.observe.refresh(job.worker),
  );
}

/** Launches a job after checking its parameters; reports where it went and selects it. Returns a problem, if any. */
export function launchJob(dashboard: Dashboard, request: LaunchRequest): string | undefined {
  const commands = dashboard.mutate;
  if (!commands) return dashboard.mutationsUnavailable ?? 'read-only: nothing can be launched from here';
  const kind = dashboard.kinds.find((k) => k.name === request.kind);
  if (!kind) return `no job kind '${request.kind}'`;
  const problem = launchProblem(kind, request.params);
  if (problem) return problem;
  const label = `launch ${request.kind} ${Object.entries(request.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`.trim();
  void track(
    dashboard,
    sanitizeLine(label),
    askPastBudget(dashboard, { type: 'launch-job', request }, (progress) => commands.launch(request, progress)),
    (outcome) =>
      sanitizeLine(
        outcome.created
          ? `launched ${outcome.jobKey} on ${outcome.worker} (${outcome.placement})`
          : `${outcome.jobKey} already exists on ${outcome.worker}: nothing new started`,
      ),
  ).then((outcome) => {
    if (!outcome) return;
    dashboard.ui.getState().selectJob(dashboard.rows().keys, outcome.jobKey);
    dashboard.observe.refresh(outcome.worker);
  });
  return undefined;
}
