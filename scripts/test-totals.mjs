// Prints the totals of a vitest run as one plain line: "N passed, N failed[, N skipped][, N files failed]".
// Reads vitest's JSON report and the record of errors outside tests that scripts/unhandled-errors-reporter.mjs
// writes beside it. A file "failed" when something broke outside its tests' own bodies: a beforeAll/afterAll hook,
// loading the file, an unhandled error attributed to it, or its worker process dying mid-file. Every test of such a
// file counts as failed (a skipped-by-hook test or a test beside a crash proved nothing), so the line never says
// "0 failed" for a run that failed. Exits 1 when anything failed.
import { existsSync, readFileSync } from 'node:fs';
import { unhandledErrorsPath } from './unhandled-errors-reporter.mjs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.log('0 passed, 1 failed, 1 files failed');
  console.error(`test totals: no report at ${file}: ${error.message}`);
  process.exit(1);
}

const errorsPath = unhandledErrorsPath(file);
let unhandled = [];
if (existsSync(errorsPath)) unhandled = JSON.parse(readFileSync(errorsPath, 'utf8'));
else console.error(`test totals: no record of errors outside tests at ${errorsPath}; run vitest with --reporter=./scripts/unhandled-errors-reporter.mjs`);

let passed = 0;
let failed = 0;
let skipped = 0;
const failedFiles = [];
const unattributed = unhandled.filter((e) => !e.file || !report.testResults?.some((r) => r.name === e.file));
for (const result of report.testResults ?? []) {
  const tests = result.assertionResults ?? [];
  // "pending" is a test that was queued or running when the report was written: its worker died.
  const crashed = tests.some((t) => t.status === 'pending');
  const errors = unhandled.filter((e) => e.file === result.name);
  const failedTests = tests.filter((t) => t.status === 'failed').length;
  const fileLevel = result.status === 'failed' && (Boolean(result.message) || failedTests === 0);
  const reasons = [
    fileLevel && (result.message || 'failed outside its tests'),
    crashed && 'its test worker died before the file finished',
    ...errors.map((e) => `${e.type ?? 'error'} outside a test: ${e.message}`),
  ].filter(Boolean);
  if (reasons.length > 0) {
    failedFiles.push(`${result.name}: ${reasons.join('; ')}`);
    failed += Math.max(tests.length, 1);
    continue;
  }
  for (const t of tests) {
    if (t.status === 'passed') passed++;
    else if (t.status === 'failed') failed++;
    else skipped++;
  }
}
// An error vitest could not place in a file (e.g. "Worker exited unexpectedly") is already explained by a file
// whose worker died; any left over is a failure of its own.
const crashedFiles = failedFiles.filter((f) => f.includes('its test worker died')).length;
for (const error of unattributed.slice(crashedFiles)) {
  failedFiles.push(`(no file): ${error.type ?? 'error'}: ${error.message}`);
  failed++;
}

for (const line of failedFiles) console.error(`test totals: file failed: ${line}`);
const parts = [`${passed} passed`, `${failed} failed`];
if (skipped) parts.push(`${skipped} skipped`);
if (failedFiles.length) parts.push(`${failedFiles.length} files failed`);
console.log(parts.join(', '));
process.exit(failed > 0 ? 1 : 0);
