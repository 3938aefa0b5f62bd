import { describe, expect, it } from 'vitest';
import { compareJobs } from '../../bench/faults/watch.js';
import type { Job } from '../../src/state/types.js';
import { job as fixture } from '../ui/fixtures.js';

/** A job in its own session (`$N` from its id's number). */
const job = (id: string, overrides: Partial<Job>) => fixture(id, { session: { id: `$${id.split('-')[0]}`, name: `mc-${id}`, attached: 0 }, ...overrides });

describe("the fault suite's count of jobs lost", () => {
  it('counts a live job lost only when it is no longer live, whichever live state it moves between', () => {
    const before = [job('1-a', { state: 'running' }), job('2-b', { state: 'idle' }), job('3-c', { state: 'working' }), job('4-d', { state: 'waiting' })];
    const after = [job('1-a', { state: 'waiting' }), job('2-b', { state: 'done' }), job('3-c', { state: 'idle' }), job('4-d', { state: 'lost' })];
    expect(compareJobs(before, after, [], false)).toMatchObject({ lost: 1, duplicated: 0, lostText: 'not as they were: local/4-d' });
  });
});
