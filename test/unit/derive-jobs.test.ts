import { describe, expect, it } from 'vitest';
import type { JobRecord, TmuxSession, WorkerScan } from '../../src/scanners/worker-scan/types.js';
import { deriveJobs } from '../../src/state/derive-jobs.js';
import type { Job } from '../../src/state/types.js';

const NOW_S = 1_800_000_000;
const options = { sessionPrefix: 'mc', idleAfterSeconds: 60, now: NOW_S * 1000 };

function session(name: string, over: Partial<TmuxSession> = {}, pane: Partial<TmuxSession['panes'][number]> = {}): TmuxSession {
  return {
    id: `$${name.length}`,
    name,
    created: NOW_S - 600,
    activity: NOW_S - 5,
    attached: 0,
    panes: [{ id: '%1', dead: false, deadStatus: undefined, currentCommand: 'node', pid: 42, ...pane }],
    ...over,
  };
}

function record(id: string, over: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    meta: { id, kind: 'review', params: { pr: '12' }, command: ['review', '12'], session: `mc-${id}`, createdAt: new Date((NOW_S - 600) * 1000).toISOString() },
    metaError: undefined,
    exitCode: undefined,
    logModified: NOW_S - 5,
    logBytes: 100,
    ...over,
  };
}

function scan(sessions: TmuxSession[], jobs: JobRecord[]): WorkerScan {
  return {
    host: { now: NOW_S, uptimeSeconds: 100, load1: 0.1, load5: 0.1, load15: 0.1, cpus: 2 },
    container: undefined,
    tmuxRunning: sessions.length > 0,
    tmuxError: undefined,
    sessions,
    jobs,
  };
}

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
      quiet: ['idle', undefined, 'no output for 300s'],
      dead: ['failed', 2, 'pane exited (status from tmux): exit 2'],
      done: ['exited', 0, 'exit code recorded by the job wrapper'],
      failed: ['failed', 3, 'exit code recorded by the job wrapper: exit 3'],
      gone: ['lost', undefined, 'session vanished without an exit code'],
      broken: ['unknown', undefined, 'unreadable record: invalid JSON'],
      'hand made': ['running', undefined, 'session alive, recent output'],
    });
    const adhoc = jobs.find((j) => j.id === 'hand made');
    expect(adhoc).toMatchObject({ key: 'w/hand made', kind: 'session', adhoc: true, command: ['node'], paneId: '%1' });
    expect(jobs.find((j) => j.id === 'run')).toMatchObject({ kind: 'review', params: { pr: '12' }, adhoc: false, session: { name: 'mc-run' } });
  });

  it('a recorded exit code wins over a live pane (the wrapper knows best)', () => {
    const [job] = deriveJobs('w', scan([session('mc-a')], [record('a', { exitCode: 7 })]), new Map(), options);
    expect(job).toMatchObject({ state: 'failed', exitCode: 7 });
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
});
