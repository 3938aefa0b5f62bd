/**
 * Every fuzz property, in one list: run with many inputs by `bench/faults/fuzz.ts` (the fault suite's figures)
 * and with a few hundred by `test/fuzz/parsers.test.ts` (the normal suite).
 */
import { inputProperties } from './input-properties.js';
import { runProperty, type AnyFuzzProperty, type FuzzRow } from './runner.js';
import { scanProperties } from './scan-properties.js';
import { quotingProperties, sanitizerProperties } from './text-properties.js';

/** All properties, grouped by what they guard. */
export const ALL_PROPERTIES: readonly AnyFuzzProperty[] = [...scanProperties, ...sanitizerProperties, ...quotingProperties, ...inputProperties];

/** Runs every property (or those whose name includes `only`) on `runs` inputs each. */
export async function runAllProperties(runs: number, only?: string): Promise<FuzzRow[]> {
  const rows: FuzzRow[] = [];
  for (const property of ALL_PROPERTIES) {
    if (only !== undefined && !property.name.includes(only)) continue;
    rows.push(await runProperty(property, runs));
  }
  return rows;
}
