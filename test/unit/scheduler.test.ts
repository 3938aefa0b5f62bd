import { afterEach, describe, expect, it } from 'vitest';
import { PollScheduler } from '../../src/state/scheduler.js';

/** Resolves when `predicate` holds, checking on every macrotask; fails after `ms`. */
async function until(predicate: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('PollScheduler', () => {
  let scheduler: PollScheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
  });

  it('never overlaps a worker with itself, and a slow worker does not delay another', async () => {
    const inFlight = new Map<string, number>();
    let maxOverlap = 0;
    const calls = { slow: 0, fast: 0 };
    // The slow worker's scan ends only when the test says so: no race with the clock.
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    scheduler = new PollScheduler(async (name) => {
      const n = (inFlight.get(name) ?? 0) + 1;
      inFlight.set(name, n);
      maxOverlap = Math.max(maxOverlap, n);
      calls[name as 'slow' | 'fast'] += 1;
      await (name === 'slow' ? slowGate : new Promise((r) => setTimeout(r, 1)));
      inFlight.set(name, n - 1);
    });
    scheduler.setWorkers(new Map([['slow', { intervalMs: 10 }], ['fast', { intervalMs: 10 }]]));
    await until(() => calls.fast >= 10);
    scheduler.refreshNow('slow');
    scheduler.refreshNow('slow');
    expect(calls.slow).toBe(1);
    releaseSlow();
    await until(() => calls.slow >= 2);
    expect(maxOverlap).toBe(1);
  });

  it('backs off exponentially while a worker fails, capped, and resets on success', () => {
    scheduler = new PollScheduler(async () => undefined, () => 0.5);
    expect(scheduler.nextDelay(2000, 0)).toBe(2000);
    expect(scheduler.nextDelay(2000, 1)).toBe(2000);
    expect(scheduler.nextDelay(2000, 2)).toBe(4000);
    expect(scheduler.nextDelay(2000, 3)).toBe(8000);
    expect(scheduler.nextDelay(2000, 10)).toBe(30_000);
    const low = new PollScheduler(async () => undefined, () => 0).nextDelay(2000, 3);
    const high = new PollScheduler(async () => undefined, () => 0.999).nextDelay(2000, 3);
    expect(low).toBe(6400);
    expect(high).toBeGreaterThan(9500);
  });

  it('refreshNow cuts a long wait short', async () => {
    let calls = 0;
    scheduler = new PollScheduler(async () => {
      calls += 1;
    });
    scheduler.setWorkers(new Map([['w', { intervalMs: 60_000 }]]));
    await until(() => calls === 1);
    scheduler.refreshNow();
    await until(() => calls === 2);
    expect(calls).toBe(2);
  });

  it('stops removed workers and starts added ones', async () => {
    const seen: string[] = [];
    scheduler = new PollScheduler(async (name) => {
      seen.push(name);
    });
    scheduler.setWorkers(new Map([['a', { intervalMs: 5 }]]));
    await until(() => seen.includes('a'));
    scheduler.setWorkers(new Map([['b', { intervalMs: 5 }]]));
    await until(() => seen.filter((n) => n === 'b').length >= 3);
    const aCalls = seen.filter((n) => n === 'a').length;
    await until(() => seen.filter((n) => n === 'b').length >= 6);
    expect(seen.filter((n) => n === 'a').length).toBe(aCalls);
  });

  it('stop() waits for a refresh in flight and ends every loop', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    scheduler = new PollScheduler(async () => {
      calls += 1;
      await gate;
    });
    scheduler.setWorkers(new Map([['w', { intervalMs: 1 }]]));
    await until(() => calls === 1);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    // stop() is still waiting for the refresh in flight.
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    release();
    await stopping;
    const after = calls;
    // A loop left running would poll again within its 1 ms interval; give it many of them.
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(after);
  });
});
