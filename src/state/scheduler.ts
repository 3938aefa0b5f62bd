/** Refreshes one worker; rejects when the worker could not be refreshed. */
export type RefreshWorker = (worker: string, signal: AbortSignal) => Promise<void>;

/** Timing of one worker's loop. */
export interface PollTiming {
  /**
   * Read before every wait, so it may be a getter: a worker whose changes are pushed is polled slower while its
   * stream holds (the fleet decides), without restarting its loop.
   */
  readonly intervalMs: number;
}

/** Longest wait between attempts while a worker is down. */
export const MAX_BACKOFF_MS = 30_000;

interface Loop {
  timing: PollTiming;
  failures: number;
  running: boolean;
  again: boolean;
  wake: (() => void) | undefined;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * One polling loop per worker. A loop never overlaps itself (a refresh still in flight absorbs the next tick),
 * loops never wait on each other, a worker that fails backs off exponentially (with jitter, capped), and
 * `refreshNow` cuts any wait short.
 */
export class PollScheduler {
  private readonly loops = new Map<string, Loop>();
  private stopped = false;

  constructor(
    private readonly refresh: RefreshWorker,
    private readonly random: () => number = Math.random,
  ) {}

  /** Makes the set of polled workers equal to `workers`: starts new loops, retimes kept ones, stops removed ones. */
  setWorkers(workers: ReadonlyMap<string, PollTiming>): void {
    for (const [name, loop] of this.loops) {
      if (!workers.has(name)) {
        this.loops.delete(name);
        loop.controller.abort();
        loop.wake?.();
      }
    }
    for (const [name, timing] of workers) {
      const loop = this.loops.get(name);
      if (loop) loop.timing = timing;
      else this.start(name, timing);
    }
  }

  /** Refreshes a worker (or every worker) as soon as possible. */
  refreshNow(worker?: string): void {
    for (const [name, loop] of this.loops) {
      if (worker !== undefined && name !== worker) continue;
      if (loop.running) loop.again = true;
      loop.failures = Math.min(loop.failures, 1);
      loop.wake?.();
    }
  }

  /** Stops every loop and waits for refreshes in flight to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    const loops = [...this.loops.values()];
    this.loops.clear();
    for (const loop of loops) {
      loop.controller.abort();
      loop.wake?.();
    }
    await Promise.all(loops.map((loop) => loop.done));
  }

  /** The delay before the next attempt after `failures` failures in a row. */
  nextDelay(intervalMs: number, failures: number): number {
    if (failures === 0) return intervalMs;
    const base = Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** (failures - 1));
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }

  private start(name: string, timing: PollTiming): void {
    const loop: Loop = {
      timing,
      failures: 0,
      running: false,
      again: false,
      wake: undefined,
      controller: new AbortController(),
      done: Promise.resolve(),
    };
    this.loops.set(name, loop);
    loop.done = this.run(name, loop);
  }

  private async run(name: string, loop: Loop): Promise<void> {
    const { signal } = loop.controller;
    while (!signal.aborted && !this.stopped) {
      const started = Date.now();
      loop.running = true;
      loop.again = false;
      try {
        await this.refresh(name, signal);
        loop.failures = 0;
      } catch {
        loop.failures += 1;
      } finally {
        loop.running = false;
      }
      if (signal.aborted || this.stopped) break;
      if (loop.again) continue;
      const delay =
        loop.failures === 0
          ? Math.max(0, loop.timing.intervalMs - (Date.now() - started))
          : this.nextDelay(loop.timing.intervalMs, loop.failures);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, delay);
        function finish() {
          clearTimeout(timer);
          loop.wake = undefined;
          resolve();
        }
        loop.wake = finish;
      });
    }
  }
}
