/**
 * THE key table. Every key the dashboard answers to is a row here; the footer hints, the `?` help overlay and
 * docs/keybindings.md are generated from it, and a test fails when the doc is stale or a row lacks keys or a
 * description. Rows marked `mutating` change the fleet: a read-only dashboard leaves them out entirely.
 */
import type { Job, WorkerView } from '../../state/types.js';
import type { KeyName } from './key-names.js';
import { isGceKind } from '../../providers/types.js';
import { resumeRefusal } from '../../jobs/resume.js';

/** Where a binding applies. `always` works in every view; the others follow what is on screen. */
export type Scope = 'always' | 'global' | 'list' | 'jobs' | 'workers' | 'log' | 'diff' | 'help' | 'confirm' | 'input' | 'command' | 'launch';

/** Every scope, in the order the help overlay and the docs list them. */
export const SCOPES: readonly Scope[] = ['global', 'list', 'jobs', 'workers', 'log', 'diff', 'help', 'confirm', 'input', 'command', 'launch', 'always'];

/** What each scope is, for the help overlay and the docs. */
export const SCOPE_TITLES: Readonly<Record<Scope, string>> = {
  always: 'Anywhere',
  global: 'Dashboard',
  list: 'Jobs and workers panes',
  jobs: 'Jobs pane',
  workers: 'Workers pane',
  log: 'Log view (l)',
  diff: 'Diff view (d)',
  help: 'Help (?)',
  confirm: 'Confirmation dialog',
  input: 'Filter and command line',
  command: 'Command line (:)',
  launch: 'New job form (n)',
};

/** What a binding's disabled-reason can look at. */
export interface BindingContext {
  /** The selected job, if any. */
  readonly job: Job | undefined;
  /** The jobs a job action applies to: the marked ones, else the selected one. */
  readonly targets: readonly Job[];
  /** The worker an action applies to: the selected worker in the workers pane, else the selected job's worker. */
  readonly worker: WorkerView | undefined;
  /** Why actions that change the fleet cannot run in this build, or undefined when they can. */
  readonly mutationsUnavailable: string | undefined;
}

/** One row of the key table. */
export interface Binding {
  /** The command the keys run; unique in the table. */
  readonly id: CommandId;
  /** Keys, the first one shown in hints. */
  readonly keys: readonly KeyName[];
  readonly scope: Scope;
  /** What it does, for the help overlay and the docs. */
  readonly description: string;
  /** A one-word label for the footer; absent when the binding is not hinted there. */
  readonly hint?: string;
  /** Changes the fleet (launch, stop, remove, worker lifecycle): absent from a read-only dashboard. */
  readonly mutating?: boolean;
  /** Asks for confirmation first, saying exactly which jobs or worker. Implies `mutating`. */
  readonly dangerous?: boolean;
  /** Why the binding cannot run right now, or undefined when it can. */
  readonly disabledReason?: (context: BindingContext) => string | undefined;
}

/** Every command a key can run. */
export const COMMAND_IDS = [
  'quit-now',
  'quit',
  'help',
  'filter',
  'command-line',
  'refresh',
  'attention',
  'next-pane',
  'back',
  'down',
  'up',
  'top',
  'bottom',
  'page-down',
  'page-up',
  'new-job',
  'attach',
  'log',
  'diff',
  'mark',
  'sort',
  'reverse-sort',
  'stop-job',
  'remove-job',
  'reply-job',
  'approve-job',
  'resume-job',
  'show-worker-jobs',
  'provision-worker',
  'start-stop-worker',
  'suspend-worker',
  'rebuild-worker',
  'log-down',
  'log-up',
  'log-page-down',
  'log-page-up',
  'log-top',
  'log-bottom',
  'log-follow',
  'log-close',
  'diff-down',
  'diff-up',
  'diff-page-down',
  'diff-page-up',
  'diff-top',
  'diff-bottom',
  'diff-close',
  'help-down',
  'help-up',
  'help-close',
  'confirm-yes',
  'confirm-no',
  'input-submit',
  'input-cancel',
  'input-backspace',
  'input-clear',
  'input-delete-word',
  'command-complete',
  'launch-next-field',
  'launch-previous-field',
  'launch-next-choice',
  'launch-previous-choice',
  'launch-submit',
  'launch-cancel',
  'launch-backspace',
] as const;

/** A command a key can run. */
export type CommandId = (typeof COMMAND_IDS)[number];

const noJob = (c: BindingContext) => (c.job ? undefined : 'no job selected');
const unavailable = (c: BindingContext) => c.mutationsUnavailable;
const noTargets = (c: BindingContext) => unavailable(c) ?? (c.targets.length === 0 ? 'no job selected' : undefined);
const managedWorker = (c: BindingContext) => {
  if (unavailable(c)) return unavailable(c);
  if (!c.worker) return 'no worker selected';
  if (c.worker.provider === 'local') return 'this machine is not managed by mission-control';
  if (c.worker.provider === 'ssh') return 'an SSH host is managed outside mission-control';
  return undefined;
};

const suspendableWorker = (c: BindingContext) => {
  const managed = managedWorker(c);
  if (managed) return managed;
  return isGceKind(c.worker?.provider) ? undefined : 'only GCE workers can be suspended';
};

/** The key table. */
export const BINDINGS: readonly Binding[] = [
  { id: 'quit-now', keys: ['ctrl+c'], scope: 'always', description: 'Quit mission-control (jobs keep running)' },

  { id: 'help', keys: ['?'], scope: 'global', description: 'Show every key', hint: 'help' },
  { id: 'filter', keys: ['/'], scope: 'global', description: 'Filter jobs: text, /regex/, or !text to invert', hint: 'filter' },
  { id: 'command-line', keys: [':'], scope: 'global', description: 'Open the command line (:worker NAME, :sort COLUMN, :quit …; tab completes)', hint: 'cmd' },
  { id: 'refresh', keys: ['r'], scope: 'global', description: 'Refresh every worker now', hint: 'refresh' },
  { id: 'attention', keys: ['a'], scope: 'global', description: 'Only jobs that need attention: waiting for you (longest first, with what they ask), failed, lost, done, finished, idle long', hint: 'attention' },
  { id: 'next-pane', keys: ['tab', 'shift+tab'], scope: 'global', description: 'Switch between the jobs and workers panes', hint: 'pane' },
  { id: 'back', keys: ['esc'], scope: 'global', description: 'Clear the filter, the worker filter, the attention filter and the marks' },
  { id: 'quit', keys: ['q'], scope: 'global', description: 'Quit mission-control (jobs keep running)', hint: 'quit' },

  { id: 'down', keys: ['j', 'down'], scope: 'list', description: 'Move down' },
  { id: 'up', keys: ['k', 'up'], scope: 'list', description: 'Move up' },
  { id: 'top', keys: ['g', 'home'], scope: 'list', description: 'Go to the first row' },
  { id: 'bottom', keys: ['G', 'end'], scope: 'list', description: 'Go to the last row' },
  { id: 'page-down', keys: ['ctrl+d', 'pagedown'], scope: 'list', description: 'Move down a page' },
  { id: 'page-up', keys: ['ctrl+u', 'pageup'], scope: 'list', description: 'Move up a page' },
  {
    id: 'new-job',
    keys: ['n'],
    scope: 'list',
    description: 'Launch a new job (kind, parameters, worker)',
    hint: 'new',
    mutating: true,
    disabledReason: unavailable,
  },

  {
    id: 'attach',
    keys: ['enter'],
    scope: 'jobs',
    description: "Attach to the job's tmux session (detach: ctrl-q or attach.detachKey, or the tmux prefix then d)",
    hint: 'attach',
    disabledReason: (c) => noJob(c) ?? (c.job?.session ? undefined : 'the job has no tmux session any more'),
  },
  { id: 'log', keys: ['l'], scope: 'jobs', description: "Full-screen view of the job's output log, following it", hint: 'log', disabledReason: noJob },
  { id: 'mark', keys: ['space'], scope: 'jobs', description: 'Mark or unmark the job for a bulk action', hint: 'mark', disabledReason: noJob },
  {
    id: 'stop-job',
    keys: ['s'],
    scope: 'jobs',
    description: 'Stop the marked jobs, or the selected one (interrupt, then kill after a grace period)',
    hint: 'stop',
    mutating: true,
    dangerous: true,
    disabledReason: noTargets,
  },
  {
    id: 'remove-job',
    keys: ['x'],
    scope: 'jobs',
    description: 'Remove the marked jobs, or the selected one (session and worktree; logs are kept)',
    hint: 'remove',
    mutating: true,
    dangerous: true,
    disabledReason: noTargets,
  },

  {
    id: 'reply-job',
    keys: ['i'],
    scope: 'jobs',
    description: "Reply to the job without attaching (a line typed into its pane, then Enter)",
    hint: 'reply',
    mutating: true,
    disabledReason: (c) => unavailable(c) ?? noJob(c) ?? (c.job?.session ? undefined : 'the job has no tmux session any more'),
  },
  {
    id: 'approve-job',
    keys: ['y'],
    scope: 'jobs',
    description: "Approve what the waiting job asks (its agent's allow-once answer, after showing the question)",
    hint: 'approve',
    mutating: true,
    dangerous: true,
    disabledReason: (c) => unavailable(c) ?? noJob(c) ?? (c.job?.state === 'waiting' ? undefined : 'the job is not waiting for an answer'),
  },
  {
    id: 'diff',
    keys: ['d'],
    scope: 'jobs',
    description: "What the job changed in its worktree since it started: the stat, then the patch (untracked files as new files)",
    hint: 'diff',
    disabledReason: (c) => noJob(c) ?? (c.job?.adhoc ? 'a session started by hand has no worktree of its own' : undefined),
  },

  {
    id: 'resume-job',
    keys: ['u'],
    scope: 'jobs',
    description: "Resume a lost job (its session gone, e.g. after a reboot) in its worktree, with its agent's resume command",
    mutating: true,
    disabledReason: (c) =>
      unavailable(c) ?? noJob(c) ?? (c.job && resumeRefusal(c.job) ? 'only a lost job (its session gone without an exit code, or by a hangup) can be resumed' : undefined),
  },

  { id: 'sort', keys: ['o'], scope: 'jobs', description: 'Sort by the next column (the title shows the sort)' },
  { id: 'reverse-sort', keys: ['O'], scope: 'jobs', description: 'Reverse the sort order' },

  {
    id: 'show-worker-jobs',
    keys: ['enter'],
    scope: 'workers',
    description: "Show only this worker's jobs (esc shows all again)",
    hint: 'jobs',
    disabledReason: (c) => (c.worker ? undefined : 'no worker selected'),
  },
  {
    id: 'provision-worker',
    keys: ['p'],
    scope: 'workers',
    description: "Provision the worker's machine",
    hint: 'provision',
    mutating: true,
    dangerous: true,
    disabledReason: managedWorker,
  },
  {
    id: 'start-stop-worker',
    keys: ['S'],
    scope: 'workers',
    description: "Start the worker's machine, or stop it when it is running",
    hint: 'start/stop',
    mutating: true,
    dangerous: true,
    disabledReason: managedWorker,
  },
  {
    id: 'suspend-worker',
    keys: ['Z'],
    scope: 'workers',
    description: "Suspend the worker's VM: its memory is kept (jobs and waiting agents carry on after a start), compute billing stops",
    hint: 'suspend',
    mutating: true,
    dangerous: true,
    disabledReason: suspendableWorker,
  },
  {
    id: 'rebuild-worker',
    keys: ['R'],
    scope: 'workers',
    description: "Rebuild the worker's machine: delete it and provision it again",
    hint: 'rebuild',
    mutating: true,
    dangerous: true,
    disabledReason: managedWorker,
  },

  { id: 'log-down', keys: ['j', 'down'], scope: 'log', description: 'Scroll down' },
  { id: 'log-up', keys: ['k', 'up'], scope: 'log', description: 'Scroll up (stops following)' },
  { id: 'log-page-down', keys: ['ctrl+d', 'pagedown', 'space'], scope: 'log', description: 'Scroll down a page' },
  { id: 'log-page-up', keys: ['ctrl+u', 'pageup'], scope: 'log', description: 'Scroll up a page (stops following)' },
  { id: 'log-top', keys: ['g', 'home'], scope: 'log', description: 'Go to the start of what was read' },
  { id: 'log-bottom', keys: ['G', 'end'], scope: 'log', description: 'Go to the end and follow', hint: 'end' },
  { id: 'log-follow', keys: ['f'], scope: 'log', description: 'Follow the log as it grows (toggle)', hint: 'follow' },
  { id: 'log-close', keys: ['esc', 'q', 'l'], scope: 'log', description: 'Back to the dashboard', hint: 'back' },
  { id: 'diff-down', keys: ['j', 'down'], scope: 'diff', description: 'Scroll down' },
  { id: 'diff-up', keys: ['k', 'up'], scope: 'diff', description: 'Scroll up' },
  { id: 'diff-page-down', keys: ['ctrl+d', 'pagedown', 'space'], scope: 'diff', description: 'Scroll down a page' },
  { id: 'diff-page-up', keys: ['ctrl+u', 'pageup'], scope: 'diff', description: 'Scroll up a page' },
  { id: 'diff-top', keys: ['g', 'home'], scope: 'diff', description: 'Go to the start (the stat)', hint: 'top' },
  { id: 'diff-bottom', keys: ['G', 'end'], scope: 'diff', description: 'Go to the end' },
  { id: 'diff-close', keys: ['esc', 'q', 'd'], scope: 'diff', description: 'Back to the dashboard', hint: 'back' },

  { id: 'help-down', keys: ['j', 'down'], scope: 'help', description: 'Scroll down' },
  { id: 'help-up', keys: ['k', 'up'], scope: 'help', description: 'Scroll up' },
  { id: 'help-close', keys: ['esc', '?', 'q'], scope: 'help', description: 'Close the help', hint: 'close' },

  { id: 'confirm-yes', keys: ['y'], scope: 'confirm', description: 'Do it', hint: 'yes' },
  { id: 'confirm-no', keys: ['n', 'esc'], scope: 'confirm', description: 'Cancel', hint: 'no' },

  { id: 'input-submit', keys: ['enter'], scope: 'input', description: 'Apply the filter, run the command, or send the reply', hint: 'apply' },
  { id: 'input-cancel', keys: ['esc'], scope: 'input', description: 'Close; for the filter, clear it', hint: 'cancel' },
  { id: 'input-backspace', keys: ['backspace'], scope: 'input', description: 'Delete the last character' },
  { id: 'input-clear', keys: ['ctrl+u'], scope: 'input', description: 'Clear the line' },
  { id: 'input-delete-word', keys: ['ctrl+w'], scope: 'input', description: 'Delete the last word' },
  { id: 'command-complete', keys: ['tab'], scope: 'command', description: 'Complete the command, worker, kind or parameter', hint: 'complete' },

  { id: 'launch-next-field', keys: ['tab', 'down'], scope: 'launch', description: 'Next field', hint: 'field' },
  { id: 'launch-previous-field', keys: ['shift+tab', 'up'], scope: 'launch', description: 'Previous field' },
  { id: 'launch-next-choice', keys: ['right'], scope: 'launch', description: 'Next kind or worker', hint: 'choose' },
  { id: 'launch-previous-choice', keys: ['left'], scope: 'launch', description: 'Previous kind or worker' },
  { id: 'launch-submit', keys: ['enter'], scope: 'launch', description: 'Launch the job', hint: 'launch' },
  { id: 'launch-cancel', keys: ['esc'], scope: 'launch', description: 'Close the form', hint: 'cancel' },
  { id: 'launch-backspace', keys: ['backspace'], scope: 'launch', description: 'Delete the last character of the field' },
];

/** The table as a dashboard in this mode has it: a read-only one has no mutating row at all. */
export function bindingsFor(readOnly: boolean): readonly Binding[] {
  return readOnly ? READ_ONLY_BINDINGS : BINDINGS;
}

const READ_ONLY_BINDINGS = BINDINGS.filter((binding) => !binding.mutating && !binding.dangerous);

/** The binding a key runs in the given scopes (searched in order), or undefined. */
export function findBinding(table: readonly Binding[], key: KeyName, scopes: readonly Scope[]): Binding | undefined {
  for (const scope of scopes) {
    const found = table.find((binding) => binding.scope === scope && binding.keys.includes(key));
    if (found) return found;
  }
  return undefined;
}

/** A command of the `:` command line. */
export interface LineCommand {
  readonly name: string;
  readonly aliases: readonly string[];
  /** Its arguments as the help shows them. */
  readonly args: string;
  readonly description: string;
  /** Changes the fleet: absent from a read-only dashboard. */
  readonly mutating?: boolean;
}

/** The `:` commands; listed in the help overlay and the docs beside the keys. */
export const LINE_COMMANDS: readonly LineCommand[] = [
  { name: 'worker', aliases: ['w'], args: '[NAME]', description: "Show only NAME's jobs and select it; without NAME, show every worker's jobs" },
  { name: 'filter', aliases: ['f'], args: '[TEXT]', description: 'Set the jobs filter (same syntax as /); without TEXT, clear it' },
  { name: 'sort', aliases: [], args: '[COLUMN]', description: 'Sort by natural, id, worker, kind, state, age or output; again to reverse' },
  { name: 'refresh', aliases: ['r'], args: '', description: 'Refresh every worker now' },
  { name: 'launch', aliases: ['l'], args: 'KIND [NAME=VALUE …] [@WORKER]', description: 'Launch a job of KIND with its parameters', mutating: true },
  { name: 'stop', aliases: [], args: '', description: 'Stop the marked jobs, or the selected one (asks first)', mutating: true },
  {
    name: 'suspend',
    aliases: [],
    args: '[WORKER]',
    description: 'Suspend WORKER, or the selected worker (GCE: memory kept, billing stops; asks first)',
    mutating: true,
  },
  { name: 'remove', aliases: ['rm'], args: '', description: 'Remove the marked jobs, or the selected one (asks first)', mutating: true },
  { name: 'help', aliases: ['h'], args: '', description: 'Show every key' },
  { name: 'quit', aliases: ['q'], args: '', description: 'Quit mission-control (jobs keep running)' },
];

/** The `:` commands a dashboard in this mode has. */
export function lineCommandsFor(readOnly: boolean): readonly LineCommand[] {
  return readOnly ? LINE_COMMANDS.filter((command) => !command.mutating) : LINE_COMMANDS;
}
