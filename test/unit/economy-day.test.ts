import { describe, expect, it } from 'vitest';
import { generateDay, mulberry32 } from '../../bench/economy-day.js';

describe('the economy bench day', () => {
  it('is the same day for the same seed, and another for another seed', () => {
    expect(generateDay(42)).toEqual(generateDay(42));
    expect(generateDay(42)).not.toEqual(generateDay(43));
    expect(Array.from({ length: 3 }, mulberry32(1))).toEqual(Array.from({ length: 3 }, mulberry32(1)));
  });

  it('has bursts in working hours, a quiet night, and questions left unanswered overnight', () => {
    const day = generateDay(20261202);
    expect(day.every((job) => job.arrival >= 9 * 60 && job.arrival < 23 * 60)).toBe(true);
    expect(day.filter((job) => job.arrival >= 23 * 60 || job.arrival < 9 * 60)).toEqual([]);
    expect(day.some((job) => job.phases.some((phase) => phase.state === 'waiting' && phase.minutes > 8 * 60))).toBe(true);
    expect(day.every((job) => job.phases[0]?.state === 'working' && job.phases.every((phase) => phase.minutes > 0))).toBe(true);
  });
});
