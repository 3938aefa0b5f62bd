/**
 * Durations in the config file: a number of seconds (`2`, `0.5`) or a string with a unit (`"2s"`, `"1500ms"`, `"1m"`).
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

const DURATION = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)$/;

/** What a duration may look like, for error messages. */
export const DURATION_RULE = 'a duration: seconds as a number (2) or a string like "2s" or "1500ms"';

/** Milliseconds for a duration value from the config file, or undefined when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const unit = match[2] as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

/** A duration as a person writes it: `1s`, `1500ms`, `2m`. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
