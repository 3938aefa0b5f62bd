import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from './properties.js';
import { runProperty } from './runner.js';

/** Enough inputs to reach every branch the generators aim at while keeping the suite quick; the bench runs 10,000. */
const RUNS = 500;

describe('parsers and text boundaries under arbitrary input', () => {
  for (const property of ALL_PROPERTIES) {
    it(property.name, async () => {
      const row = await runProperty(property, RUNS);
      expect(row.cases).toBe(RUNS);
      expect(row.firstFailure, `${row.failures} of ${row.cases} inputs failed`).toBeUndefined();
    });
  }
});
