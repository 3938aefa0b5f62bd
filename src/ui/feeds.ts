/**
 * Fetching text for what is on screen, outside React: the selected job's pane capture (only that job, only while
 * the preview is shown) and the open log view's tail. Fetches never overlap; a late answer for a job that is no
 * longer selected is dropped. Everything fetched is sanitized here, once, before it reaches the store.
 */
import { CONTAINER_LOG_LINES } from '../app/container-log.js';
import { sanitizeBlock } from '../text/sanitize.js';
import { errorText } from './actions/operations.js';
import type { Dashboard } from './dashboard.js';
import type { TextFeed } from './state/feed-store.js';

/** A running feed. */
export interface Feed {
  /** Stops fetching (an attach, the end). */
  pause(): void;
  /** Starts again, fetching now. */
  resume(): void;
  stop(): void;
}

/** How often the preview and a followed log are fetched. */
export const FEED_INTERVAL_MS = 1000;
/** Lines of capture asked for (the pane shows the last ones that fit). */
export const PREVIEW_LINES = 60;
/** Bytes of log read per fetch. */
export const LOG_BYTES = 128 * 1024;
/** Lines of log kept for scrolling. */
export const LOG_LINES_KEPT = 4000;

/**
 * Remote text as lines for the terminal: carriage-return overwrites applied, then sanitized (colours kept or, under
 * NO_COLOR, stripped). A line with colours ends with a reset, so a colour left open (tmux closes none at the end of
 * a captured line) cannot run into the rest of the screen.
 */
export function screenLines(text: string, keepColor: boolean): string[] {
  const overwritten = text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => {
      const cut = line.lastIndexOf('\r', line.length - 2);
      return cut >= 0 ? line.slice(cut + 1) : line.replace(/\r$/, '');
    })
    .join('\n');
  return sanitizeBlock(overwritten, { keepColor })
    .split('\n')
    .map((line) => (keepColor && line.includes('\x1b[') ? `${line}\x1b[0m` : line));
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, index) => line === b[index]);
}

interface FeedSpec {
  /** The job to fetch for now, or undefined when nothing is shown. */
  readonly target: () => string | undefined;
  /** Whether to fetch again on the interval (the log fetches once when not following). */
  readonly repeat: () => boolean;
  readonly fetch: (jobKey: string) => Promise<string>;
  readonly current: () => TextFeed | undefined;
  readonly store: (feed: TextFeed | undefined) => void;
  readonly keep: number;
}

function startFeed(dashboard: Dashboard, spec: FeedSpec, intervalMs: number, debounceMs: number): Feed {
  let timer: NodeJS.Timeout | undefined;
  let paused = false;
  let stopped = false;
  let inFlight = false;
  let fetchedFor: string | undefined;
  let generation = 0;

  const schedule = (ms: number) => {
    if (timer) clearTimeout(timer);
    timer = paused || stopped ? undefined : setTimeout(tick, ms);
    timer?.unref();
  };

  const tick = () => {
    timer = undefined;
    const jobKey = spec.target();
    if (jobKey === undefined) {
      fetchedFor = undefined;
      return;
    }
    if (inFlight) return;
    if (fetchedFor === jobKey && !spec.repeat()) return;
    inFlight = true;
    const mine = ++generation;
    spec.fetch(jobKey).then(
      (text) => {
        if (mine !== generation || stopped) return;
        fetchedFor = jobKey;
        const lines = screenLines(text, dashboard.color).slice(-spec.keep);
        const previous = spec.current();
        // An unchanged screen is not stored again: no redraw for a job that printed nothing.
        if (previous?.jobKey === jobKey && previous.error === undefined && sameLines(previous.lines, lines)) return;
        spec.store({ jobKey, lines, error: undefined, at: Date.now() });
      },
      (error: unknown) => {
        if (mine !== generation || stopped) return;
        fetchedFor = jobKey;
        const previous = spec.current();
        spec.store({ jobKey, lines: previous?.jobKey === jobKey ? previous.lines : [], error: errorText(error), at: Date.now() });
      },
    ).finally(() => {
      inFlight = false;
      // A fetch that went stale while in flight hands over at once to the job selected since.
      schedule(mine === generation && spec.target() === jobKey ? intervalMs : 0);
    });
  };

  let wanted = spec.target();
  const onChange = () => {
    const next = spec.target();
    if (next === wanted) {
      if (next !== undefined && !timer && !inFlight) schedule(intervalMs);
      return;
    }
    wanted = next;
    generation += 1;
    fetchedFor = undefined;
    if (next !== undefined && !inFlight) schedule(debounceMs);
  };
  const unsubscribes = [dashboard.ui.subscribe(onChange), dashboard.fleet.subscribe(onChange)];
  schedule(0);

  return {
    pause() {
      paused = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    resume() {
      paused = false;
      fetchedFor = undefined;
      schedule(0);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const unsubscribe of unsubscribes) unsubscribe();
    },
  };
}

/** Fetches the selected job's screen while the preview pane shows it (never in the wallboard). */
export function startPreviewFeed(dashboard: Dashboard, intervalMs = FEED_INTERVAL_MS): Feed {
  return startFeed(
    dashboard,
    {
      target: () => {
        if (dashboard.wallboard) return undefined;
        const state = dashboard.ui.getState();
        // The workers pane focused puts the worker's detail in the preview's place: no capture then.
        if (state.overlay.kind !== 'none' || state.focus === 'workers') return undefined;
        const job = dashboard.selectedJob();
        return job?.paneId ? job.key : undefined;
      },
      repeat: () => true,
      fetch: (jobKey) => dashboard.observe.capture(jobKey, PREVIEW_LINES),
      current: () => dashboard.feeds.getState().preview,
      store: (preview) => dashboard.feeds.setState({ preview }),
      keep: PREVIEW_LINES,
    },
    intervalMs,
    150,
  );
}

/** How often the worker detail reads its container's log. */
export const CONTAINER_LOG_INTERVAL_MS = 5000;

/** Reads the selected worker's container log while the worker detail shows it (workers pane focused). */
export function startContainerLogFeed(dashboard: Dashboard, intervalMs = CONTAINER_LOG_INTERVAL_MS): Feed {
  return startFeed(
    dashboard,
    {
      target: () => {
        const state = dashboard.ui.getState();
        if (dashboard.wallboard || state.overlay.kind !== 'none' || state.focus !== 'workers') return undefined;
        const worker = dashboard.focusedWorker();
        return worker?.container?.exists && worker.connection === 'up' ? worker.name : undefined;
      },
      repeat: () => true,
      fetch: (worker) => dashboard.observe.containerLog(worker),
      current: () => dashboard.feeds.getState().containerLog,
      store: (containerLog) => dashboard.feeds.setState({ containerLog }),
      keep: CONTAINER_LOG_LINES,
    },
    intervalMs,
    150,
  );
}

/** Lines of a diff kept for scrolling (the text itself is capped on the worker). */
export const DIFF_LINES_KEPT = 100_000;

/** Fetches the open diff view's job diff, once each time the view opens. */
export function startDiffFeed(dashboard: Dashboard, intervalMs = FEED_INTERVAL_MS): Feed {
  return startFeed(
    dashboard,
    {
      target: () => {
        const { overlay } = dashboard.ui.getState();
        return overlay.kind === 'diff' ? overlay.jobKey : undefined;
      },
      repeat: () => false,
      fetch: (jobKey) => dashboard.observe.readDiff(jobKey),
      current: () => dashboard.feeds.getState().diff,
      store: (diff) => dashboard.feeds.setState({ diff }),
      keep: DIFF_LINES_KEPT,
    },
    intervalMs,
    0,
  );
}

/** Fetches the open log view's job log: once, then on the interval while it is followed. */
export function startLogFeed(dashboard: Dashboard, intervalMs = FEED_INTERVAL_MS): Feed {
  return startFeed(
    dashboard,
    {
      target: () => {
        const { overlay } = dashboard.ui.getState();
        return overlay.kind === 'log' ? overlay.jobKey : undefined;
      },
      repeat: () => {
        const { overlay } = dashboard.ui.getState();
        return overlay.kind === 'log' && overlay.follow;
      },
      fetch: (jobKey) => dashboard.observe.readLog(jobKey, { bytes: LOG_BYTES }),
      current: () => dashboard.feeds.getState().log,
      store: (log) => dashboard.feeds.setState({ log }),
      keep: LOG_LINES_KEPT,
    },
    intervalMs,
    0,
  );
}
