import { describe, expect, it } from 'vitest';
import { parseJobSections } from '../../src/scanners/worker-scan/parse-jobs.js';
import type { Section } from '../../src/scanners/worker-scan/sections.js';
import type { JobRecord, StateReport, TmuxSession } from '../../src/scanners/worker-scan/types.js';
import { deriveJobs } from '../../src/state/derive-jobs.js';
import type { Job } from '../../src/state/types.js';
import { NOW_S, record, scan, session } from '../support/scan-fixtures.js';

const US = '\x1f';
const options = { sessionPrefix: 'mc', idleAfterSeconds: 60, now: NOW_S * 1000 };
const section = (name: string, lines: string[]): Section => ({ name, body: lines.map((l) => `${l}\n`).join(''), status: 0 });
const J = (id: string): string => ['J', id, '0', '0', '', ''].join(US);
const R = (id: string, state: string, line: string): string => ['R', id, state, line].join(US);

describe('state reports in the scan', () => {
  it('reads each job\'s report line, says why one cannot be used, and drops reports of unlisted jobs', () => {
    const part = parseJobSections(
      section('jobs', [
        J('a'), R('a', '1', 'waiting 1800000000 Allow Bash(npm test)?'),
        J('b'), R('b', '1', 'done 1799999990 '),
        J('c'), R('c', '1', 'sleeping 1799999990'),
        J('d'), R('d', '3', ''),
        J('e'), R('e', '2', ''),
        R('ghost', '1', 'working 1 x'),
      ]),
      section('logs', ['1800000000 4096 d/state']),
    );
    const byId = Object.fromEntries(part.jobs.map((j) => [j.id, [j.report, j.reportError]]));
    expect(byId).toEqual({
      a: [{ state: 'waiting', at: 1_800_000_000, reason: 'Allow Bash(npm test)?' }, undefined],
      b: [{ state: 'done', at: 1_799_999_990, reason: '' }, undefined],
      c: [undefined, 'the state file holds "sleeping 1799999990", not a state report'],
      d: [undefined, 'record too large: the state file is 4096 bytes, over the 2 KiB limit; not read'],
      e: [undefined, 'the state file could not be read'],
    });
    expect(part.problems).toEqual(['job d: record too large: the state file is 4096 bytes, over the 2 KiB limit; not read']);
  });
});

let sessions = 0;
/** A session with an id of its own. */
const live = (name: string, over: Partial<TmuxSession> = {}, pane: Partial<TmuxSession['panes'][number]> = {}) => session(name, { id: `$${(sessions += 1)}`, ...over }, pane);

/** A claude job's record with its last report. */
function reported(id: string, report: StateReport | undefined, over: Partial<JobRecord> = {}): JobRecord {
  const base = record(id);
  return { ...base, meta: { ...base.meta!, agent: 'claude' }, ...(report ? { report } : {}), ...over };
}

const states = (jobs: Job[]) => Object.fromEntries(jobs.map((j) => [j.id, [j.state, j.reason]]));

describe('agent states from reports', () => {
  it('a live job takes its report; a job that reports nothing keeps running and idle', () => {
    const jobs = deriveJobs(
      'w',
      scan(
        [live('mc-wait'), live('mc-work'), live('mc-done'), live('mc-plain'), live('mc-quiet', { activity: NOW_S - 300 })],
        [
          reported('wait', { state: 'waiting', at: NOW_S - 30, reason: 'Allow Bash(npm test)?' }),
          reported('work', { state: 'working', at: NOW_S - 10, reason: '' }),
          reported('done', { state: 'done', at: NOW_S - 400, reason: '' }, { logModified: NOW_S - 1 }),
          reported('plain', undefined),
          reported('quiet', undefined, { logModified: NOW_S - 300 }),
        ],
      ),
      new Map(),
      options,
    );
    expect(states(jobs)).toEqual({
      wait: ['waiting', 'Allow Bash(npm test)?'],
      work: ['working', 'working'],
      // Output after a report does not end it: a prompt may redraw.
      done: ['done', 'finished its turn'],
      plain: ['running', 'session alive, recent output'],
      quiet: ['idle', 'no output for 60s or more'],
    });
    expect(jobs.find((j) => j.id === 'wait')).toMatchObject({ agent: 'claude', since: (NOW_S - 30) * 1000 });
  });

  it('a working report with no output and no report for the idle threshold is idle (a Stop hook that never fired)', () => {
    const stuck = reported('stuck', { state: 'working', at: NOW_S - 200, reason: '' }, { logModified: NOW_S - 90 });
    const jobs = deriveJobs('w', scan([live('mc-stuck', { activity: NOW_S - 90 })], [stuck]), new Map(), options);
    expect(states(jobs)).toEqual({ stuck: ['idle', 'reported working, then no output or report for 60s or more'] });
    // Idle since the threshold passed after the last sign of life.
    expect(jobs[0]!.since).toBe((NOW_S - 90 + 60) * 1000);
  });

  it('an exit code, a dead pane or a vanished session ends every reported state', () => {
    const waiting: StateReport = { state: 'waiting', at: NOW_S - 5, reason: 'Allow?' };
    const jobs = deriveJobs(
      'w',
      scan(
        [live('mc-exited'), live('mc-dead', {}, { dead: true, deadStatus: 137 })],
        [reported('exited', waiting, { exitCode: 0 }), reported('dead', { state: 'working', at: NOW_S, reason: '' }), reported('gone', { state: 'done', at: NOW_S, reason: '' })],
      ),
      new Map(),
      options,
    );
    expect(states(jobs)).toEqual({
      exited: ['exited', 'exit code recorded by the job wrapper'],
      dead: ['failed', 'pane exited (status from tmux): exit 137'],
      gone: ['lost', 'session vanished without an exit code'],
    });
  });

  it('takes the report time on our clock (skew corrected), stable across scans, renewed by a newer report', () => {
    // The worker's clock runs 100 s ahead of ours.
    const first = deriveJobs('w', scan([live('mc-a', { activity: NOW_S + 95 })], [reported('a', { state: 'waiting', at: NOW_S + 90, reason: 'Allow?' }, { logModified: NOW_S + 95 })], NOW_S + 100), new Map(), options);
    expect(first[0]).toMatchObject({ state: 'waiting', since: (NOW_S - 10) * 1000, clockSkew: 100 });
    // The next scan reads the skew one second off: the same report keeps its time.
    const again = deriveJobs('w', scan([live('mc-a', { activity: NOW_S + 95 })], [reported('a', { state: 'waiting', at: NOW_S + 90, reason: 'Allow?' }, { logModified: NOW_S + 95 })], NOW_S + 101), new Map([[first[0]!.key, first[0]!]]), options);
    expect(again[0]!.since).toBe(first[0]!.since);
    const later = { ...options, now: (NOW_S + 60) * 1000 };
    const renewed = deriveJobs('w', scan([live('mc-a', { activity: NOW_S + 150 })], [reported('a', { state: 'waiting', at: NOW_S + 150, reason: 'Allow Edit?' }, { logModified: NOW_S + 150 })], NOW_S + 160), new Map([[first[0]!.key, first[0]!]]), later);
    expect(renewed[0]).toMatchObject({ state: 'waiting', reason: 'Allow Edit?', since: (NOW_S + 50) * 1000 });
    // A report from the worker's future is never later than now.
    const future = deriveJobs('w', scan([live('mc-a')], [reported('a', { state: 'done', at: NOW_S + 5000, reason: '' })]), new Map(), options);
    expect(future[0]!.since).toBe(NOW_S * 1000);
  });
});
