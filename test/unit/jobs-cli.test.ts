import { describe, expect, it } from 'vitest';
import { jobsTable } from '../../src/jobs/cli.js';
import { statusJob } from '../../src/cli/status-report.js';
import { findJob, JobLookupError } from '../../src/jobs/lookup.js';
import { planFinishedRemoval } from '../../src/jobs/remove.js';
import { pipeCommand } from '../../src/jobs/wrapper.js';
import type { Job } from '../../src/state/types.js';

function job(worker: string, id: string, patch: Partial<Job> = {}): Job {
  return {
    key: `${worker}/${id}`,
    id,
    worker,
    kind: 'review',
    params: { pr: '1' },
    command: ['gemini'],
    state: 'running',
    reason: '',
    since: 0,
    exitCode: undefined,
    lastOutputAt: undefined,
    createdAt: 1_000,
    session: { id: '$1', name: `mc-${id}`, attached: 0 },
    paneId: '%1',
    adhoc: false,
    clockSkew: 0,
    ...patch,
  };
}

const jobs = [
  job('local', '12-review'),
  job('local', '12-fix', { state: 'failed', exitCode: 3, session: undefined }),
  job('build1', '12-review', { state: 'exited', exitCode: 0, session: undefined }),
  job('build1', '7-open', { state: 'idle' }),
  job('build1', 'hand\x1b]52;c;cHduZWQ=\x07made', { adhoc: true, kind: 'session', state: 'exited', exitCode: 0 }),
];

describe('findJob', () => {
  it('takes an exact key or id, else a unique prefix of either', () => {
    expect(findJob(jobs, 'build1/12-review').key).toBe('build1/12-review');
    expect(findJob(jobs, '12-f').key).toBe('local/12-fix');
    expect(findJob(jobs, '7').key).toBe('build1/7-open');
    expect(findJob(jobs, 'local/12-r').key).toBe('local/12-review');
  });
  it('says when a reference is ambiguous or matches nothing', () => {
    expect(() => findJob(jobs, '12-review')).toThrow(/"12-review" matches 2 jobs: local\/12-review, build1\/12-review; name one by its key/);
    expect(() => findJob(jobs, 'zz')).toThrow(JobLookupError);
  });
  it('names a hand-made session and the job that shares its name apart, and lists them by keys that each name one', () => {
    // The session `zz` started by hand and the job `zz` (session mc-zz) on the same worker, as the scan keys them.
    const twins = [
      job('h1', 'zz'),
      job('h1', '$3', { adhoc: true, kind: 'session', session: { id: '$3', name: 'zz', attached: 0 } }),
      job('h2', '$3', { adhoc: true, kind: 'session', session: { id: '$3', name: 'evil', attached: 0 } }),
    ];
    expect(findJob(twins, 'h1/zz').key).toBe('h1/zz');
    expect(findJob(twins, 'h1/$3').key).toBe('h1/$3');
    expect(findJob(twins, 'h2/evil').key).toBe('h2/$3');
    expect(findJob(twins, 'evil').key).toBe('h2/$3');
    let error: unknown;
    try {
      findJob(twins, 'zz');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JobLookupError);
    expect((error as Error).message).toBe(`"zz" matches 2 jobs: h1/zz, 'h1/$3' (session zz, no record); name one by its key`);
    // Each name the error offers finds exactly that job.
    expect(findJob(twins, 'h1/zz')).toBe(twins[0]);
    expect(findJob(twins, 'h1/$3')).toBe(twins[1]);
    expect(() => findJob(twins, '$3')).toThrow(`"$3" matches 2 jobs: 'h1/$3' (session zz, no record), 'h2/$3' (session evil, no record)`);
    // What a shell leaves of an unquoted h2/$3 is refused, not taken as a prefix of h2's only job.
    expect(() => findJob(twins, 'h2/')).toThrow(`no job matches "h2/" (a key with $ in it, such as 'h2/$3', must be quoted in the shell)`);
  });
});

describe('jobs table and JSON', () => {
  it('shows states with exit codes and makes remote text inert', () => {
    const table = jobsTable(jobs, (1_000 + 16 * 60) * 1000);
    expect(table.split('\n')[0]).toMatch(/^JOB\s+STATE\s+KIND\s+PARAMS\s+AGE\s+SESSION$/);
    expect(table).toMatch(/local\/12-fix\s+failed \(exit 3\)\s+review\s+pr=1\s+16m\s+-/);
    expect(table).toMatch(/build1\/12-review\s+exited ok/);
    expect(table).not.toContain('\x1b');
    expect(table).not.toContain('\x07');
    expect(jobsTable([], 0)).toBe('no jobs\n');
  });
  it('prints the job objects of status --json, every field with null for the missing ones', () => {
    expect(statusJob(jobs[1]!)).toEqual({
      key: 'local/12-fix', worker: 'local', id: '12-fix', kind: 'review', agent: null, resumeCount: 0, params: { pr: '1' }, state: 'failed', reason: '',
      exitCode: 3, stateSince: '1970-01-01T00:00:00.000Z', createdAt: '1970-01-01T00:16:40.000Z', lastOutputAt: null,
      session: null, sessionId: null, command: expect.any(Array), adhoc: false,
    });
  });
  it('shows a waiting job with its reason', () => {
    const waiting = { ...jobs[0]!, state: 'waiting' as const, reason: 'Allow Bash(npm test)?\x1b[2J' };
    expect(jobsTable([waiting], 0)).toMatch(/waiting: Allow Bash\(npm test\)\?/);
    expect(jobsTable([waiting], 0)).not.toContain('\x1b');
  });
});

describe('planFinishedRemoval', () => {
  it('lists exactly the jobs whose exit code is known, each with its record and the session it had (by id)', () => {
    const plan = planFinishedRemoval(jobs);
    expect(plan.map((item) => [item.key, item.state, item.exitCode, item.recordId, item.session])).toEqual([
      ['local/12-fix', 'failed', 3, '12-fix', undefined],
      ['build1/12-review', 'exited', 0, '12-review', undefined],
      ['build1/hand\x1b]52;c;cHduZWQ=\x07made', 'exited', 0, undefined, { id: '$1', name: 'mc-hand\x1b]52;c;cHduZWQ=\x07made' }],
    ]);
  });
});

describe('the pane copy command', () => {
  it('doubles # in literal text for tmux, and leaves only the formats it means', () => {
    const command = pipeCommand('/home/u/#{evil}/jobs/1-review');
    expect(command).toContain("cat >> '/home/u/##{evil}/jobs/1-review/output.log'");
    expect(command.replace(/##/g, '')).not.toMatch(/#\{evil/);
    expect(command.match(/(?<!#)#\{[a-z:_]+\}/g)).toEqual(['#{q:socket_path}', '#{pane_id}', '#{pane_pid}']);
  });
});
