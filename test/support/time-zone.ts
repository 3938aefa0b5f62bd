/**
 * A fixed-offset time zone (`Etc/GMT±N`) in which it is about noon now: tests that put usage a few hours back
 * stay within one local day and month whatever time the suite runs at.
 */
export function middayTimeZone(now: number = Date.now()): string {
  const offset = 12 - new Date(now).getUTCHours();
  // The Etc zones' signs are POSIX-style: Etc/GMT-5 is five hours ahead of UTC.
  return `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
