/**
 * Durations in the config file: a number of seconds (`2`, `0.5`) or a string with a unit (`"2s"`, `"1500ms"`, `"1m"`).
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

const DURATION = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)$/;

/**
 * The longest duration: what a Node timer can wait (2^31-1 ms, about 24.8 days). A longer one would not wait
 * longer: Node fires such a timer after 1 ms, so a huge poll interval would poll without pause.
 */
export const MAX_DURATION_MS = 2_147_483_647;

/** What a duration may look like, for error messages. */
export const DURATION_RULE = 'a duration: seconds as a number (2) or a string like "2s" or "1500ms", up to 24 days';

/** Milliseconds for a duration value from the config file, or undefined when it is not one (or is over {@link MAX_DURATION_MS}). */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? withinRange(Math.round(value * 1000)) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const unit = match[2] as keyof typeof UNIT_MS;
  return withinRange(Math.round(Number(match[1]) * UNIT_MS[unit]));
}

function withinRange(ms: number): number | undefined {
  return ms <= MAX_DURATION_MS ? ms : undefined;
}

/** A duration as a person writes it: `1s`, `1500ms`, `2m`. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
