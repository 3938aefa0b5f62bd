/**
 * Keeps notifications few: a job that flaps between waiting and working does not ring twenty times, and a fleet
 * where twenty jobs finish at once does not flood the desktop. Pure, with the clock passed in.
 */
import type { NotifyEvent } from './events.js';

/** How often notifications may come. */
export interface NotifyLimits {
  /** The same job in the same state with the same reason is announced once in this long. */
  readonly repeatMs: number;
  /**
   * One job entering one state is announced at most once in this long, whatever the reason: a job flapping back
   * into waiting stays quiet, while a job answered and finishing its turn soon after still announces both.
   */
  readonly jobGapMs: number;
  /** At most `burst` notifications in `windowMs` over the whole fleet. */
  readonly burst: number;
  readonly windowMs: number;
}

/** Ten minutes for a repeat, thirty seconds between two of one job in one state, five a minute in all. */
export const DEFAULT_LIMITS: NotifyLimits = { repeatMs: 10 * 60_000, jobGapMs: 30_000, burst: 5, windowMs: 60_000 };

/** Decides, event by event, which ones are announced (`true`) and which are dropped. */
export function createNotifyLimiter(limits: NotifyLimits = DEFAULT_LIMITS): (event: NotifyEvent, now: number) => boolean {
  const lastOfJob = new Map<string, { readonly at: number; readonly what: string }>();
  const lastOfWhat = new Map<string, number>();
  let recent: number[] = [];
  return (event, now) => {
    const what = `${event.job}\n${event.state}\n${event.reason}`;
    const repeated = lastOfWhat.get(what);
    if (repeated !== undefined && now - repeated < limits.repeatMs) return false;
    const jobState = `${event.job}\n${event.state}`;
    const last = lastOfJob.get(jobState);
    if (last !== undefined && now - last.at < limits.jobGapMs) return false;
    recent = recent.filter((at) => now - at < limits.windowMs);
    if (recent.length >= limits.burst) return false;
    recent.push(now);
    lastOfJob.set(jobState, { at: now, what });
    lastOfWhat.set(what, now);
    // Old entries go, so a dashboard left open for weeks does not grow.
    if (lastOfWhat.size > 1000) for (const [key, at] of lastOfWhat) if (now - at >= limits.repeatMs) lastOfWhat.delete(key);
    if (lastOfJob.size > 1000) for (const [key, entry] of lastOfJob) if (now - entry.at >= limits.jobGapMs) lastOfJob.delete(key);
    return true;
  };
}
