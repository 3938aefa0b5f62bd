import { describe, expect, it } from 'vitest';
import { BUILTIN_KINDS, fillTemplate, kindSchema, kindsSchema, placeholders, repoSchema, resolveJobSettings } from '../../src/jobs/kinds.js';

describe('the kinds: section', () => {
  it('accepts the built-in kinds written as config', () => {
    for (const kind of BUILTIN_KINDS) {
      const written = {
        description: kind.description,
        params: Object.fromEntries(kind.params.map(({ name, ...spec }) => [name, spec])),
        ...('prompt' in kind ? { prompt: kind.prompt } : { command: [...kind.command] }),
        worktree: kind.worktree,
      };
      expect(kindSchema.safeParse(written).success, kind.name).toBe(true);
    }
    expect(BUILTIN_KINDS.map((k) => k.name)).toEqual(['review', 'fix', 'ready', 'implement', 'open']);
  });

  it('names the mistakes: unknown placeholders, bad patterns, bad names, unknown fields', () => {
    const issues = (value: unknown) => kindsSchema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ x: { params: { pr: { pattern: '^[0-9]+$' } }, command: ['echo', '{pull}'] } })).toEqual([
      'x.command.1: placeholder {pull} names no parameter; expected one of: pr',
    ]);
    expect(issues({ x: { params: { pr: { pattern: '([' } }, command: ['true'] } })[0]).toMatch(/x\.params\.pr\.pattern: expected a valid regular expression/);
    expect(issues({ 'Bad Name': { command: ['true'] } })[0]).toMatch(/expected a kind name/);
    expect(issues({ x: { params: { 'p-r': { pattern: '.' } }, command: ['true'] } })[0]).toMatch(/expected a parameter name/);
    expect(issues({ x: { command: [] } })[0]).toMatch(/expected a command: a list of at least one argument/);
    expect(issues({ x: { command: ['true'], shell: 'bash' } })[0]).toMatch(/shell/);
    expect(issues({ x: { command: ['true'], worktree: { fetch: '--upload-pack=evil' } } })[0]).toMatch(/not starting with '-'/);
    expect(issues({ x: { params: { pr: { pattern: '.' } }, command: ['true'], worktree: { fetch: 'pull/{pr}/head', branch: 'b-{nope}' } } })).toEqual([
      'x.worktree.branch: placeholder {nope} names no parameter; expected one of: pr',
    ]);
  });

  it('lets a config kind replace a built-in and add new ones, keeping parameter order', () => {
    const kinds = kindsSchema.parse({
      review: { params: { pr: { pattern: '^[0-9]+$' } }, command: ['claude', 'review {pr}'], worktree: { fetch: 'pull/{pr}/head' } },
      lint: { params: { b: { pattern: '.' }, a: { pattern: '.' } }, command: ['lint', '{a}', '{b}'] },
    });
    const settings = resolveJobSettings({ kinds });
    expect(settings.kinds.get('review')!.command).toEqual(['claude', 'review {pr}']);
    expect(settings.kinds.get('lint')).toMatchObject({ params: [{ name: 'b' }, { name: 'a' }], worktree: false });
    expect(settings.kinds.get('fix')!.name).toBe('fix');
  });
});

describe('the repo: section', () => {
  it('defaults to the seeds layout and reads sync entries as same-path or from/to', () => {
    expect(resolveJobSettings().repo).toEqual({ mainDir: '~/dev/main', worktreesDir: '~/dev/worktrees', sync: [] });
    const repo = repoSchema.parse({ url: 'git@example.com:me/repo.git', upstream: 'https://example.com/org/repo.git', sync: ['~/.gemini/settings.json', { from: '/etc/x', to: '~/x' }] });
    expect(resolveJobSettings({ repo }).repo).toEqual({
      url: 'git@example.com:me/repo.git',
      upstream: 'https://example.com/org/repo.git',
      mainDir: '~/dev/main',
      worktreesDir: '~/dev/worktrees',
      sync: [{ from: '~/.gemini/settings.json', to: '~/.gemini/settings.json' }, { from: '/etc/x', to: '~/x' }],
    });
    expect(repoSchema.safeParse({ mainDir: '~/dev/#main' }).success).toBe(false);
    expect(repoSchema.safeParse({ url: '--upload-pack=x' }).success).toBe(false);
  });
});

describe('templates', () => {
  it('fills placeholders and keeps doubled braces literal', () => {
    expect(fillTemplate('pull/{pr}/head', { pr: '12' })).toBe('pull/12/head');
    expect(fillTemplate('{{pr}} {pr} ${SHELL:-sh}', { pr: '1' })).toBe('{pr} 1 ${SHELL:-sh}');
    expect(placeholders('a {x} {{y}} {z}')).toEqual(['x', 'z']);
    expect(() => fillTemplate('{nope}', {})).toThrow(/uses \{nope\}/);
  });
});
