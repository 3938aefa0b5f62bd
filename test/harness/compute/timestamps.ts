/** Times as the fake Compute API writes them. */

/**
 * A time as the Compute API writes it: RFC 3339 with milliseconds and the offset of the API's own zone (Pacific,
 * e.g. `2026-12-01T17:05:16.123-08:00`), not `Z`, so readers must honour the offset. The Instance reference
 * documents `lastStartTimestamp`, `lastStopTimestamp` and `lastSuspendedTimestamp` each as "Last … timestamp in
 * RFC3339 text format. Output only."
 */
export function apiTimestamp(ms: number = Date.now(), offsetMinutes = -480): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
