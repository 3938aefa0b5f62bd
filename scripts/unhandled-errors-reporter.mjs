// A vitest reporter that records the errors raised outside any test (unhandled rejections, uncaught exceptions,
// a test worker that died) beside the JSON report, because vitest's JSON report leaves them out and a run with
// one of them would otherwise total as "0 failed". scripts/test-totals.mjs reads the record.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Where the record of errors outside tests lives for a given JSON report path. */
export function unhandledErrorsPath(reportPath) {
  return reportPath.replace(/(\.json)?$/, '.unhandled-errors.json');
}

/** Writes `<json report>.unhandled-errors.json`: [{ file, test, type, message }] (file and test when vitest knows them). */
export default class UnhandledErrorsReporter {
  /** Remembers where the JSON report goes and removes a record left by an earlier run. */
  onInit(vitest) {
    const output = vitest.config.outputFile;
    const json = typeof output === 'string' ? output : output?.json;
    this.path = json ? unhandledErrorsPath(resolve(vitest.config.root, json)) : undefined;
    if (this.path) rmSync(this.path, { force: true });
  }

  /** Records the run's unhandled errors (an empty list when there were none, so a missing record means no record). */
  onTestRunEnd(_modules, errors) {
    if (!this.path) return;
    const record = errors.map((error) => ({
      file: error?.VITEST_TEST_PATH ?? null,
      test: error?.VITEST_TEST_NAME ?? null,
      type: error?.type ?? null,
      message: [error?.message, error?.cause?.message].filter(Boolean).join(': '),
    }));
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, JSON.stringify(record));
  }
}
