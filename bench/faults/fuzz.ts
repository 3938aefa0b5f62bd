/**
 * The fault suite's fuzz figures: every pure parser and every text boundary fed arbitrary and hostile inputs
 * (10,000 per property by default). Prints a table when run alone: `npx tsx bench/faults/fuzz.ts [RUNS] [NAME]`.
 */
import { pathToFileURL } from 'node:url';
import { runAllProperties } from '../../test/fuzz/properties.js';
import type { FuzzRow } from '../../test/fuzz/runner.js';

export type { FuzzRow };

/** Runs every fuzz property `runsPerParser` times and returns one row per property. */
export async function runFuzz(options: { runsPerParser: number }): Promise<FuzzRow[]> {
  return runAllProperties(options.runsPerParser);
}

/** The rows as a plain-text table, failures last in each row. */
export function fuzzTable(rows: readonly FuzzRow[]): string {
  const width = Math.max(8, ...rows.map((row) => row.name.length));
  const lines = [`${'property'.padEnd(width)}  ${'cases'.padStart(7)}  ${'failures'.padStart(8)}  first failure`];
  for (const row of rows) {
    lines.push(`${row.name.padEnd(width)}  ${String(row.cases).padStart(7)}  ${String(row.failures).padStart(8)}  ${row.firstFailure ?? ''}`);
  }
  const failing = rows.filter((row) => row.failures > 0).length;
  lines.push('', `${rows.length} properties, ${rows.reduce((n, row) => n + row.cases, 0)} cases, ${failing} properties with failures`);
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 10_000);
  const only = process.argv[3];
  const rows = await runAllProperties(Number.isInteger(runs) && runs > 0 ? runs : 10_000, only);
  process.stdout.write(fuzzTable(rows));
}
