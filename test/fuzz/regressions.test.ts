import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { statusJson } from '../../src/cli/status-report.js';
import { execFileSync } from 'node:child_process';
import { shellJoin } from '../../src/ssh/quote.js';
import { describeComputeError, GceError } from '../../src/providers/gce/errors.js';
import { kindsSchema, resolveJobSettings } from '../../src/jobs/kinds.js';
import { specifyJob } from '../../src/jobs/params.js';
import { machineStatusOf } from '../../src/providers/gce/machine-state.js';
import { parseScan } from '../../src/scanners/worker-scan/parse.js';
import { createFleetStore } from '../../src/state/store.js';

/** Inputs the fuzzers found, kept as plain examples. */
describe('inputs found by fuzzing', () => {
  it('status --json survives a worker reporting a log modified in the year 3,000,000 (touch -d @99999999999999)', () => {
    const M = '@@MC-fuzz0nonce0000001@@';
    const output = [
      `\n${M} BEGIN jobs\nJ\x1f12-review\x1f0\x1f0\x1f\x1f\n${M} END jobs 0\n`,
      `\n${M} BEGIN logs\n99999999999999 10 12-review/output.log\n${M} END logs 0\n`,
    ].join('');
    const store = createFleetStore();
    store.getState().setWorkers([{ name: 'w', provider: 'ssh', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' }], undefined);
    store.getState().refreshSucceeded('w', { scan: parseScan(output, 'fuzz0nonce0000001'), machine: { state: 'running' }, path: 'direct', rttMs: 1, scanMs: 1, now: 1_795_000_000_000 });
    const doc = statusJson(store.getState(), 1_795_000_000_000);
    expect(doc.jobs).toEqual([expect.objectContaining({ id: '12-review', lastOutputAt: null })]);
  });

  it('a GCE status named like an Object member (constructor, valueOf) is unknown, not a function', () => {
    for (const status of ['constructor', 'valueOf', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(machineStatusOf(status)).toEqual({ state: 'unknown', detail: status });
    }
  });

  it('a poll interval longer than a timer can wait is refused, not turned into polling every millisecond', () => {
    for (const value of ['700h', '1e306', 1e306, 2_147_484]) {
      const result = parseConfig(`defaults:\n  pollInterval: ${JSON.stringify(value)}\n`, 'config.yaml');
      expect(result.ok, String(value)).toBe(false);
    }
    expect(parseConfig('defaults:\n  pollInterval: 500h\n', 'config.yaml').ok).toBe(true);
  });

  it('quoted words that zsh would read into (=cmd, ^) come back unchanged from zsh, bash and dash', () => {
    const words = ['=ls', '=no-such-command-here', 'a^b', '^x', 'x=y', '--opt=value'];
    for (const shell of ['zsh', 'bash', 'dash']) {
      const out = execFileSync(shell, ['-s'], { input: `printf '%s\\n' ${shellJoin(words)}\n`, stdio: 'pipe' }).toString();
      expect(out, shell).toBe(`${words.join('\n')}\n`);
    }
  });

  it('a config with a mapping as a key is reported as an error, with no library warning on stderr', () => {
    const warnings: string[] = [];
    const emitWarning = process.emitWarning;
    process.emitWarning = ((warning: string | Error) => void warnings.push(String(warning))) as typeof process.emitWarning;
    try {
      expect(parseConfig('workers:\n  - ? [name]\n    : w1\n', 'config.yaml').ok).toBe(false);
    } finally {
      process.emitWarning = emitWarning;
    }
    expect(warnings).toEqual([]);
  });

  it('a thrown value whose toString is broken still becomes a GceError', () => {
    expect(describeComputeError({ toString: 0 }, { action: 'listing VMs', project: 'p' })).toBeInstanceOf(GceError);
  });

  it('a kind with two parameters gives `x-y z` and `x y-z` different job ids (one job each, not one for both)', () => {
    const settings = resolveJobSettings({ kinds: kindsSchema.parse({ pair: { params: { a: { pattern: '.*' }, b: { pattern: '.*' } }, command: ['echo', '{a}', '{b}'] } }) });
    const id = (a: string, b: string) => specifyJob(settings, 'pair', { a, b }).id;
    expect(id('x-y', 'z')).not.toBe(id('x', 'y-z'));
    expect(id('x', 'z')).toBe('x-z-pair');
    expect(id('x-y', 'z')).toMatch(/^x_y-[0-9a-f]{8}-z-pair$/);
  });
});
