/**
 * The dashboard's model: the stores it draws from, the command layer it acts through, and the derived views
 * (rows of the jobs table, the selection) that components, key handlers and feeds share.
 */
import { defaultApproveFor, type ApproveLookup } from '../app/approve.js';
import type { FleetCommands, ObserveCommands } from '../app/commands.js';
import { selectAllJobs } from '../state/selectors.js';
import type { FleetState } from '../state/store.js';
import type { Job, WorkerView } from '../state/types.js';
import { bindingsFor, lineCommandsFor, type Binding, type BindingContext, type LineCommand, type Scope } from './keys/bindings.js';
import { BUILTIN_LAUNCH_KINDS, type LaunchKind } from './launch-kinds.js';
import { createFeedStore, type FeedStore } from './state/feed-store.js';
import { createJobRowsCache, type JobRows } from './state/job-rows.js';
import { resolveCursor } from './state/selection.js';
import { createClock, type Clock } from './state/throttled-store.js';
import { createUiStore, type UiStore } from './state/ui-store.js';
import type { UiState } from './state/ui-types.js';

/** A read-only store of the fleet's state, as the dashboard reads it (throttled in the real app). */
export interface FleetSource {
  getState(): FleetState;
  getInitialState(): FleetState;
  subscribe(listener: (state: FleetState, previous: FleetState) => void): () => void;
}

/** The parts of the UI state that decide the rows of the jobs table. */
export type RowsQuery = Pick<UiState, 'filter' | 'workerFilter' | 'attentionOnly' | 'sort'>;

/** What the dashboard does outside its own tree: leaving the screen to attach, and quitting. */
export interface DashboardHost {
  /** Leaves the dashboard, attaches the terminal to the job's session, and comes back as it was. */
  attach(jobKey: string): void;
  /** Ends the dashboard. */
  quit(): void;
}

/**
 * How the dashboard may act. A read-only dashboard is given the observing commands only: no code path in it can
 * express a call that changes the fleet. A full one may still lack them (a build without the jobs module), in
 * which case `mutationsUnavailable` says why and the mutating keys show as disabled with that reason.
 */
export type DashboardAccess =
  | { readonly readOnly: true; readonly commands: ReadOnlyCommands }
  | { readonly readOnly: false; readonly commands: FleetCommands }
  | { readonly readOnly: false; readonly commands: ObserveCommands; readonly mutationsUnavailable: string };

/** The names of the commands that change the fleet. */
export type MutatingCommand = Exclude<keyof FleetCommands, keyof ObserveCommands>;

/** Every mutating command name, for run-time checks. */
export const MUTATING_COMMANDS: readonly MutatingCommand[] = [
  'launch',
  'stopJob',
  'removeJob',
  'sendToJob',
  'resumeJob',
  'provisionWorker',
  'startWorker',
  'stopWorker',
  'suspendWorker',
  'rebuildWorker',
];

/** Observing commands with no mutating member: a {@link FleetCommands} object does not even type-check as one. */
export type ReadOnlyCommands = ObserveCommands & { readonly [K in MutatingCommand]?: never };

/** Everything a dashboard is made of. */
export interface DashboardOptions {
  readonly fleet: FleetSource;
  readonly access: DashboardAccess;
  readonly host: DashboardHost;
  /** The compact, self-refreshing wallboard of `mission-control watch`. */
  readonly wallboard?: boolean;
  /** Colours on (false under NO_COLOR). */
  readonly color?: boolean;
  readonly kinds?: readonly LaunchKind[];
  /** The keys that approve a waiting job's prompt (by its agent preset); default {@link defaultApproveFor}. */
  readonly approveFor?: ApproveLookup;
  readonly ui?: UiStore;
  readonly clock?: Clock;
  readonly feeds?: FeedStore;
}

/** The dashboard's model, shared through React context and by key handlers. */
export interface Dashboard {
  readonly fleet: FleetSource;
  readonly ui: UiStore;
  readonly clock: Clock;
  readonly feeds: FeedStore;
  readonly host: DashboardHost;
  readonly readOnly: boolean;
  readonly wallboard: boolean;
  readonly color: boolean;
  readonly kinds: readonly LaunchKind[];
  /** The keys that approve a waiting job's prompt, or undefined when its agent has none known. */
  readonly approveFor: ApproveLookup;
  /** The key table of this mode (no mutating row when read-only). */
  readonly bindings: readonly Binding[];
  readonly lineCommands: readonly LineCommand[];
  /** The observing commands (every dashboard has them). */
  readonly observe: ObserveCommands;
  /** The commands that change the fleet, or undefined (read-only, or not in this build). */
  readonly mutate: FleetCommands | undefined;
  /** Why mutating keys are disabled in a full dashboard, or undefined. */
  readonly mutationsUnavailable: string | undefined;
  /** The rows of the jobs table for these states (memoised). */
  rowsOf(fleet: FleetState, query: RowsQuery, now: number): JobRows;
  /** The rows as they are now. */
  rows(): JobRows;
  /** The selected job as it is now. */
  selectedJob(): Job | undefined;
  /** The worker actions apply to: the selected worker in the workers pane, else the selected job's worker. */
  focusedWorker(): WorkerView | undefined;
  /** The jobs a job action applies to: the marked ones, else the selected one. */
  targetJobs(): readonly Job[];
  /** What disabled-reasons look at, now. */
  bindingContext(): BindingContext;
}

/** Creates the dashboard model. */
export function createDashboard(options: DashboardOptions): Dashboard {
  const ui = options.ui ?? createUiStore();
  const clock = options.clock ?? createClock();
  const feeds = options.feeds ?? createFeedStore();
  const cache = createJobRowsCache();
  const access = options.access;
  const readOnly = access.readOnly;
  if (readOnly) {
    const present = MUTATING_COMMANDS.filter((name) => name in access.commands);
    if (present.length > 0) throw new Error(`a read-only dashboard was given mutating commands: ${present.join(', ')}`);
  }
  const mutate = !access.readOnly && !('mutationsUnavailable' in access) ? access.commands : undefined;
  const mutationsUnavailable = !access.readOnly && 'mutationsUnavailable' in access ? access.mutationsUnavailable : undefined;

  const rowsOf = (fleet: FleetState, state: RowsQuery, now: number) =>
    cache(selectAllJobs(fleet), {
      filter: state.filter,
      workerFilter: state.workerFilter,
      attentionOnly: state.attentionOnly,
      sort: state.sort,
      now,
    });
  const rows = () => rowsOf(options.fleet.getState(), ui.getState(), clock.getState());
  const selectedJob = () => {
    const { jobs, keys } = rows();
    const state = ui.getState();
    return jobs[resolveCursor(keys, state.selectedJobKey, state.jobCursor)];
  };
  const workerNames = () => options.fleet.getState().workerOrder;
  const focusedWorker = () => {
    const fleet = options.fleet.getState();
    const state = ui.getState();
    if (state.focus === 'workers') {
      const names = workerNames();
      const name = names[resolveCursor(names, state.selectedWorker, state.workerCursor)];
      return name === undefined ? undefined : fleet.workers[name];
    }
    const job = selectedJob();
    return job ? fleet.workers[job.worker] : undefined;
  };
  const targetJobs = () => {
    const marks = ui.getState().marks;
    if (marks.size > 0) return selectAllJobs(options.fleet.getState()).filter((job) => marks.has(job.key));
    const job = selectedJob();
    return job ? [job] : [];
  };

  return {
    fleet: options.fleet,
    ui,
    clock,
    feeds,
    host: options.host,
    readOnly,
    wallboard: options.wallboard ?? false,
    color: options.color ?? true,
    kinds: options.kinds ?? BUILTIN_LAUNCH_KINDS,
    approveFor: options.approveFor ?? defaultApproveFor,
    bindings: bindingsFor(readOnly),
    lineCommands: lineCommandsFor(readOnly),
    observe: access.commands,
    mutate,
    mutationsUnavailable,
    rowsOf,
    rows,
    selectedJob,
    focusedWorker,
    targetJobs,
    bindingContext: () => ({ job: selectedJob(), targets: targetJobs(), worker: focusedWorker(), mutationsUnavailable }),
  };
}

/** The scopes whose keys are live in this UI state, most specific first. */
export function activeScopes(state: UiState): readonly Scope[] {
  switch (state.overlay.kind) {
    case 'confirm':
      return ['confirm', 'always'];
    case 'help':
      return ['help', 'always'];
    case 'log':
      return ['log', 'always'];
    case 'diff':
      return ['diff', 'always'];
    case 'launch':
      return ['launch', 'always'];
    case 'none':
      break;
  }
  if (state.input) return state.input.kind === 'command' ? ['command', 'input', 'always'] : ['input', 'always'];
  return [state.focus, 'list', 'global', 'always'];
}
