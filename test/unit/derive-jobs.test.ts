import { describe, expect, it } from 'vitest';
import { deriveJobs } from '../../src/state/derive-jobs.js';
import { kindLabel } from '../../src/state/selectors.js';
import type { Job } from '../../src/state/types.js';
import { NOW_S, record, scan, session } from '../support/scan-fixtures.js';

const options = { sessionPrefix: 'mc', idleAfterSeconds: 60, now: NOW_S * 1000 };

const states = (jobs: Job[]) => Object.fromEntries(jobs.map((j) => [j.id, [j.state, j.exitCode, j.reason]]));

describe('deriveJobs', () => {
  it('derives every state from sessions and records', () => {
    const jobs = deriveJobs(
      'w',
      scan(
        [
          session('mc-run'),
          session('mc-quiet', { activity: NOW_S - 300 }),
          session('mc-dead', {}, { dead: true, deadStatus: 2 }),
          session('mc-done'),
          session('hand made'),
        ],
        [
          record('run', { logModified: NOW_S - 3 }),
          record('quiet', { logModified: NOW_S - 300 }),
          record('dead', { logModified: NOW_S - 300 }),
          record('done', { exitCode: 0 }),
          record('failed', { exitCode: 3 }),
          record('gone'),
          record('broken', { meta: undefined, metaError: 'invalid JSON' }),
        ],
      ),
      new Map(),
      options,
    );
    expect(states(jobs)).toEqual({
      run: ['running', undefined, 'session alive, recent output'],
      quiet: ['idle', undefined, 'no output for 60s or more'],
      dead: ['failed', 2, 'pane exited (status from tmux): exit 2'],
      done: ['exited', 0, 'exit code recorded by the job wrapper'],
      failed: ['failed', 3, 'exit code recorded by the job wrapper: exit 3'],
      gone: ['lost', undefined, 'session vanished without an exit code'],
      broken: ['unknown', undefined, 'unreadable record: invalid JSON'],
      $9: ['running', undefined, 'session alive, recent output'],
    });
    const adhoc = jobs.find((j) => j.session?.name === 'hand made');
    expect(adhoc).toMatchObject({ key: 'w/$9', id: '$9', kind: 'session', adhoc: true, command: ['node'], paneId: '%1', session: { id: '$9', name: 'hand made' } });
    expect(jobs.find((j) => j.id === 'run')).toMatchObject({ kind: 'review', params: { pr: '12' }, adhoc: false, session: { name: 'mc-run' } });
  });

  it('gives every job a key of its own: sessions with no record are keyed by session id, whatever their name', () => {
    const sessions = [
      session('mc-zz', { id: '$1' }),
      // Started by hand with the job's id as its name.
      session('zz', { id: '$2' }),
      // A prefixed session with no record, beside a record `yy` whose own session has another name.
      session('mc-yy', { id: '$3' }),
      session('custom-yy', { id: '$4' }),
      // Two records naming one session: the one it was made for keeps it.
      session('mc-xx', { id: '$5' }),
      // What tmux made of `a.b` and `a:b` (both rewritten to a_b): a session with no record, like any other.
      session('a_b', { id: '$6' }),
    ];
    const records = [
      record('intruder', { meta: { ...record('intruder').meta!, session: 'mc-xx' } }),
      record('zz'),
      record('yy', { meta: { ...record('yy').meta!, session: 'custom-yy' } }),
      record('xx'),
      record('a.b', { meta: { ...record('a.b').meta!, session: 'a.b' } }),
    ];
    const jobs = deriveJobs('h1', scan(sessions, records), new Map(), options);
    const keys = jobs.map((j) => j.key);
    expect(new Set(keys).size).toBe(keys.length);
    const byKey = Object.fromEntries(jobs.map((j) => [j.key, [j.adhoc ? 'no record' : 'record', j.session?.id ?? '-', j.state, j.reason]]));
    expect(byKey).toEqual({
      'h1/intruder': ['record', '-', 'unknown', 'its session mc-xx belongs to job xx'],
      'h1/zz': ['record', '$1', 'running', 'session alive, recent output'],
      'h1/yy': ['record', '$4', 'running', 'session alive, recent output'],
      'h1/xx': ['record', '$5', 'running', 'session alive, recent output'],
      'h1/a.b': ['record', '-', 'lost', 'session vanished without an exit code'],
      'h1/$2': ['no record', '$2', 'running', 'session alive, recent output'],
      'h1/$3': ['no record', '$3', 'running', 'session alive, recent output'],
      'h1/$6': ['no record', '$6', 'running', 'session alive, recent output'],
    });
    expect(jobs.find((j) => j.key === 'h1/$2')).toMatchObject({ id: '$2', session: { id: '$2', name: 'zz', created: NOW_S - 600 } });

    // Stable across scans: the same keys, and each keeps the time it entered its state.
    const later = { ...options, now: options.now + 10_000 };
    const again = deriveJobs('h1', scan([...sessions].reverse(), [...records].reverse()), new Map(jobs.map((j) => [j.key, j])), later);
    expect(new Set(again.map((j) => j.key))).toEqual(new Set(keys));
    for (const job of again) expect(job.since).toBe(jobs.find((j) => j.key === job.key)!.since);
  });

  it('a recorded exit code wins over a live pane (the wrapper knows best)', () => {
    const [job] = deriveJobs('w', scan([session('mc-a')], [record('a', { exitCode: 7 })]), new Map(), options);
    expect(job).toMatchObject({ state: 'failed', exitCode: 7 });
  });

  it('carries how often a job was resumed, and tables show it by its kind', () => {
    const resumed = record('a');
    const [job, fresh] = deriveJobs(
      'w',
      scan([session('mc-a'), session('mc-b')], [{ ...resumed, meta: { ...resumed.meta!, resumedAt: new Date(NOW_S * 1000).toISOString(), resumeCount: 2 } }, record('b')]),
      new Map(),
      options,
    );
    expect(job).toMatchObject({ id: 'a', resumeCount: 2 });
    expect(kindLabel(job!)).toBe('review ↻2');
    expect(fresh!.resumeCount).toBeUndefined();
    expect(kindLabel(fresh!)).toBe('review');
  });

  it('keeps the time a job entered its state across scans, and resets it on a change', () => {
    const first = deriveJobs('w', scan([session('mc-a')], [record('a')]), new Map(), options);
    const later = { ...options, now: options.now + 4000 };
    const second = deriveJobs('w', scan([session('mc-a')], [record('a')]), new Map(first.map((j) => [j.key, j])), later);
    expect(second[0]!.since).toBe(first[0]!.since);
    const third = deriveJobs('w', scan([], [record('a', { exitCode: 0 })]), new Map(second.map((j) => [j.key, j])), later);
    expect(third[0]!.state).toBe('exited');
    expect(third[0]!.since).toBe(later.now);
  });

  it('a quiet job seen for the first time has been idle since its last output (worker clock skew removed)', () => {
    const skewed = scan([session('mc-a', { activity: NOW_S + 100 - 400 })], [record('a', { logModified: undefined })]);
    const withSkew = { ...skewed, host: { ...skewed.host, now: NOW_S + 100 } };
    const [job] = deriveJobs('w', withSkew, new Map(), options);
    expect(job!.state).toBe('idle');
    expect(job!.clockSkew).toBe(100);
    expect(job!.since).toBe((NOW_S - 400) * 1000);
  });

  it('derives the same job from two scans of a quiet job seconds apart (nothing a person needs changed)', () => {
    const at = (seconds: number) => {
      const quiet = scan([session('mc-a', { activity: NOW_S - 300 })], [record('a', { logModified: NOW_S - 300 })]);
      return deriveJobs('w', { ...quiet, host: { ...quiet.host, now: NOW_S + seconds } }, new Map(), { ...options, now: (NOW_S + seconds) * 1000 });
    };
    const [first] = at(0);
    expect(first!.state).toBe('idle');
    expect(at(7)).toEqual([first]);
  });

  it("keeps the worker's clock skew across scans while a new reading is within a scan's jitter, and takes a real change", () => {
    const quiet = scan([session('mc-a', { activity: NOW_S - 300 })], [record('a', { logModified: NOW_S - 300 })]);
    const [first] = deriveJobs('w', quiet, new Map(), options);
    const previous = new Map([[first!.key, first!]]);
    // The same worker clock read at a scan that ended 1.5 s later by ours: a skew of -1 or -2 s is jitter.
    expect(deriveJobs('w', quiet, previous, { ...options, now: options.now + 1500 })).toEqual([first]);
    // A worker clock that really moved (a minute ahead) is taken.
    const ahead = { ...quiet, host: { ...quiet.host, now: NOW_S + 60 } };
    expect(deriveJobs('w', ahead, previous, options)[0]!.clockSkew).toBe(60);
  });
});

