import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI_DOC, commandHelp, renderCliDoc } from '../../src/cli/command-help.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { completeWords, type CompletionSource } from '../../src/cli/completion.js';
import { DISPATCHED_COMMANDS } from '../../src/cli/main.js';
import { resolveJobSettings } from '../../src/jobs/kinds.js';

const source: CompletionSource = {
  kinds: async () => ['fix', 'implement', 'review'],
  workers: async () => ['local', 'h1', 'h2'],
  jobs: async () => ['h1/review-42', 'review-42', 'h2/$3', 'h2/evil\x1b[2J', 'h2/two words'],
};

const complete = (...words: string[]) => completeWords(words, source);

describe('the command table', () => {
  it('has an entry for every subcommand the dispatcher runs, and no other', () => {
    const names = COMMANDS.map((entry) => entry.name);
    for (const command of DISPATCHED_COMMANDS) expect(names, `'${command}' has no entry in src/cli/commands.ts`).toContain(command);
    expect([...names].sort()).toEqual([...DISPATCHED_COMMANDS].sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every subcommand usage lines naming it, and a --help text', () => {
    for (const entry of COMMANDS) {
      expect(entry.usage, entry.name).toMatch(new RegExp(`^  mission-control \\[?${entry.name}`));
      expect(commandHelp(entry.name, resolveJobSettings()), entry.name).toContain(entry.usage);
    }
  });

  it(`is what ${CLI_DOC} says (regenerate with \`npm run docs:cli\`)`, () => {
    const doc = readFileSync(new URL(`../../${CLI_DOC}`, import.meta.url), 'utf8');
    expect(doc).toBe(renderCliDoc());
  });
});

describe('completion candidates (__complete)', () => {
  it('completes subcommands, also after --config PATH', async () => {
    expect(await complete('la')).toEqual(['launch']);
    expect(await complete('--config', 'c.yaml', 's')).toEqual(['status', 'send', 'stop', 'setup', 'suspend']);
    expect(await complete('')).toEqual(COMMANDS.map((entry) => entry.name));
  });

  it("completes a subcommand's flags", async () => {
    expect(await complete('launch', '--w')).toEqual(['--worker']);
    expect(await complete('rm', '--')).toEqual(['--purge', '--all-finished', '--yes', '--config', '--help']);
  });

  it('completes kinds, workers (also as a flag value) and job refs by position', async () => {
    expect(await complete('launch', '')).toEqual(['fix', 'implement', 'review']);
    expect(await complete('launch', '--worker', 'h')).toEqual(['h1', 'h2']);
    expect(await complete('launch', '--worker', 'h1', 'i')).toEqual(['implement']);
    expect(await complete('launch', 'fix', '')).toEqual([]);
    expect(await complete('setup', '')).toEqual(['local', 'h1', 'h2']);
    expect(await complete('suspend', 'h')).toEqual(['h1', 'h2']);
    expect(await complete('logs', '--bytes', '10', 'h1')).toEqual(['h1/review-42']);
    expect(await complete('completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('offers nothing after a subcommand has its operands, nor for an unknown subcommand', async () => {
    expect(await complete('stop', 'review-42', '')).toEqual([]);
    expect(await complete('send', 'review-42', 're')).toEqual([]);
    expect(await complete('nonsense', '')).toEqual([]);
  });

  it('leaves out job refs a shell would split or a terminal would act on', async () => {
    expect(await complete('attach', 'h2/')).toEqual(['h2/$3']);
  });
});
