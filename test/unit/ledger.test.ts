import { describe, expect, it } from 'vitest';
import { costSoFar, intervalsOf, localDayStart, localMonthStart, mergeIntervals, parseApiTime, type UsageRates } from '../../src/state/ledger.js';
import { machineMemoryGb, SUSPENDED_STATE_PER_GB_MONTH, usageRates } from '../../src/state/ledger-rates.js';
import { HOURS_PER_MONTH } from '../../src/providers/gce/pricing.js';

// Days and months are the local time zone's: fix one that is not UTC (New York, UTC-5 in winter).
process.env.TZ = 'America/New_York';

const HOUR = 3_600_000;
const rates: UsageRates = { running: 1, suspended: 0.1, stopped: 0.01 };
/** A New York wall-clock time as epoch ms (EST, UTC-5). */
const ny = (text: string) => Date.parse(`${text}-05:00`);
/** The same instant as the API writes it (Pacific offset). */
const api = (ms: number) => new Date(ms - 8 * HOUR).toISOString().replace('Z', '-08:00');

describe('parseApiTime', () => {
  it('honours the offset of RFC 3339 timestamps and rejects other text', () => {
    expect(parseApiTime('2026-12-01T17:05:16.123-08:00')).toBe(Date.UTC(2026, 11, 2, 1, 5, 16, 123));
    expect(parseApiTime('2026-12-02T01:05:16Z')).toBe(Date.UTC(2026, 11, 2, 1, 5, 16));
    expect(parseApiTime('yesterday')).toBeUndefined();
    expect(parseApiTime('2026-12-02')).toBeUndefined();
    expect(parseApiTime(undefined)).toBeUndefined();
  });
});

describe('intervalsOf', () => {
  const t0 = ny('2026-12-10T09:00:00');
  it('a running VM: running from its last start to now (open), and stopped from its last stop to that start', () => {
    expect(intervalsOf({ status: 'RUNNING', lastStartTimestamp: api(t0), lastStopTimestamp: api(t0 - 5 * HOUR) }, t0 + 2 * HOUR, rates)).toEqual([
      { kind: 'running', start: t0, end: t0 + 2 * HOUR, open: true, perHour: 1 },
      { kind: 'stopped', start: t0 - 5 * HOUR, end: t0, open: false, perHour: 0.01 },
    ]);
  });
  it('a suspended VM: running up to the suspend, suspended since (open)', () => {
    const times = { status: 'SUSPENDED', lastStartTimestamp: api(t0), lastSuspendedTimestamp: api(t0 + HOUR) };
    expect(intervalsOf(times, t0 + 3 * HOUR, rates)).toEqual([
      { kind: 'running', start: t0, end: t0 + HOUR, open: false, perHour: 1 },
      { kind: 'suspended', start: t0 + HOUR, end: t0 + 3 * HOUR, open: true, perHour: 0.1 },
    ]);
  });
  it('resumed: the suspension ends at the start after it', () => {
    const times = { status: 'RUNNING', lastStartTimestamp: api(t0 + 2 * HOUR), lastSuspendedTimestamp: api(t0 + HOUR) };
    expect(intervalsOf(times, t0 + 3 * HOUR, rates)).toEqual([
      { kind: 'running', start: t0 + 2 * HOUR, end: t0 + 3 * HOUR, open: true, perHour: 1 },
      { kind: 'suspended', start: t0 + HOUR, end: t0 + 2 * HOUR, open: false, perHour: 0.1 },
    ]);
  });
  it('stopped while suspended: suspended up to the stop, then stopped', () => {
    const times = { status: 'TERMINATED', lastStartTimestamp: api(t0), lastSuspendedTimestamp: api(t0 + HOUR), lastStopTimestamp: api(t0 + 2 * HOUR) };
    expect(intervalsOf(times, t0 + 4 * HOUR, rates)).toEqual([
      { kind: 'running', start: t0, end: t0 + HOUR, open: false, perHour: 1 },
      { kind: 'suspended', start: t0 + HOUR, end: t0 + 2 * HOUR, open: false, perHour: 0.1 },
      { kind: 'stopped', start: t0 + 2 * HOUR, end: t0 + 4 * HOUR, open: true, perHour: 0.01 },
    ]);
  });
  it('a VM being started after a stop is not yet running: only the stop is counted', () => {
    const times = { status: 'STAGING', lastStartTimestamp: api(t0), lastStopTimestamp: api(t0 + HOUR) };
    expect(intervalsOf(times, t0 + 2 * HOUR, rates)).toEqual([
      { kind: 'running', start: t0, end: t0 + HOUR, open: false, perHour: 1 },
      { kind: 'stopped', start: t0 + HOUR, end: t0 + 2 * HOUR, open: true, perHour: 0.01 },
    ]);
  });
});

describe('mergeIntervals', () => {
  const t0 = ny('2026-12-10T09:00:00');
  const seenAt = (now: number) => intervalsOf({ status: 'RUNNING', lastStartTimestamp: api(t0) }, now, rates);
  it('is idempotent and order-free: two observers of one VM make one interval, the latest sighting its end', () => {
    const a = seenAt(t0 + HOUR);
    const b = seenAt(t0 + 2 * HOUR);
    const ab = mergeIntervals(mergeIntervals({}, a), b);
    const ba = mergeIntervals(mergeIntervals({}, b), a);
    expect(ab).toEqual(ba);
    expect(mergeIntervals(ab, b)).toEqual(ab);
    expect(Object.values(ab)).toEqual([{ kind: 'running', start: t0, end: t0 + 2 * HOUR, open: true, perHour: 1 }]);
    expect(costSoFar(Object.values(ab), t0 + 2 * HOUR).today).toBe(2);
  });
  it('an end the API reported replaces a sighting, and a later sighting does not undo it', () => {
    const open = seenAt(t0 + 3 * HOUR);
    const closed = intervalsOf({ status: 'TERMINATED', lastStartTimestamp: api(t0), lastStopTimestamp: api(t0 + HOUR) }, t0 + 3 * HOUR, rates);
    const merged = mergeIntervals(mergeIntervals(mergeIntervals({}, open), closed), open);
    expect(Object.values(merged).filter((i) => i.kind === 'running')).toEqual([{ kind: 'running', start: t0, end: t0 + HOUR, open: false, perHour: 1 }]);
  });
});

describe('cost today and this month (local time zone)', () => {
  it('splits an interval at local midnight and at the first of the month', () => {
    // Running from 22:00 New York time on 30 November to 02:00 on 1 December: 03:00 to 07:00 UTC, the same UTC day.
    const interval = { kind: 'running' as const, start: ny('2026-11-30T22:00:00'), end: ny('2026-12-01T02:00:00'), open: false, perHour: 1 };
    const now = ny('2026-12-01T03:00:00');
    expect(localDayStart(now)).toBe(ny('2026-12-01T00:00:00'));
    expect(localMonthStart(now)).toBe(ny('2026-12-01T00:00:00'));
    expect(costSoFar([interval], now)).toEqual({ today: 2, month: 2, unpriced: 0 });
    // Later that month, only December's part of it still counts toward the month, none toward the day.
    expect(costSoFar([interval], ny('2026-12-15T12:00:00'))).toEqual({ today: 0, month: 2, unpriced: 0 });
    // At 23:00 on 30 November, the hour so far is November's and that day's.
    expect(costSoFar([interval], ny('2026-11-30T23:00:00'))).toEqual({ today: 1, month: 1, unpriced: 0 });
  });
  it('counts intervals with no known price apart', () => {
    const now = ny('2026-12-10T12:00:00');
    expect(costSoFar([{ kind: 'running', start: now - HOUR, end: now, open: true, perHour: null }], now)).toEqual({ today: 0, month: 0, unpriced: 1 });
  });
});

describe('usageRates', () => {
  it('bills a suspended VM its disk plus its memory kept as storage; a stopped one its disk', () => {
    const worker = { machineType: 'e2-standard-4', bootDisk: { type: 'pd-balanced' as const, sizeGb: 100 }, externalIp: false, pricing: undefined };
    const r = usageRates(worker);
    const disk = (100 * 0.1) / HOURS_PER_MONTH;
    expect(machineMemoryGb('e2-standard-4')).toBe(16);
    expect(r.stopped).toBeCloseTo(disk, 5);
    expect(r.suspended).toBeCloseTo(disk + (16 * SUSPENDED_STATE_PER_GB_MONTH) / HOURS_PER_MONTH, 5);
    expect(r.running).toBeGreaterThan(r.suspended!);
  });
});
