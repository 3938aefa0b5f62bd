/**
 * The cost ledger's arithmetic: what a VM cost, built only from the Compute API's own timestamps
 * (`lastStartTimestamp`, `lastStopTimestamp`, `lastSuspendedTimestamp`), so that any number of observers of one VM
 * (dashboards, `status`, the autopilot) derive the same intervals and merging them never counts an hour twice.
 * Days and months are those of the local time zone of this process (`TZ`), the user's calendar. Pure.
 */

/** How a VM was billed during an interval. */
export type UsageKind = 'running' | 'suspended' | 'stopped';

/** One stretch of a VM in one billing state, and its price per hour then. */
export interface UsageInterval {
  readonly kind: UsageKind;
  /** Epoch ms, from the API's timestamp that began it (the interval's identity). */
  readonly start: number;
  /** Epoch ms: the API's timestamp that ended it, or, while `open`, the last time it was seen going on. */
  readonly end: number;
  /** True while the API has not reported its end yet. */
  readonly open: boolean;
  /** Price per hour in this state; null when unknown (a machine type without a price). */
  readonly perHour: number | null;
}

/** What an observation of an instance says, as read from the API. */
export interface InstanceTimes {
  readonly status: string;
  readonly lastStartTimestamp?: string | undefined;
  readonly lastStopTimestamp?: string | undefined;
  readonly lastSuspendedTimestamp?: string | undefined;
}

/** Prices per hour of one VM in each billing state (null: unknown). */
export type UsageRates = Readonly<Record<UsageKind, number | null>>;

/** States billed as running: the VM has its cores until it reaches TERMINATED or SUSPENDED. */
const RUNNING_STATES = new Set(['RUNNING', 'STOPPING', 'SUSPENDING', 'REPAIRING']);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** Epoch ms of an RFC 3339 timestamp with its offset (`2026-12-01T17:05:16.123-08:00`); undefined when it is not one. */
export function parseApiTime(text: string | undefined): number | undefined {
  if (text === undefined || !RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The intervals one observation proves: running from the last start to the stop or suspend after it (or to `now`
 * while it runs), suspended from the last suspend to the start or stop after it (or `now`), stopped from the last
 * stop to the start after it (or `now`). What happened between two observations and left no timestamp (a start and
 * stop nobody saw) is not counted: the API keeps only the last of each.
 */
export function intervalsOf(times: InstanceTimes, now: number, rates: UsageRates): UsageInterval[] {
  const start = parseApiTime(times.lastStartTimestamp);
  const stop = parseApiTime(times.lastStopTimestamp);
  const suspended = parseApiTime(times.lastSuspendedTimestamp);
  const after = (from: number, ...candidates: (number | undefined)[]) => {
    const later = candidates.filter((t): t is number => t !== undefined && t > from);
    return later.length > 0 ? Math.min(...later) : undefined;
  };
  const status = times.status;
  const stillIn: Record<UsageKind, boolean> = {
    running: RUNNING_STATES.has(status),
    // A resume in progress (STAGING after SUSPENDED) is still billed as suspended until RUNNING.
    suspended: status === 'SUSPENDED' || status === 'STAGING',
    stopped: status === 'TERMINATED' || status === 'STOPPED' || status === 'STAGING' || status === 'PROVISIONING',
  };
  const interval = (kind: UsageKind, from: number | undefined, ...enders: (number | undefined)[]): UsageInterval[] => {
    if (from === undefined) return [];
    const end = after(from, ...enders);
    if (end !== undefined) return [{ kind, start: from, end, open: false, perHour: rates[kind] }];
    if (!stillIn[kind]) return [];
    return [{ kind, start: from, end: Math.max(from, now), open: true, perHour: rates[kind] }];
  };
  return [
    ...interval('running', start, stop, suspended),
    ...interval('suspended', suspended, start, stop),
    ...interval('stopped', stop, start, suspended),
  ];
}

/** The key an interval is merged under: its kind and the API timestamp that began it. */
export function intervalKey(interval: Pick<UsageInterval, 'kind' | 'start'>): string {
  return `${interval.kind}@${interval.start}`;
}

/**
 * Merges observed intervals into what is recorded (a new object; inputs untouched). Idempotent and order-free:
 * the same interval seen by several observers is one entry; an end the API reported beats one that was only seen.
 */
export function mergeIntervals(
  recorded: Readonly<Record<string, UsageInterval>>,
  observed: readonly UsageInterval[],
): Record<string, UsageInterval> {
  const merged: Record<string, UsageInterval> = { ...recorded };
  for (const next of observed) {
    const key = intervalKey(next);
    const before = merged[key];
    if (!before || (before.open && !next.open)) merged[key] = next;
    else if (before.open && next.open && next.end > before.end) merged[key] = { ...next };
  }
  return merged;
}

/** The cost of the intervals within [from, to): each clipped to the window, priced per hour. */
export function costWithin(intervals: Iterable<UsageInterval>, from: number, to: number): { readonly cost: number; readonly unpriced: number } {
  let cost = 0;
  let unpriced = 0;
  for (const interval of intervals) {
    const ms = Math.min(interval.end, to) - Math.max(interval.start, from);
    if (ms <= 0) continue;
    if (interval.perHour === null) unpriced++;
    else cost += (ms / 3_600_000) * interval.perHour;
  }
  return { cost, unpriced };
}

/** Midnight at the start of `now`'s day, in the local time zone. */
export function localDayStart(now: number): number {
  const date = new Date(now);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** Midnight on the first of `now`'s month, in the local time zone. */
export function localMonthStart(now: number): number {
  const date = new Date(now);
  return new Date(date.getFullYear(), date.getMonth(), 1).getTime();
}

/** Cost today and this month (local calendar), in the pricing's currency. */
export interface CostSoFar {
  readonly today: number;
  readonly month: number;
  /** Intervals in the window whose price is unknown (not counted). */
  readonly unpriced: number;
}

/** Costs so far per worker and for the fleet, as the ledger holds them. */
export interface LedgerSummary {
  readonly currency: 'USD';
  readonly fleet: CostSoFar;
  readonly workers: Readonly<Record<string, CostSoFar>>;
}

/** Today's and this month's cost of a set of intervals, rounded to the cent's hundredth. */
export function costSoFar(intervals: readonly UsageInterval[], now: number): CostSoFar {
  const today = costWithin(intervals, localDayStart(now), now);
  const month = costWithin(intervals, localMonthStart(now), now);
  return { today: round(today.cost), month: round(month.cost), unpriced: month.unpriced };
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
