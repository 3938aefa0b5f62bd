import { createStore, type StoreApi } from 'zustand/vanilla';
import type { JobTarget } from '../../state/job-target.js';
import { clamp, resolveCursor, scrollTop } from './selection.js';
import {
  SORT_KEYS,
  type InputLine,
  type LaunchFormState,
  type Notice,
  type Operation,
  type Overlay,
  type Pane,
  type UiState,
  type Viewport,
} from './ui-types.js';

/** How many finished operations are kept for display (running ones are always kept). */
const FINISHED_OPERATIONS_KEPT = 3;

/** The actions that change the UI state: small, pure updates. */
export interface UiActions {
  setFocus(pane: Pane): void;
  /** Moves focus to the other pane. */
  cycleFocus(): void;
  /** Moves the jobs cursor within the listed `keys` (the rows as shown) to the row `to` returns. */
  moveJobCursor(keys: readonly string[], to: (cursor: number, viewport: number) => number): void;
  /** Selects a job by key (e.g. after a launch), if it is listed. */
  selectJob(keys: readonly string[], key: string): void;
  /** Records how many rows a scrolling view shows (set by the layout). */
  setViewport(view: Viewport, rows: number): void;
  moveWorkerCursor(names: readonly string[], to: (cursor: number) => number): void;
  setFilter(text: string): void;
  setWorkerFilter(worker: string | undefined): void;
  toggleAttention(): void;
  cycleSort(): void;
  reverseSort(): void;
  toggleMark(key: string): void;
  clearMarks(): void;
  /** Drops marks of jobs that no longer exist. */
  pruneMarks(existing: ReadonlySet<string>): void;
  openOverlay(overlay: Overlay): void;
  closeOverlay(): void;
  updateOverlay(update: (overlay: Overlay) => Overlay): void;
  updateLaunchForm(update: (form: LaunchFormState) => LaunchFormState): void;
  /** Opens the input line; a reply names the job it goes to. */
  openInput(kind: InputLine['kind'], target?: JobTarget): void;
  /** Replaces the input's text (and the completion candidates shown beside it). */
  editInput(text: string, candidates?: readonly string[]): void;
  closeInput(): void;
  startOperation(label: string, now?: number): number;
  reportOperation(id: number, step: string): void;
  finishOperation(id: number, error?: string): void;
  notify(text: string, tone?: Notice['tone'], now?: number): void;
  quit(): void;
}

/** The UI store: vanilla, so it outlives any one mounting of the Ink tree. */
export type UiStore = StoreApi<UiState & UiActions>;

/** The state a fresh dashboard starts in. */
export function initialUiState(): UiState {
  return {
    focus: 'jobs',
    selectedJobKey: undefined,
    jobCursor: 0,
    jobsTop: 0,
    viewports: { jobs: 10, log: 20, help: 20 },
    selectedWorker: undefined,
    workerCursor: 0,
    filter: '',
    workerFilter: undefined,
    attentionOnly: false,
    sort: { key: 'natural', descending: false },
    marks: new Set(),
    overlay: { kind: 'none' },
    input: undefined,
    operations: [],
    notice: undefined,
    quitting: false,
  };
}

/** Creates the UI store, optionally from a partial state (tests). */
export function createUiStore(initial: Partial<UiState> = {}): UiStore {
  let nextOperation = 1;
  return createStore<UiState & UiActions>()((set, get) => ({
    ...initialUiState(),
    ...initial,

    setFocus(pane) {
      if (get().focus !== pane) set({ focus: pane });
    },

    cycleFocus() {
      set({ focus: get().focus === 'jobs' ? 'workers' : 'jobs' });
    },

    moveJobCursor(keys, to) {
      const state = get();
      if (keys.length === 0) return;
      const current = resolveCursor(keys, state.selectedJobKey, state.jobCursor);
      const cursor = clamp(to(current, state.viewports.jobs), 0, keys.length - 1);
      const top = scrollTop(state.jobsTop, cursor, state.viewports.jobs, keys.length);
      set({ jobCursor: cursor, selectedJobKey: keys[cursor], jobsTop: top });
    },

    selectJob(keys, key) {
      const index = keys.indexOf(key);
      if (index < 0) {
        set({ selectedJobKey: key });
        return;
      }
      const state = get();
      set({ selectedJobKey: key, jobCursor: index, jobsTop: scrollTop(state.jobsTop, index, state.viewports.jobs, keys.length) });
    },

    setViewport(view, rows) {
      const { viewports } = get();
      if (viewports[view] !== rows) set({ viewports: { ...viewports, [view]: rows } });
    },

    moveWorkerCursor(names, to) {
      if (names.length === 0) return;
      const state = get();
      const current = resolveCursor(names, state.selectedWorker, state.workerCursor);
      const cursor = clamp(to(current), 0, names.length - 1);
      set({ workerCursor: cursor, selectedWorker: names[cursor] });
    },

    setFilter(text) {
      set({ filter: text, jobCursor: 0, jobsTop: 0, selectedJobKey: undefined });
    },

    setWorkerFilter(worker) {
      set({ workerFilter: worker, jobCursor: 0, jobsTop: 0, selectedJobKey: undefined });
    },

    toggleAttention() {
      set({ attentionOnly: !get().attentionOnly, jobCursor: 0, jobsTop: 0, selectedJobKey: undefined });
    },

    cycleSort() {
      const { sort } = get();
      const next = SORT_KEYS[(SORT_KEYS.indexOf(sort.key) + 1) % SORT_KEYS.length] ?? 'natural';
      set({ sort: { key: next, descending: sort.descending } });
    },

    reverseSort() {
      const { sort } = get();
      set({ sort: { key: sort.key, descending: !sort.descending } });
    },

    toggleMark(key) {
      const marks = new Set(get().marks);
      if (marks.has(key)) marks.delete(key);
      else marks.add(key);
      set({ marks });
    },

    clearMarks() {
      if (get().marks.size > 0) set({ marks: new Set() });
    },

    pruneMarks(existing) {
      const { marks } = get();
      if ([...marks].every((key) => existing.has(key))) return;
      set({ marks: new Set([...marks].filter((key) => existing.has(key))) });
    },

    openOverlay(overlay) {
      set({ overlay, input: undefined });
    },

    closeOverlay() {
      set({ overlay: { kind: 'none' } });
    },

    updateOverlay(update) {
      set({ overlay: update(get().overlay) });
    },

    updateLaunchForm(update) {
      const { overlay } = get();
      if (overlay.kind !== 'launch') return;
      set({ overlay: { kind: 'launch', form: update(overlay.form) } });
    },

    openInput(kind, target) {
      const state = get();
      const before = kind === 'filter' ? state.filter : '';
      set({ input: { kind, text: before, before, candidates: [], ...(target ? { target } : {}) } });
    },

    editInput(text, candidates = []) {
      const { input } = get();
      if (!input) return;
      set({ input: { ...input, text, candidates } });
      if (input.kind === 'filter') get().setFilter(text);
    },

    closeInput() {
      set({ input: undefined });
    },

    startOperation(label, now = Date.now()) {
      const id = nextOperation++;
      const operation: Operation = { id, label, step: 'starting', status: 'running', error: undefined, startedAt: now };
      set({ operations: trimOperations([...get().operations, operation]) });
      return id;
    },

    reportOperation(id, step) {
      set({ operations: get().operations.map((op) => (op.id === id ? { ...op, step } : op)) });
    },

    finishOperation(id, error) {
      const operations = get().operations.map((op) =>
        op.id === id ? { ...op, status: error === undefined ? ('done' as const) : ('failed' as const), error } : op,
      );
      set({ operations: trimOperations(operations) });
    },

    notify(text, tone = 'info', now = Date.now()) {
      set({ notice: { text, tone, at: now } });
    },

    quit() {
      set({ quitting: true });
    },
  }));
}

/** Keeps every running operation and the last few finished ones, so a dashboard left for days does not grow. */
function trimOperations(operations: readonly Operation[]): readonly Operation[] {
  const finished = operations.filter((op) => op.status !== 'running');
  if (finished.length <= FINISHED_OPERATIONS_KEPT) return operations;
  const dropped = new Set(finished.slice(0, finished.length - FINISHED_OPERATIONS_KEPT).map((op) => op.id));
  return operations.filter((op) => !dropped.has(op.id));
}
