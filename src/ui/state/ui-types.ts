/**
 * The dashboard's own state: what the user is looking at and doing, never what the fleet is. It lives in a
 * store of its own (see `ui-store.ts`) so it survives the dashboard being unmounted for an attach.
 */
import type { LaunchRequest } from '../../app/commands.js';
import type { JobTarget } from '../../state/job-target.js';

/** The panes that take list navigation. */
export type Pane = 'jobs' | 'workers';

/** The views that scroll. */
export type Viewport = 'jobs' | 'log' | 'help';

/** Columns the jobs table can be sorted by; `natural` is config order of workers, then the worker's order. */
export type SortKey = 'natural' | 'id' | 'worker' | 'kind' | 'state' | 'age' | 'output';

/** Every sort key, in the order `o` cycles through them. */
export const SORT_KEYS: readonly SortKey[] = ['natural', 'id', 'worker', 'kind', 'state', 'age', 'output'];

/** How the jobs table is sorted. */
export interface SortState {
  readonly key: SortKey;
  readonly descending: boolean;
}

/**
 * A mutating action waiting for confirmation, as data: the dialog shows it, `y` runs it. Jobs are the exact targets
 * listed in the dialog (fixed when it opened), never keys to look up again when `y` is pressed.
 */
export type PendingAction =
  | { readonly type: 'stop-jobs'; readonly jobs: readonly JobTarget[] }
  | { readonly type: 'remove-jobs'; readonly jobs: readonly JobTarget[] }
  /** `asked`: the question the dialog showed; the answer is sent only while the job still asks exactly that. */
  | { readonly type: 'approve-job'; readonly job: JobTarget; readonly keys: readonly string[]; readonly asked: string }
  /** `overBudget`: the user saw the monthly budget's figures and confirmed going past it. */
  | { readonly type: 'provision-worker'; readonly worker: string; readonly overBudget?: boolean }
  | { readonly type: 'start-worker'; readonly worker: string; readonly overBudget?: boolean }
  | { readonly type: 'stop-worker'; readonly worker: string }
  | { readonly type: 'suspend-worker'; readonly worker: string }
  | { readonly type: 'rebuild-worker'; readonly worker: string; readonly overBudget?: boolean }
  /** A launch again, after the monthly budget refused waking its worker (`request.worker`, `request.overBudget`). */
  | { readonly type: 'launch-job'; readonly request: LaunchRequest };

/** What a confirmation dialog says: exactly what will happen, to which jobs or worker. */
export interface ConfirmRequest {
  readonly title: string;
  /** One line per affected job or consequence. */
  readonly lines: readonly string[];
  /** The verb on the confirm key, e.g. `stop 2 jobs`. */
  readonly confirmLabel: string;
  readonly action: PendingAction;
}

/** The `n` form: a job kind, an optional worker, and the kind's parameters. */
export interface LaunchFormState {
  /** Index into the launch kinds. */
  readonly kindIndex: number;
  /** A worker name, or undefined to let placement choose. */
  readonly worker: string | undefined;
  /** Parameter values by name, as typed. */
  readonly params: Readonly<Record<string, string>>;
  /** The focused field: 0 is the kind, 1 the worker, then the kind's parameters in order. */
  readonly field: number;
  /** Why the last submit was refused. */
  readonly error: string | undefined;
}

/** A full-screen or modal view over the panes. */
export type Overlay =
  | { readonly kind: 'none' }
  | { readonly kind: 'help'; readonly scroll: number }
  | {
      readonly kind: 'log';
      readonly jobKey: string;
      /** Keep the view at the end of the log as it grows. */
      readonly follow: boolean;
      /** Lines scrolled up from the end (0 while following). */
      readonly scroll: number;
    }
  | {
      readonly kind: 'diff';
      readonly jobKey: string;
      /** Lines scrolled down from the top. */
      readonly scroll: number;
    }
  | { readonly kind: 'confirm'; readonly request: ConfirmRequest }
  | { readonly kind: 'launch'; readonly form: LaunchFormState };

/** The one-line text input at the bottom: the `/` filter, the `:` command line, or a reply to a job (`i`). */
export interface InputLine {
  readonly kind: 'filter' | 'command' | 'reply';
  /** The job a reply goes to, fixed when the line opened. */
  readonly target?: JobTarget;
  readonly text: string;
  /** The text before the input opened. */
  readonly before: string;
  /** What tab completion found when it was ambiguous. */
  readonly candidates: readonly string[];
}

/** A long operation (launch, stop, provision): shown in place while it runs, input never waits for it. */
export interface Operation {
  readonly id: number;
  /** What it is, e.g. `stop local/alpha`. */
  readonly label: string;
  /** The last step the operation reported. */
  readonly step: string;
  readonly status: 'running' | 'done' | 'failed';
  /** The error, for a failed operation (sanitized). */
  readonly error: string | undefined;
  readonly startedAt: number;
}

/** A short line for the user (the outcome of the last action). */
export interface Notice {
  readonly text: string;
  readonly tone: 'info' | 'error';
  readonly at: number;
}

/** The whole UI state. */
export interface UiState {
  readonly focus: Pane;
  /** The selected job, by key so it survives refreshes and re-sorting. */
  readonly selectedJobKey: string | undefined;
  /** Row of the selection: where it falls back to when the selected job disappears. */
  readonly jobCursor: number;
  /** First visible row of the jobs table. */
  readonly jobsTop: number;
  /** Rows each scrolling view showed at the last layout (navigation pages by them). */
  readonly viewports: Readonly<Record<Viewport, number>>;
  readonly selectedWorker: string | undefined;
  readonly workerCursor: number;
  /** The `/` filter as typed (see `job-rows.ts` for its syntax). */
  readonly filter: string;
  /** Jobs of this worker only (`:worker NAME`, enter on a worker). */
  readonly workerFilter: string | undefined;
  /** Only rows that need attention. */
  readonly attentionOnly: boolean;
  readonly sort: SortState;
  /** Marked job keys, for bulk actions. */
  readonly marks: ReadonlySet<string>;
  readonly overlay: Overlay;
  readonly input: InputLine | undefined;
  readonly operations: readonly Operation[];
  readonly notice: Notice | undefined;
  /** Set when the user asked to quit. */
  readonly quitting: boolean;
}
