import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { HELP } from '../../src/cli/usage.js';

let dir: string;
let config: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-help-'));
  config = join(dir, 'config.yaml');
  await writeFile(
    config,
    ['agent: claude', 'kinds:', '  triage:', '    description: sort new issues', "    params: { issue: { pattern: '^[0-9]+$' } }", '    command: [triage, "{issue}"]', ''].join('\n'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI's entry point; returns its exit code and what it wrote. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('COMMAND --help', () => {
  it.each(['send', 'launch', 'jobs', 'logs', 'stop', 'rm', 'setup'])('%s --help prints its own usage and exits 0', async (command) => {
    const result = await run(['--config', config, command, '--help']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage:\\n  mission-control ${command} `));
  });

  it('-h and --help before the command ask the same', async () => {
    const short = await run(['--config', config, 'stop', 'x', '-h']);
    const before = await run(['--config', config, '--help', 'stop']);
    expect(short.code).toBe(0);
    expect(before.code).toBe(0);
    expect(before.stdout).toBe(short.stdout);
    expect(short.stdout).toContain("'worker/$3'");
  });

  it('launch --help lists the kinds of the config with their parameters and agent', async () => {
    const { stdout } = await run(['--config', config, 'launch', '--help']);
    const kinds = stdout.slice(stdout.indexOf('KIND and its PARAMS')).split('\n').slice(1, 7).map((line) => line.trim().replace(/\s{2,}/g, ' | '));
    expect(kinds).toEqual([
      'fix PR | fix review comments and failing checks of a pull request (agent: claude)',
      'implement ISSUE | implement an issue on a new branch (agent: claude)',
      "open PR | a shell in a pull request's worktree",
      'ready PR | get a pull request ready to merge (rebase, build, tests) (agent: claude)',
      'review PR | review a pull request (agent: claude)',
      'triage ISSUE | sort new issues',
    ]);
  });

  it('-- ends the options: a --help after it is text to send, not a request for help', async () => {
    const result = await run(['--config', join(dir, 'absent.yaml'), 'send', 'nojob', '--', '--help']);
    expect(result.stdout).not.toContain('Usage:');
  });

  it('the top-level help ends its command list before saying what JOB is, and leaves no sentence unfinished', () => {
    expect(HELP).not.toMatch(/kinds:\n/);
    expect(HELP).toContain('mission-control COMMAND --help');
    expect(HELP.indexOf('JOB is')).toBeGreaterThan(HELP.indexOf('mission-control --version'));
  });
});

describe("the entry point's own messages", () => {
  it('reach the terminal sanitized: a command line with escapes in it cannot retitle the terminal or write its clipboard', async () => {
    const hostile = 'x\x1b]0;TITLE\x07\x1b]52;c;aGk=\x07';
    for (const argv of [[hostile], ['attach', 'a', hostile], ['status', `--${hostile}`]]) {
      const result = await run(['--config', config, ...argv]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('mission-control: ');
      expect(result.stderr).not.toMatch(/[\x07\x1b]/);
    }
  });
});

describe('subcommands main dispatches itself', () => {
  it.each(['status', 'dashboard', 'watch', 'attach', 'completion'])('%s --help prints its own usage, not the top-level help', async (command) => {
    const result = await run(['--config', config, command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage:\\n  mission-control \\[?${command}`));
  });

  it('completion needs a shell it has a script for', async () => {
    const missing = await run(['completion']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("'completion' needs a shell: mission-control completion bash|zsh|fish");
    const unknown = await run(['completion', 'tcsh']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('expected bash, zsh or fish');
    expect((await run(['attach'])).stderr).toContain("'attach' needs a job: mission-control attach [--readonly] JOB");
  });

  it('__complete answers from the config, and offers nothing rather than failing on a config it cannot read', async () => {
    expect((await run(['__complete', '--config', config, 'launch', 'tr'])).stdout).toBe('triage\n');
    const broken = await run(['__complete', '--config', join(dir, 'missing.yaml'), 'setup', '']);
    expect(broken).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
