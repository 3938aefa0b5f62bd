/**
 * A seeded day of coding-agent jobs for `bench:economy`: bursts of launches in working hours, agents that ask their
 * user a question and wait (a few minutes at a desk, hours over lunch or a meeting, all night after the evening),
 * a quiet night. The same seed gives the same day on every machine (mulberry32, no Math.random).
 */

/** Minutes since the day's midnight. */
export type Minute = number;

/** One stretch of a job's life. */
export interface JobPhase {
  readonly state: 'working' | 'waiting';
  readonly minutes: number;
}

/** One job as its user drives it: launched at `arrival`, then its phases, then done. */
export interface DayJob {
  readonly id: string;
  readonly arrival: Minute;
  /**
   * Working and waiting stretches, in order. A waiting stretch ends when the user answers (attached for
   * `answerMinutes`); its length is how long the user took to come back.
   */
  readonly phases: readonly JobPhase[];
  /** Minutes the user stays attached when answering. */
  readonly answerMinutes: number;
  /** How long the finished job's session stays before the user removes it. */
  readonly keptMinutes: number;
}

/** A deterministic generator of numbers in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Working hours with their burst rate (bursts per hour) and the evening's trickle. */
const PERIODS: readonly { from: Minute; to: Minute; burstsPerHour: number }[] = [
  { from: 9 * 60, to: 12 * 60 + 30, burstsPerHour: 2.5 },
  { from: 13 * 60 + 30, to: 18 * 60 + 30, burstsPerHour: 2 },
  { from: 20 * 60 + 30, to: 22 * 60 + 30, burstsPerHour: 0.75 },
];

/** When the user is back at the desk after `at`: now in working hours, next morning (8:45–10:00) at night. */
function userBack(at: Minute, random: () => number): Minute {
  const inDay = at % 1440;
  const awake = (inDay >= 8 * 60 + 30 && inDay < 19 * 60) || (inDay >= 20 * 60 + 30 && inDay < 23 * 60);
  if (awake) {
    const roll = random();
    // Most answers come within minutes; some wait for a meeting or lunch to end.
    if (roll < 0.7) return at + 1 + Math.floor(random() * 12);
    if (roll < 0.9) return at + 20 + Math.floor(random() * 60);
    return at + 90 + Math.floor(random() * 150);
  }
  const morning = 1440 + 8 * 60 + 45 + Math.floor(random() * 75);
  return Math.max(at + 1, inDay < 8 * 60 + 30 ? morning - 1440 : morning);
}

/** The day's jobs for `seed`, by arrival. */
export function generateDay(seed: number): DayJob[] {
  const random = mulberry32(seed);
  const jobs: DayJob[] = [];
  for (const period of PERIODS) {
    for (let minute = period.from; minute < period.to; minute++) {
      if (random() >= period.burstsPerHour / 60) continue;
      const size = 1 + Math.floor(random() * (period.burstsPerHour >= 1 ? 4 : 2));
      for (let i = 0; i < size; i++) {
        const arrival = minute + Math.floor(random() * 3);
        const phases: JobPhase[] = [];
        let at = arrival;
        const rounds = 1 + Math.floor(random() * 3);
        for (let r = 0; r < rounds; r++) {
          const work = 4 + Math.floor(random() * 35);
          phases.push({ state: 'working', minutes: work });
          at += work;
          // Most rounds end with a question for the user; the last one sometimes just finishes.
          if (r < rounds - 1 || random() < 0.6) {
            const back = userBack(at, random);
            phases.push({ state: 'waiting', minutes: back - at });
            at = back;
          }
        }
        jobs.push({
          id: `${jobs.length + 1}-job`,
          arrival,
          phases,
          answerMinutes: 1 + Math.floor(random() * 3),
          keptMinutes: Math.floor(random() * 90),
        });
      }
    }
  }
  return jobs.sort((a, b) => a.arrival - b.arrival);
}
