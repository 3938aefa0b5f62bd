/**
 * What each command of the key table does. One handler per {@link CommandId} (the `satisfies` below makes a
 * command without a handler a type error); handlers change the UI store or go through the command layer.
 */
import type { ProgressReporter } from '../../providers/types.js';
import type { Dashboard } from '../dashboard.js';
import type { CommandId } from '../keys/bindings.js';
import { completeLine, parseLine } from '../keys/command-line.js';
import { clamp } from '../state/selection.js';
import type { Overlay } from '../state/ui-types.js';
import { helpLines } from '../keys/help-lines.js';
import { targetOf } from '../../state/job-target.js';
import { approveRequest, provisionRequest, rebuildRequest, removeRequest, startStopRequest, stopRequest, suspendRequest } from './confirmations.js';
import { launchJob, runPending, sendReply } from './fleet-actions.js';
import { track } from './operations.js';
import { sanitizeLine } from '../../text/sanitize.js';

type Handler = (dashboard: Dashboard) => void;

const ui = (d: Dashboard) => d.ui.getState();

function moveList(d: Dashboard, to: (cursor: number, page: number, last: number) => number): void {
  const state = ui(d);
  if (state.focus === 'workers') {
    const names = d.fleet.getState().workerOrder;
    state.moveWorkerCursor(names, (cursor) => to(cursor, Math.max(1, names.length), names.length - 1));
    return;
  }
  const { keys } = d.rows();
  state.moveJobCursor(keys, (cursor, page) => to(cursor, Math.max(1, page - 1), keys.length - 1));
}

function scrollLog(d: Dashboard, by: (scroll: number, page: number) => number): void {
  const lines = d.feeds.getState().log?.lines.length ?? 0;
  const page = Math.max(1, ui(d).viewports.log - 1);
  ui(d).updateOverlay((o) => {
    if (o.kind !== 'log') return o;
    const scroll = clamp(by(o.scroll, page), 0, Math.max(0, lines - ui(d).viewports.log));
    return { ...o, scroll, follow: o.follow && scroll === 0 };
  });
}

function scrollDiff(d: Dashboard, by: (scroll: number, page: number) => number): void {
  const lines = d.feeds.getState().diff?.lines.length ?? 0;
  const view = ui(d).viewports.log;
  ui(d).updateOverlay((o) => (o.kind === 'diff' ? { ...o, scroll: clamp(by(o.scroll, Math.max(1, view - 1)), 0, Math.max(0, lines - view)) } : o));
}

function scrollHelp(d: Dashboard, by: number): void {
  const last = Math.max(0, helpLines(d.bindings, d.lineCommands, d.bindingContext()).length - ui(d).viewports.help);
  ui(d).updateOverlay((o) => (o.kind === 'help' ? { ...o, scroll: clamp(o.scroll + by, 0, last) } : o));
}

function confirm(d: Dashboard, request: ReturnType<typeof stopRequest>): void {
  if (typeof request === 'string') ui(d).notify(request, 'error');
  else ui(d).openOverlay({ kind: 'confirm', request });
}

function openLaunchForm(d: Dashboard): void {
  const state = ui(d);
  const worker = state.focus === 'workers' ? d.focusedWorker()?.name : undefined;
  const form = { kindIndex: 0, worker, params: {}, field: 2, error: undefined };
  state.openOverlay({ kind: 'launch', form });
}

function launchFields(d: Dashboard, overlay: Overlay): number {
  if (overlay.kind !== 'launch') return 0;
  return 2 + (d.kinds[overlay.form.kindIndex]?.params.length ?? 0);
}

function cycleChoice(d: Dashboard, step: 1 | -1): void {
  const state = ui(d);
  state.updateLaunchForm((form) => {
    if (form.field === 0 && d.kinds.length > 0) {
      return { ...form, kindIndex: (form.kindIndex + step + d.kinds.length) % d.kinds.length, error: undefined };
    }
    if (form.field === 1) {
      const choices = [undefined, ...d.fleet.getState().workerOrder];
      const index = choices.indexOf(form.worker);
      return { ...form, worker: choices[(index + step + choices.length) % choices.length], error: undefined };
    }
    return form;
  });
}

function submitLaunch(d: Dashboard): void {
  const { overlay } = ui(d);
  if (overlay.kind !== 'launch') return;
  const kind = d.kinds[overlay.form.kindIndex];
  if (!kind) return;
  const params = Object.fromEntries(kind.params.map((p) => [p.name, overlay.form.params[p.name] ?? '']).filter(([, v]) => v !== ''));
  const problem = launchJob(d, { kind: kind.name, params, ...(overlay.form.worker ? { worker: overlay.form.worker } : {}) });
  if (problem) ui(d).updateLaunchForm((form) => ({ ...form, error: problem }));
  else ui(d).closeOverlay();
}

function editField(d: Dashboard, edit: (value: string) => string): void {
  ui(d).updateLaunchForm((form) => {
    const param = d.kinds[form.kindIndex]?.params[form.field - 2];
    if (!param) return form;
    return { ...form, params: { ...form.params, [param.name]: edit(form.params[param.name] ?? '') }, error: undefined };
  });
}

function editInput(d: Dashboard, edit: (text: string) => string): void {
  const { input } = ui(d);
  if (input) ui(d).editInput(edit(input.text));
}

function submitInput(d: Dashboard): void {
  const state = ui(d);
  const input = state.input;
  if (!input) return;
  state.closeInput();
  if (input.kind === 'command') runLine(d, input.text);
  if (input.kind === 'reply' && input.target) sendReply(d, input.target, input.text);
}

/** Runs a `:` command line. */
export function runLine(d: Dashboard, line: string): void {
  const state = ui(d);
  const fleet = d.fleet.getState();
  const action = parseLine(line, { commands: d.lineCommands, workers: fleet.workerOrder, kinds: d.kinds });
  switch (action.type) {
    case 'none':
      return;
    case 'error':
      state.notify(action.message, 'error');
      return;
    case 'worker':
      state.setWorkerFilter(action.worker);
      if (action.worker !== undefined) state.moveWorkerCursor(fleet.workerOrder, () => fleet.workerOrder.indexOf(action.worker ?? ''));
      return;
    case 'filter':
      state.setFilter(action.text);
      return;
    case 'sort':
      if (action.key === undefined || action.key === state.sort.key) state.reverseSort();
      else d.ui.setState({ sort: { key: action.key, descending: false } });
      return;
    case 'refresh':
      HANDLERS.refresh(d);
      return;
    case 'launch': {
      const problem = launchJob(d, { kind: action.kind, params: action.params, ...(action.worker ? { worker: action.worker } : {}) });
      if (problem) state.notify(problem, 'error');
      return;
    }
    case 'stop':
      HANDLERS['stop-job'](d);
      return;
    case 'remove':
      HANDLERS['remove-job'](d);
      return;
    case 'suspend': {
      const worker = action.worker === undefined ? d.focusedWorker() : fleet.workers[action.worker];
      if (worker) confirm(d, suspendRequest(worker, fleet.jobsByWorker[worker.name] ?? []));
      else state.notify('suspend which worker? select one, or :suspend WORKER', 'error');
      return;
    }
    case 'help':
      HANDLERS.help(d);
      return;
    case 'quit':
      HANDLERS.quit(d);
      return;
  }
}

/** Appends typed text to the open input line or launch form field. */
export function insertText(d: Dashboard, text: string): void {
  const state = ui(d);
  if (state.overlay.kind === 'launch') editField(d, (value) => value + text);
  else if (state.input) editInput(d, (value) => value + text);
}

/** The handler of every command. */
export const HANDLERS = {
  'quit-now': (d) => d.host.quit(),
  quit: (d) => d.host.quit(),
  help: (d) => ui(d).openOverlay({ kind: 'help', scroll: 0 }),
  filter: (d) => ui(d).openInput('filter'),
  'command-line': (d) => ui(d).openInput('command'),
  refresh: (d) => {
    d.observe.refresh();
    ui(d).notify('refreshing every worker');
  },
  attention: (d) => ui(d).toggleAttention(),
  'next-pane': (d) => ui(d).cycleFocus(),
  back: (d) => {
    const state = ui(d);
    if (state.filter !== '') state.setFilter('');
    if (state.workerFilter !== undefined) state.setWorkerFilter(undefined);
    if (state.attentionOnly) state.toggleAttention();
    state.clearMarks();
  },

  down: (d) => moveList(d, (c) => c + 1),
  up: (d) => moveList(d, (c) => c - 1),
  top: (d) => moveList(d, () => 0),
  bottom: (d) => moveList(d, (_c, _p, last) => last),
  'page-down': (d) => moveList(d, (c, page) => c + page),
  'page-up': (d) => moveList(d, (c, page) => c - page),
  'new-job': (d) => openLaunchForm(d),

  attach: (d) => {
    const job = d.selectedJob();
    if (!job) return;
    const machine = d.fleet.getState().workers[job.worker]?.machine?.state;
    const commands = d.mutate;
    if (commands && (machine === 'suspended' || machine === 'suspending')) {
      // The session sleeps with its VM: resume the worker first, then attach to the same session.
      const resume = async (progress: ProgressReporter) => {
        await commands.startWorker(job.worker, progress);
        return true;
      };
      void track(d, `resume ${job.worker}`, resume, () => `resumed ${job.worker}`).then((resumed) => resumed && d.host.attach(job.key));
      return;
    }
    d.host.attach(job.key);
  },
  log: (d) => {
    const job = d.selectedJob();
    if (job) ui(d).openOverlay({ kind: 'log', jobKey: job.key, follow: true, scroll: 0 });
  },
  diff: (d) => {
    const job = d.selectedJob();
    if (job) ui(d).openOverlay({ kind: 'diff', jobKey: job.key, scroll: 0 });
  },
  mark: (d) => {
    const job = d.selectedJob();
    if (!job) return;
    ui(d).toggleMark(job.key);
    HANDLERS.down(d);
  },
  sort: (d) => ui(d).cycleSort(),
  'reverse-sort': (d) => ui(d).reverseSort(),
  'stop-job': (d) => confirm(d, stopRequest(d.targetJobs())),
  'remove-job': (d) => confirm(d, removeRequest(d.targetJobs())),
  'reply-job': (d) => {
    const job = d.selectedJob();
    if (job) ui(d).openInput('reply', targetOf(job));
  },
  'approve-job': (d) => {
    const job = d.selectedJob();
    if (job) confirm(d, approveRequest(job, d.approveFor(job)));
  },
  'resume-job': (d) => {
    const job = d.selectedJob();
    const commands = d.mutate;
    if (!job || !commands) return;
    const name = sanitizeLine(job.key);
    void track(d, `resume ${name}`, (progress) => commands.resumeJob(targetOf(job), progress), () => `resumed ${name}`).then(() => d.observe.refresh(job.worker));
  },

  'show-worker-jobs': (d) => {
    const worker = d.focusedWorker();
    if (!worker) return;
    ui(d).setWorkerFilter(worker.name);
    ui(d).setFocus('jobs');
  },
  'provision-worker': (d) => {
    const worker = d.focusedWorker();
    if (worker) confirm(d, provisionRequest(worker));
  },
  'start-stop-worker': (d) => {
    const worker = d.focusedWorker();
    if (worker) confirm(d, startStopRequest(worker, d.fleet.getState().jobsByWorker[worker.name] ?? []));
  },
  'suspend-worker': (d) => {
    const worker = d.focusedWorker();
    if (worker) confirm(d, suspendRequest(worker, d.fleet.getState().jobsByWorker[worker.name] ?? []));
  },
  'rebuild-worker': (d) => {
    const worker = d.focusedWorker();
    if (worker) confirm(d, rebuildRequest(worker, d.fleet.getState().jobsByWorker[worker.name] ?? []));
  },

  'log-down': (d) => scrollLog(d, (s) => s - 1),
  'log-up': (d) => scrollLog(d, (s) => s + 1),
  'log-page-down': (d) => scrollLog(d, (s, page) => s - page),
  'log-page-up': (d) => scrollLog(d, (s, page) => s + page),
  'log-top': (d) => scrollLog(d, () => Number.MAX_SAFE_INTEGER),
  'log-bottom': (d) => ui(d).updateOverlay((o) => (o.kind === 'log' ? { ...o, scroll: 0, follow: true } : o)),
  'log-follow': (d) => ui(d).updateOverlay((o) => (o.kind === 'log' ? { ...o, follow: !o.follow, scroll: o.follow ? o.scroll : 0 } : o)),
  'log-close': (d) => ui(d).closeOverlay(),

  'diff-down': (d) => scrollDiff(d, (s) => s + 1),
  'diff-up': (d) => scrollDiff(d, (s) => s - 1),
  'diff-page-down': (d) => scrollDiff(d, (s, page) => s + page),
  'diff-page-up': (d) => scrollDiff(d, (s, page) => s - page),
  'diff-top': (d) => scrollDiff(d, () => 0),
  'diff-bottom': (d) => scrollDiff(d, () => Number.MAX_SAFE_INTEGER),
  'diff-close': (d) => ui(d).closeOverlay(),

  'help-down': (d) => scrollHelp(d, 1),
  'help-up': (d) => scrollHelp(d, -1),
  'help-close': (d) => ui(d).closeOverlay(),

  'confirm-yes': (d) => {
    const { overlay } = ui(d);
    if (overlay.kind !== 'confirm') return;
    ui(d).closeOverlay();
    runPending(d, overlay.request.action);
  },
  'confirm-no': (d) => {
    ui(d).closeOverlay();
    ui(d).notify('cancelled');
  },

  'input-submit': submitInput,
  'input-cancel': (d) => {
    const state = ui(d);
    if (state.input?.kind === 'filter') state.setFilter('');
    state.closeInput();
  },
  'input-backspace': (d) => editInput(d, (text) => text.slice(0, -1)),
  'input-clear': (d) => editInput(d, () => ''),
  'input-delete-word': (d) => editInput(d, (text) => text.replace(/\S*\s*$/, '')),
  'command-complete': (d) => {
    const { input } = ui(d);
    if (!input) return;
    const completion = completeLine(input.text, { commands: d.lineCommands, workers: d.fleet.getState().workerOrder, kinds: d.kinds });
    ui(d).editInput(completion.line, completion.candidates);
  },

  'launch-next-field': (d) => ui(d).updateLaunchForm((f) => ({ ...f, field: (f.field + 1) % launchFields(d, ui(d).overlay) })),
  'launch-previous-field': (d) =>
    ui(d).updateLaunchForm((f) => {
      const count = launchFields(d, ui(d).overlay);
      return { ...f, field: (f.field - 1 + count) % count };
    }),
  'launch-next-choice': (d) => cycleChoice(d, 1),
  'launch-previous-choice': (d) => cycleChoice(d, -1),
  'launch-submit': submitLaunch,
  'launch-cancel': (d) => ui(d).closeOverlay(),
  'launch-backspace': (d) => editField(d, (value) => value.slice(0, -1)),
} satisfies Record<CommandId, Handler>;
