import { describe, expect, it } from 'vitest';
import { JobRequestError, sessionNameFor, specifyJob } from '../../src/jobs/params.js';
import type { JobKind } from '../../src/jobs/kinds.js';
import { isJobId, MAX_JOB_ID_LENGTH, quoteName } from '../../src/scanners/worker-scan/job-id.js';
import { parseJobSections } from '../../src/scanners/worker-scan/parse-jobs.js';
import type { Section } from '../../src/scanners/worker-scan/sections.js';

const US = '\x1f';
const section = (name: string, lines: string[], status: number | undefined = 0): Section => ({
  name,
  body: lines.map((l) => `${l}\n`).join(''),
  status,
});
const J = (id: string, metaState: string, exitState = '0', exit = '', meta = ''): string => ['J', id, metaState, exitState, exit, meta].join(US);
const META = JSON.stringify({ id: 'ok', kind: 'review', params: {}, command: ['x'], session: 'mc-ok', createdAt: '2026-11-23T00:00:00.000Z' });

describe('job records over their size caps', () => {
  it('keeps the job listed, unread, with its size in metaError and in problems', () => {
    const part = parseJobSections(
      section('jobs', [J('big', '3', '1', '0'), J('bigexit', '1', '3', '', META), J('ok', '1', '0', '', META), J('nostat', '3')]),
      section('logs', ['1795000000 8388749 big/meta.json', '1795000000 4002 bigexit/exit', '1795000000 12 big/output.log']),
    );
    expect(part.jobs.map((j) => j.id)).toEqual(['big', 'bigexit', 'nostat', 'ok']);
    expect(part.jobs[0]).toEqual({
      id: 'big',
      meta: undefined,
      metaError: 'record too large: meta.json is 8388749 bytes, over the 64 KiB limit; not read',
      exitCode: 0,
      exitError: undefined,
      logModified: 1795000000,
      logBytes: 12,
    });
    expect(part.jobs[1]).toMatchObject({ exitCode: undefined, exitError: 'record too large: the exit file is 4002 bytes, over the 1 KiB limit; not read' });
    // The file vanished before stat looked: still reported, without a size.
    expect(part.jobs[2]?.metaError).toBe('record too large: meta.json is larger than 64 KiB; not read');
    expect(part.problems).toEqual([
      'job big: record too large: meta.json is 8388749 bytes, over the 64 KiB limit; not read',
      'job bigexit: record too large: the exit file is 4002 bytes, over the 1 KiB limit; not read',
      'job nostat: record too large: meta.json is larger than 64 KiB; not read',
    ]);
  });
});

describe('job directories whose names are not job ids', () => {
  it('are reported escaped, never listed, whichever line the script printed', () => {
    const escape = 'x\x1b]0;TITLE\x07\x1b]52;c;cHduZWQ=\x07';
    const part = parseJobSections(
      section('jobs', [`S${US}${escape}`, `S${US}`, J('ok', '0'), J('a\u202eb', '0'), J('c'.repeat(MAX_JOB_ID_LENGTH + 1), '0')]),
      section('logs', []),
    );
    expect(part.jobs.map((j) => j.id)).toEqual(['ok']);
    expect(part.problems).toEqual([
      `job directories "x\\u001b]0;TITLE\\u0007\\u001b]52;c;cHduZWQ=\\u0007", (a name holding a newline or a separator), "a\\u202eb", "${'c'.repeat(80)}"… skipped: a job id is letters, digits, _ and - only`,
    ]);
    expect(part.problems.join('')).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202e]/);
  });

  it('quotes the first five and counts the rest', () => {
    const part = parseJobSections(section('jobs', Array.from({ length: 12 }, (_, i) => `S${US}bad name ${i}`)), section('logs', []));
    expect(part.problems).toEqual([
      'job directories "bad name 0", "bad name 1", "bad name 2", "bad name 3", "bad name 4" and 7 more skipped: a job id is letters, digits, _ and - only',
    ]);
  });

  it('quoteName escapes C1 controls, bidi and format characters, astral characters and lone surrogates', () => {
    expect(quoteName('a\u0085b\u200fc\u00add\u{e0041}e\ud800')).toBe('"a\\u0085b\\u200fc\\u00add\\udb40\\udc41e\\ud800"');
    expect(quoteName('日本')).toBe('"\\u65e5\\u672c"');
  });
});

describe('the one job id rule, shared by launch and the scan', () => {
  const kind: JobKind = { name: 'review', params: [{ name: 'pr', pattern: '^.*$' }], command: ['x', '{pr}'], worktree: false };
  const settings = { kinds: new Map([['review', kind]]), repo: { mainDir: '~/dev/main', worktreesDir: '~/dev/worktrees', sync: [] } };

  it('accepts what launch makes and nothing else', () => {
    for (const value of ['12', '$(touch x)', 'a\x1bb', 'ü'.repeat(300), '-x']) {
      const { id } = specifyJob(settings, 'review', { pr: value });
      expect(isJobId(id), id).toBe(true);
      expect(sessionNameFor('mc', id)).toBe(`mc-${id}`);
    }
    for (const id of ['', 'a b', 'a.b', 'a/b', '..', 'é', 'x'.repeat(MAX_JOB_ID_LENGTH + 1)]) expect(isJobId(id), id).toBe(false);
    expect(() => sessionNameFor('mc', 'x'.repeat(MAX_JOB_ID_LENGTH + 1))).toThrow(JobRequestError);
  });

  it('refuses a launch whose id would be too long', () => {
    const many: JobKind = { ...kind, params: Array.from({ length: 8 }, (_, i) => ({ name: `p${i}`, pattern: '^.*$' })) };
    const params = Object.fromEntries(many.params.map((p) => [p.name, 'y'.repeat(40)]));
    expect(() => specifyJob({ ...settings, kinds: new Map([['review', many]]) }, 'review', params)).toThrow(/longer than 200 characters/);
  });
});
