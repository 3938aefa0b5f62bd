import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../harness/process.js';

// Runs the real vitest on small sample test files, then scripts/test-totals.mjs on its report, the way
// scripts/test.sh does, and checks the totals line for each way a file can fail.
const root = resolve(import.meta.dirname, '../..');
const vitestBin = join(root, 'node_modules/.bin/vitest');
const reporter = join(root, 'scripts/unhandled-errors-reporter.mjs');
const totals = join(root, 'scripts/test-totals.mjs');

const samples: Record<string, string> = {
  'pass.test.ts': `
    test('a', () => expect(1).toBe(1));
    test('b', () => expect(1).toBe(1));
    test.skip('c', () => {});`,
  'fails.test.ts': `
    test('f1', () => expect(1).toBe(2));
    test('f2', () => expect(1).toBe(1));`,
  'before-all.test.ts': `
    beforeAll(() => { throw new Error('sshd failed to start'); });
    test('x1', () => expect(1).toBe(1));
    test('x2', () => expect(1).toBe(1));`,
  'after-all.test.ts': `
    afterAll(() => { throw new Error('teardown failed'); });
    test('y1', () => expect(1).toBe(1));`,
  'unhandled.test.ts': `
    test('z1', async () => { void Promise.reject(new Error('nobody catches me')); await new Promise((r) => setTimeout(r, 50)); });
    test('z2', () => expect(1).toBe(1));`,
  'exit.test.ts': `
    test('w1', () => expect(1).toBe(1));
    test('w2', () => { process.exit(3); });`,
  'worker-killed.test.ts': `
    test('k1', () => expect(1).toBe(1));
    test('k2', () => { process.kill(process.pid, 'SIGKILL'); });
    test('k3', () => expect(1).toBe(1));`,
  'load-error.test.ts': `
    throw new Error('cannot load');
    test('l1', () => expect(1).toBe(1));`,
};

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-test-totals-'));
  // The samples import vitest from the project's own install.
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  await writeFile(join(dir, 'vitest.config.mjs'), "export default { test: { pool: 'forks' } };\n");
  for (const [name, body] of Object.entries(samples)) {
    await writeFile(join(dir, name), `import { afterAll, beforeAll, expect, test } from 'vitest';\n${body}\n`);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs vitest on the named samples as scripts/test.sh does, then the totals script; returns its line and exit code. */
async function totalsOf(...files: string[]): Promise<{ line: string; code: number | null; stderr: string }> {
  const report = join(dir, '.test-results', `${files.join('+')}.json`);
  // The outer vitest's variables would make the inner one think it runs inside a worker.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
  const vitest = await run(
    vitestBin,
    ['run', '--reporter=json', `--reporter=${reporter}`, `--outputFile.json=${report}`, ...files],
    { cwd: dir, env: { ...env, CI: 'true' }, allowFailure: true },
  );
  const result = await run(process.execPath, [totals, report], { allowFailure: true });
  if (result.stdout === '') throw new Error(`no totals; vitest said:\n${vitest.stdout}\n${vitest.stderr}\n${result.stderr}`);
  return { line: result.stdout.trim(), code: result.code, stderr: result.stderr };
}

describe('the totals line of a vitest run', () => {
  it.each([
    ['passing and skipped tests', ['pass.test.ts'], '2 passed, 0 failed, 1 skipped', 0],
    ['a failing test', ['fails.test.ts'], '1 passed, 1 failed', 1],
    ['a beforeAll that throws: its skipped tests count as failed', ['before-all.test.ts'], '0 passed, 2 failed, 1 files failed', 1],
    ['an afterAll that throws', ['after-all.test.ts'], '0 passed, 1 failed, 1 files failed', 1],
    ['an unhandled rejection', ['unhandled.test.ts'], '0 passed, 2 failed, 1 files failed', 1],
    ['process.exit in a test (vitest turns it into a test failure)', ['exit.test.ts'], '1 passed, 1 failed', 1],
    ['a test worker killed mid-file', ['worker-killed.test.ts'], '0 passed, 3 failed, 1 files failed', 1],
    ['a file that fails to load', ['load-error.test.ts'], '0 passed, 1 failed, 1 files failed', 1],
  ])('%s', async (_case, files, line, code) => {
    const result = await totalsOf(...files);
    expect(result.line).toBe(line);
    expect(result.code).toBe(code);
  });

  it('adds the failures up across files and names each failed file on stderr', async () => {
    const result = await totalsOf('pass.test.ts', 'fails.test.ts', 'before-all.test.ts', 'worker-killed.test.ts');
    expect(result.line).toBe('3 passed, 6 failed, 1 skipped, 2 files failed');
    expect(result.stderr).toContain('before-all.test.ts: sshd failed to start');
    expect(result.stderr).toContain('worker-killed.test.ts: its test worker died');
  });

  it('says a run with no report failed', async () => {
    const result = await run(process.execPath, [totals, join(dir, 'missing.json')], { allowFailure: true });
    expect(result.stdout.trim()).toBe('0 passed, 1 failed, 1 files failed');
    expect(result.code).toBe(1);
  });
});
