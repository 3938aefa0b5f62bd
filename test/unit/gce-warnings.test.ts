import { describe, expect, it } from 'vitest';
import { dropMetadataLookupWarnings, METADATA_LOOKUP_WARNING } from '../../src/providers/gce/compute-api.js';

describe('the auth library warnings filter', () => {
  it("drops only the metadata probe's warnings, in each form emitWarning takes; every other warning still goes out", async () => {
    const seen: string[] = [];
    const listener = (warning: Error) => seen.push(`${warning.name}: ${warning.message}`);
    process.on('warning', listener);
    try {
      dropMetadataLookupWarnings();
      dropMetadataLookupWarnings(); // a second call must not wrap twice
      process.emitWarning('probe failed', METADATA_LOOKUP_WARNING);
      process.emitWarning('probe failed', { type: METADATA_LOOKUP_WARNING });
      process.emitWarning(Object.assign(new Error('probe failed'), { name: METADATA_LOOKUP_WARNING }));
      process.emitWarning('something else', 'ExperimentalWarning');
      process.emitWarning('plain');
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual(['ExperimentalWarning: something else', 'Warning: plain']);
    } finally {
      process.off('warning', listener);
    }
  });
});
