import { describe, expect, it } from 'vitest';
import { kindsSchema } from '../../src/jobs/kinds.js';
import { JobRequestError, specifyGeneric } from '../../src/jobs/params.js';
import { resumeCommand, resumeRefusal } from '../../src/jobs/resume.js';

describe('the generic kinds', () => {
  it('run: the id is run-<8 hex> of the argv and branch, the same for the same request, another for another', () => {
    const spec = specifyGeneric({ kind: 'run', argv: ['make', 'test'] });
    expect(spec.id).toMatch(/^run-[0-9a-f]{8}$/);
    expect(spec.command).toEqual(['make', 'test']);
    expect(spec.kind.worktree).toEqual({ fetch: 'HEAD' });
    expect(specifyGeneric({ kind: 'run', argv: ['make', 'test'] }).id).toBe(spec.id);
    const others = [
      specifyGeneric({ kind: 'run', argv: ['make test'] }),
      specifyGeneric({ kind: 'run', argv: ['make', 'test', ''] }),
      specifyGeneric({ kind: 'run', argv: ['make', 'test'], branch: 'dev' }),
      specifyGeneric({ kind: 'run', argv: ['make', 'test'], noWorktree: true }),
    ];
    expect(new Set([spec.id, ...others.map((o) => o.id)]).size).toBe(5);
    expect(others[2]!.kind.worktree).toEqual({ fetch: 'dev' });
    expect(others[2]!.params).toEqual({ branch: 'dev' });
    expect(others[3]!.kind.worktree).toBe(false);
  });

  it('shell: an interactive shell, its id from the branch; --name gives the id', () => {
    const shell = specifyGeneric({ kind: 'shell' });
    expect(shell.id).toMatch(/^shell-[0-9a-f]{8}$/);
    expect(shell.command).toEqual(['sh', '-c', 'exec "${SHELL:-/bin/sh}" -i']);
    expect(specifyGeneric({ kind: 'shell', name: 'mine' }).id).toBe('mine');
    expect(specifyGeneric({ kind: 'run', argv: ['true'], name: 'a_b-1' }).id).toBe('a_b-1');
  });

  it('refuses what is wrong before anything runs', () => {
    const refused = [
      { kind: 'run' as const },
      { kind: 'run' as const, argv: [] },
      { kind: 'run' as const, argv: ['a\0b'] },
      { kind: 'shell' as const, argv: ['ls'] },
      { kind: 'run' as const, argv: ['true'], name: '../etc' },
      { kind: 'run' as const, argv: ['true'], name: 'x'.repeat(201) },
      { kind: 'run' as const, argv: ['true'], name: '#{session_name}' },
      { kind: 'run' as const, argv: ['true'], branch: '-x' },
      { kind: 'run' as const, argv: ['true'], branch: 'a..b' },
      { kind: 'run' as const, argv: ['true'], branch: 'a b' },
      { kind: 'run' as const, argv: ['true'], branch: 'dev', noWorktree: true },
    ];
    for (const request of refused) expect(() => specifyGeneric(request), JSON.stringify(request)).toThrow(JobRequestError);
  });

  it('run and shell are reserved: a config kind may not take their names', () => {
    expect(kindsSchema.safeParse({ run: { command: ['true'] } }).success).toBe(false);
    expect(kindsSchema.safeParse({ shell: { command: ['true'] } }).success).toBe(false);
    expect(kindsSchema.safeParse({ runner: { command: ['true'] } }).success).toBe(true);
  });
});

describe('resume', () => {
  it("runs the agent's resume argv for a job with an agent preset, else the job's own command", () => {
    expect(resumeCommand({ agent: 'claude', command: ['claude', 'hi'] })).toEqual({ command: ['claude', '--continue'], agentResume: true });
    expect(resumeCommand({ agent: 'gemini', command: ['gemini'] })).toEqual({ command: ['gemini', '--resume', 'latest'], agentResume: true });
    expect(resumeCommand({ command: ['make', 'test'] })).toEqual({ command: ['make', 'test'], agentResume: false });
    expect(resumeCommand({ agent: 'unknown-agent', command: ['x'] })).toEqual({ command: ['x'], agentResume: false });
  });

  it('is refused for a job that is not lost (nor ended by a hangup) or was started by hand', () => {
    const gone = { key: 'w/a', adhoc: false, session: undefined, exitCode: undefined };
    expect(resumeRefusal({ ...gone, state: 'lost' })).toBeUndefined();
    expect(resumeRefusal({ ...gone, state: 'failed', exitCode: 129 })).toBeUndefined();
    expect(resumeRefusal({ ...gone, state: 'running', session: { id: '$1', name: 'mc-a' } as never })).toContain('is running, not lost');
    expect(resumeRefusal({ ...gone, state: 'failed', exitCode: 3 })).toContain('is failed (exit 3), not lost');
    expect(resumeRefusal({ ...gone, state: 'exited', exitCode: 0 })).toContain('not lost');
    expect(resumeRefusal({ ...gone, state: 'lost', adhoc: true })).toContain('started by hand');
  });
});
