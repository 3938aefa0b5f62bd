import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FleetState } from '../../state/store.js';

/** A read-only view of a store whose state follows its source at a bounded rate. */
export interface ThrottledStore<T> extends Pick<StoreApi<T>, 'getState' | 'getInitialState' | 'subscribe'> {
  /** Publishes the source's state now (e.g. before the first frame). */
  flush(): void;
  /** Stops following the source. */
  dispose(): void;
}

/** A clock for ages on screen ("3m ago"): one tick per interval, shared by every component that shows time. */
export interface Clock extends Pick<StoreApi<number>, 'getState' | 'getInitialState' | 'subscribe'> {
  /** Stops ticking (the value stays). */
  stop(): void;
  /** Starts ticking again. */
  start(): void;
}

/** Creates a {@link Clock} holding `Date.now()`, refreshed every `intervalMs` while started; `fixed` freezes it (tests). */
export function createClock(intervalMs = 1000, fixed?: number): Clock {
  const store = createStore<number>()(() => fixed ?? Date.now());
  let timer: NodeJS.Timeout | undefined;
  const clock: Clock = {
    getState: store.getState,
    getInitialState: store.getInitialState,
    subscribe: store.subscribe,
    start() {
      if (timer || fixed !== undefined) return;
      store.setState(Date.now(), true);
      timer = setInterval(() => store.setState(Date.now(), true), intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  return clock;
}

/** The fleet as the screen shows it, and the screen's clock, moving together. */
export interface FrameTicker {
  /** The fleet's state as last published. */
  readonly fleet: ThrottledStore<FleetState>;
  /** The time as last published. */
  readonly clock: Clock;
  /** Publishes now (the first frame, a key that needs fresh data). */
  flush(): void;
  /**
   * Says how long the last frame took (from its publish until it was written). Job state changes then wait at
   * least {@link FRAME_SHARE} times that since the last publish, so frames of a big fleet cannot take the whole
   * thread from the scans behind them (at most a beat, so a change still shows within one).
   */
  frameCost(ms: number): void;
  start(): void;
  stop(): void;
}

/** The shortest time between two publishes a job state change may cause: at most 10 frames a second. */
export const MIN_FRAME_GAP_MS = 100;

/** Publishes a job state change causes are at least this many frame costs apart: frames take at most a quarter of the thread. */
export const FRAME_SHARE = 4;

/**
 * True when some job changed state (or appeared, or went) between two fleet states. Only the workers whose job
 * list is a new array are compared, so a scan that changed nothing costs one reference check per worker.
 */
export function jobStatesChanged(before: FleetState, after: FleetState): boolean {
  if (before.jobsByWorker === after.jobsByWorker) return false;
  for (const name of new Set([...Object.keys(before.jobsByWorker), ...Object.keys(after.jobsByWorker)])) {
    const old = before.jobsByWorker[name] ?? [];
    const now = after.jobsByWorker[name] ?? [];
    if (old === now) continue;
    if (old.length !== now.length) return true;
    const states = new Map(old.map((job) => [job.key, job.state]));
    if (now.some((job) => states.get(job.key) !== job.state)) return true;
  }
  return false;
}

/**
 * Drives the screen's redraws from one beat: every `intervalMs` the clock moves and, when the fleet changed, the
 * fleet's state is published with it, in the same tick, so the two make one frame (a concurrent React root
 * batches them). Twenty workers answering polls at different moments still cost one frame a beat. A change
 * after more than a beat without any publish (the very first scan) goes out after `quietMs` instead. A job that
 * changed state (a job starts waiting for the user) is not held for the beat: it goes out in the same turn when
 * the last publish is `minGapMs` (or the frame-cost spacing) old, else when that gap is over, so such changes
 * still make at most 10 frames a second.
 */
export function createFrameTicker(
  source: Pick<StoreApi<FleetState>, 'getState' | 'subscribe'>,
  intervalMs = 1000,
  quietMs = 50,
  minGapMs = MIN_FRAME_GAP_MS,
): FrameTicker {
  const fleet = createStore<FleetState>()(() => source.getState());
  const time = createStore<number>()(() => Date.now());
  let dirty = false;
  let lastPublish = 0;
  let beat: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  let gapMs = minGapMs;
  const publish = () => {
    if (soon) clearTimeout(soon);
    soon = undefined;
    lastPublish = Date.now();
    time.setState(lastPublish, true);
    if (dirty) {
      dirty = false;
      fleet.setState(source.getState(), true);
    }
  };
  // When the pending publish is due (`soon`), so a job state change can bring it forward.
  let soonAt = 0;
  const publishIn = (ms: number) => {
    if (soon) clearTimeout(soon);
    soonAt = Date.now() + ms;
    soon = setTimeout(publish, ms);
  };
  const unsubscribe = source.subscribe((state) => {
    dirty = true;
    if (!beat) return;
    const now = Date.now();
    const sinceLast = now - lastPublish;
    if (jobStatesChanged(fleet.getState(), state)) {
      const wait = Math.max(0, gapMs - sinceLast);
      // Leading edge: the frames of the last gap are over, so the change goes out in this very turn (a timer of
      // 0 ms waits behind every other callback of a busy loop, the scans' I/O included).
      if (wait === 0) publish();
      else if (!soon || soonAt > now + wait) publishIn(wait);
    } else if (!soon && sinceLast >= intervalMs) publishIn(quietMs);
  });
  const view = <T>(store: StoreApi<T>) => ({ getState: store.getState, getInitialState: store.getInitialState, subscribe: store.subscribe });
  return {
    fleet: {
      ...view(fleet),
      flush: () => {
        dirty = true;
        publish();
      },
      dispose: unsubscribe,
    },
    clock: { ...view(time), start: () => undefined, stop: () => undefined },
    flush() {
      dirty = true;
      publish();
    },
    frameCost(ms) {
      gapMs = Math.min(intervalMs, Math.max(minGapMs, FRAME_SHARE * ms));
    },
    start() {
      if (beat) return;
      beat = setInterval(publish, intervalMs);
      beat.unref();
    },
    stop() {
      if (beat) clearInterval(beat);
      if (soon) clearTimeout(soon);
      beat = undefined;
      soon = undefined;
      unsubscribe();
    },
  };
}
