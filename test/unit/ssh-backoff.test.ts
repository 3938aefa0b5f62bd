import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/ssh/backoff.js';
import { ChannelSlots } from '../../src/ssh/channel-slots.js';

describe('Backoff', () => {
  it('doubles from 500 ms to a 30 s cap, with equal jitter, and resets on success', () => {
    const low = new Backoff({ random: () => 0 });
    const high = new Backoff({ random: () => 0.999999 });
    const ceilings = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000];
    for (const ceiling of ceilings) {
      expect(low.fail(0)).toBe(ceiling / 2);
      expect(high.fail(0)).toBe(ceiling);
    }
    expect(low.failures).toBe(8);
    expect(low.remainingMs(1000)).toBe(14_000);
    low.succeed();
    expect(low.remainingMs(0)).toBe(0);
    expect(low.fail(0)).toBe(250);
  });

  it('allows an attempt once the delay has passed', () => {
    const backoff = new Backoff({ initialMs: 100, random: () => 0.5 });
    backoff.fail(1_000);
    expect(backoff.nextAttemptAt).toBe(1_075);
    expect(backoff.remainingMs(1_050)).toBe(25);
    expect(backoff.remainingMs(1_100)).toBe(0);
  });
});

describe('ChannelSlots', () => {
  it('hands out at most `limit` slots and passes them on in FIFO order', async () => {
    const slots = new ChannelSlots(2);
    const a = await slots.acquire();
    const b = await slots.acquire();
    const order: string[] = [];
    const c = slots.acquire().then((release) => (order.push('c'), release));
    const d = slots.acquire().then((release) => (order.push('d'), release));
    expect(slots.waiting).toBe(2);
    a();
    a(); // releasing twice frees one slot only
    (await c)();
    b();
    (await d)();
    expect(order).toEqual(['c', 'd']);
    expect(slots.inUse).toBe(0);
  });

  it('drops a waiter whose signal aborts, and fails waiters on demand', async () => {
    const slots = new ChannelSlots(1);
    const held = await slots.acquire();
    const controller = new AbortController();
    const aborted = slots.acquire(controller.signal);
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    expect(slots.waiting).toBe(0);
    const failed = slots.acquire();
    slots.failWaiting(new Error('closing'));
    await expect(failed).rejects.toThrow('closing');
    held();
    expect(slots.inUse).toBe(0);
  });
});
