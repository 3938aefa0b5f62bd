import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kindsSchema, resolveJobSettings } from '../../src/jobs/kinds.js';
import { JobRequestError, jobIdFor, paramsFromWords, SAFE_NAME, sessionNameFor, specifyJob } from '../../src/jobs/params.js';

const settings = resolveJobSettings({
  kinds: kindsSchema.parse({
    say: { params: { msg: { pattern: '^.{1,200}$' } }, command: ['printf', '%s\\n', '{msg}'] },
    pair: { params: { repo: { pattern: '^[a-z/]+$' }, pr: { pattern: '^[0-9]+$' } }, command: ['echo', '{repo}#{pr}'] },
  }),
});

describe('specifyJob', () => {
  it('checks a built-in request and builds a deterministic id, session name and argv', () => {
    const spec = specifyJob(settings, 'review', { pr: '123' });
    expect(spec.id).toBe('123-review');
    expect(spec.params).toEqual({ pr: '123' });
    expect(spec.command).toEqual(['gemini', '--prompt-interactive', 'Review pull request #123, checked out in this directory. Report findings; do not push.']);
    expect(specifyJob(settings, 'review', { pr: '123' })).toEqual(spec);
    expect(specifyJob(settings, 'implement', { issue: '45' }).id).toBe('45-implement');
    expect(sessionNameFor('mc', spec.id)).toBe('mc-123-review');
  });

  it('names what is wrong: unknown kind, missing, unknown and malformed parameters', () => {
    expect(() => specifyJob(settings, 'reveiw', { pr: '1' })).toThrow(/unknown job kind "reveiw"; expected one of: fix, implement, open, pair, ready, review, say/);
    expect(() => specifyJob(settings, 'review', {})).toThrow(/review needs pr \(pull request number\); usage: review PR/);
    expect(() => specifyJob(settings, 'review', { pr: '1', issue: '2' })).toThrow(/review has no parameter "issue"; it takes: PR/);
    expect(() => specifyJob(settings, 'review', { pr: '12a' })).toThrow(/pr \(pull request number\) must match \^\[0-9\]\{1,9\}\$; got "12a"/);
  });

  it.each([
    '1; rm -rf ~',
    '$(touch /tmp/pwned)',
    '`touch /tmp/pwned`',
    '12\ntouch /tmp/pwned',
    "12'",
    '12"',
    '#(touch /tmp/pwned)',
    '#{session_name}',
    ' 12',
    '12 ',
    '-12',
    '１２',
  ])('rejects the hostile pull request number %j', (value) => {
    expect(() => specifyJob(settings, 'review', { pr: value })).toThrow(JobRequestError);
  });

  it('never lets a NUL byte through, whatever the pattern', () => {
    expect(() => specifyJob(settings, 'say', { msg: 'a\0b' })).toThrow(JobRequestError);
  });

  it('turns any accepted value into an id of safe characters, the same every time, distinct for distinct values', () => {
    const kind = settings.kinds.get('say')!;
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ minLength: 1, maxLength: 200 }), (a, b) => {
        const idA = jobIdFor(kind, { msg: a });
        expect(idA).toMatch(SAFE_NAME);
        expect(idA.length).toBeLessThanOrEqual(80);
        expect(jobIdFor(kind, { msg: a })).toBe(idA);
        if (a !== b) expect(jobIdFor(kind, { msg: b })).not.toBe(idA);
        expect(sessionNameFor('mc', idA)).toMatch(/^mc-[A-Za-z0-9_-]+$/);
      }),
    );
    expect(jobIdFor(kind, { msg: '#(touch x)' })).toMatch(/^touch_x-[0-9a-f]{8}-say$/);
    expect(jobIdFor(kind, { msg: 'plain' })).toBe('plain-say');
  });

  it('fills every placeholder of a multi-parameter kind, one argv word per template part', () => {
    const spec = specifyJob(settings, 'pair', { repo: 'org/repo', pr: '7' });
    expect(spec.command).toEqual(['echo', 'org/repo#7']);
    expect(spec.id).toMatch(/^org_repo-[0-9a-f]{8}-7-pair$/);
  });

  it('refuses a session prefix or id with characters tmux interprets', () => {
    expect(() => sessionNameFor('mc#', '1-review')).toThrow(/characters tmux interprets/);
    expect(() => sessionNameFor('mc', '1.review')).toThrow(JobRequestError);
  });
});

describe('paramsFromWords', () => {
  const pair = settings.kinds.get('pair')!;
  it('fills parameters in order from positional words, and by name from name=value words', () => {
    expect(paramsFromWords(pair, ['org/repo', '7'])).toEqual({ repo: 'org/repo', pr: '7' });
    expect(paramsFromWords(pair, ['pr=7', 'org/repo'])).toEqual({ repo: 'org/repo', pr: '7' });
    expect(paramsFromWords(settings.kinds.get('say')!, ['a=b'])).toEqual({ msg: 'a=b' });
  });
  it('refuses extra or repeated values', () => {
    expect(() => paramsFromWords(pair, ['a', '1', 'x'])).toThrow(/too many values for pair; usage: pair REPO PR/);
    expect(() => paramsFromWords(pair, ['pr=1', 'pr=2'])).toThrow(/pr is given twice/);
  });
});
