import { describe, expect, it } from 'vitest';
import type { IdlePolicy } from '../../src/config/idle-schema.js';
import { decideIdle, idleLabel, rememberIdle } from '../../src/state/idle.js';
import type { Job, JobState } from '../../src/state/types.js';

const MIN = 60_000;
const NOW = 1_800_000_000_000;
const policy: IdlePolicy = { afterMs: 30 * MIN, action: 'suspend', waitingAfterMs: 120 * MIN };

/** A job in `state` since `sinceMinutes` ago, last output `outputMinutes` ago (worker clock 5 s ahead of ours). */
function job(id: string, state: JobState, sinceMinutes: number, outputMinutes?: number, attached = 0): Job {
  const skew = 5;
  const live = state !== 'exited' && state !== 'failed' && state !== 'lost';
  return {
    key: `w/${id}`,
    id,
    worker: 'w',
    kind: 'fix',
    params: {},
    command: [],
    state,
    reason: '',
    since: NOW - sinceMinutes * MIN,
    exitCode: undefined,
    lastOutputAt: outputMinutes === undefined ? undefined : (NOW - outputMinutes * MIN) / 1000 + skew,
    createdAt: undefined,
    session: live ? { id: '$1', name: `mc-${id}`, attached } : undefined,
    paneId: live ? '%1' : undefined,
    adhoc: false,
    clockSkew: skew,
  };
}

describe('decideIdle', () => {
  it('an empty worker is idle one period after it was last known awake, or after it was last kept up', () => {
    expect(decideIdle({ policy, jobs: [], now: NOW, awakeSince: NOW - 10 * MIN })).toEqual({
      kind: 'idle',
      action: 'suspend',
      deadline: NOW + 20 * MIN,
      reason: 'no output',
    });
    expect(decideIdle({ policy, jobs: [], now: NOW, awakeSince: NOW - 90 * MIN, heldUntil: NOW - 5 * MIN })).toMatchObject({ deadline: NOW + 25 * MIN });
    expect(decideIdle({ policy, jobs: [], now: NOW })).toMatchObject({ deadline: NOW + 30 * MIN });
  });

  it('never while a job works, a client is attached, or a job that reports no agent state has a live pane', () => {
    expect(decideIdle({ policy, jobs: [job('done-1', 'done', 300, 300), job('fix-3', 'working', 1, 1)], now: NOW })).toEqual({
      kind: 'kept-up',
      reason: 'fix-3 working',
    });
    expect(decideIdle({ policy, jobs: [job('fix-3', 'done', 300, 300, 1)], now: NOW })).toEqual({ kind: 'kept-up', reason: 'client attached to fix-3' });
    // A build quiet for five hours is still a build.
    expect(decideIdle({ policy, jobs: [job('build-7', 'idle', 300, 300)], now: NOW })).toEqual({ kind: 'kept-up', reason: 'build-7 running' });
    expect(decideIdle({ policy, jobs: [job('build-7', 'running', 1)], now: NOW })).toEqual({ kind: 'kept-up', reason: 'build-7 running' });
  });

  it('counts from the last output or state change of live jobs; ended jobs only through their output', () => {
    const jobs = [job('a', 'done', 40, 12), job('b', 'exited', 1, 50)];
    expect(decideIdle({ policy, jobs, now: NOW, awakeSince: NOW - 600 * MIN })).toMatchObject({ kind: 'idle', deadline: NOW + 18 * MIN });
    expect(decideIdle({ policy, jobs: [job('a', 'done', 7, 50)], now: NOW })).toMatchObject({ deadline: NOW + 23 * MIN });
    expect(decideIdle({ policy, jobs: [job('a', 'failed', 1, 45)], now: NOW })).toMatchObject({ deadline: NOW - 15 * MIN });
  });

  it('a job waiting for its user holds the worker for waitingAfter from when it began waiting', () => {
    const verdict = decideIdle({ policy, jobs: [job('fix-3', 'waiting', 60, 60)], now: NOW });
    expect(verdict).toEqual({ kind: 'idle', action: 'suspend', deadline: NOW + 60 * MIN, reason: 'fix-3 has waited 1h00m for its user' });
    expect(idleLabel(verdict, NOW)).toBe('suspends in 1h00m');
    expect(decideIdle({ policy, jobs: [job('fix-3', 'waiting', 150, 150)], now: NOW })).toMatchObject({ deadline: NOW - 30 * MIN });
  });

  it('gives the reason of the latest candidate: later output elsewhere outlasts an older wait', () => {
    const jobs = [job('fix-3', 'waiting', 100, 100), job('a', 'done', 5, 5)];
    expect(decideIdle({ policy, jobs, now: NOW })).toEqual({ kind: 'idle', action: 'suspend', deadline: NOW + 25 * MIN, reason: 'no output' });
  });
});

describe('idleLabel', () => {
  it('says when and what, or why the worker is kept up', () => {
    expect(idleLabel({ kind: 'idle', action: 'suspend', deadline: NOW + 12 * MIN, reason: '' }, NOW)).toBe('suspends in 12m');
    expect(idleLabel({ kind: 'idle', action: 'stop', deadline: NOW - 1, reason: '' }, NOW)).toBe('stops now');
    expect(idleLabel({ kind: 'kept-up', reason: 'build-7 running' }, NOW)).toBe('kept up: build-7 running');
  });
});

describe('rememberIdle', () => {
  it('a first sighting counts from boot; a machine seen down counts afresh from when it is seen running again', () => {
    const first = rememberIdle(undefined, true, undefined, NOW, NOW - 600 * MIN);
    expect(first).toEqual({ awakeSince: NOW - 600 * MIN });
    const held = rememberIdle(first, true, { kind: 'kept-up', reason: 'x' }, NOW + MIN);
    expect(held).toEqual({ awakeSince: NOW - 600 * MIN, heldUntil: NOW + MIN });
    const suspended = rememberIdle(held, false, undefined, NOW + 2 * MIN);
    // After a resume the host's uptime still counts from the old boot: it must not be used.
    expect(rememberIdle(suspended, true, undefined, NOW + 90 * MIN, NOW - 600 * MIN)).toEqual({ awakeSince: NOW + 90 * MIN });
  });
});
