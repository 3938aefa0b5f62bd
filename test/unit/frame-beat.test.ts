import { describe, expect, it } from 'vitest';
import { frameBeatMs } from '../../src/ui/run.js';

describe('frameBeatMs', () => {
  it.each([
    [[2000], 2000],
    [[2000, 1000, 5000], 1000],
    [[1500], 1500],
    [[30_000], 2000],
    [[], 2000],
  ])('for polls of %j ms beats every %i ms', (polls, beat) => {
    expect(frameBeatMs(polls)).toBe(beat);
  });
});
