/**
 * The fault suite's one table: a row per case, each figure with its goal's verdict beside it (`met` / `MISSED`),
 * `—` where a column does not apply to the case, and `not run: <reason>` rows (which count as missed).
 */

/** One case's figures. Times in ms; `Infinity` = never happened within the wait; undefined = does not apply. */
export interface FaultRow {
  readonly fault: string;
  readonly detectMs?: number;
  /** Other workers' scan p50 before and during the fault (ms), and the number of refreshes during. */
  readonly refresh?: { readonly before: number; readonly during: number; readonly n: number };
  readonly recoverMs?: number;
  readonly lost?: number;
  readonly duplicated?: number;
  readonly leftovers?: number;
  /** Case-specific figures (and problems seen). */
  readonly note?: string;
  /** The verdict on the case-specific goal in the note, if it has one. */
  readonly noteMet?: boolean;
  /** Set when the case could not run here. */
  readonly notRun?: string;
}

/** The goals, from the poll interval and the backoff cap. */
export interface Goals {
  readonly detectMs: number;
  readonly refreshRatio: number;
  readonly recoverMs: number;
}

const seconds = (ms: number) => (ms === Infinity ? 'never' : `${(ms / 1000).toFixed(1)} s`);
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** Cells of one row, and how many of its goals were missed. */
function cells(row: FaultRow, goals: Goals): { cells: string[]; missed: number } {
  if (row.notRun) return { cells: [row.fault, `not run: ${row.notRun}`, '', '', '', '', '', ''], missed: 1 };
  let missed = 0;
  const judge = (ok: boolean) => {
    if (!ok) missed += 1;
    return verdict(ok);
  };
  const detect = row.detectMs === undefined ? '—' : `${seconds(row.detectMs)} ${judge(row.detectMs <= goals.detectMs)}`;
  const refresh = !row.refresh
    ? '—'
    : Number.isNaN(row.refresh.before) || Number.isNaN(row.refresh.during)
      ? `no samples ${judge(false)}`
      : `${row.refresh.before.toFixed(0)}→${row.refresh.during.toFixed(0)} ms (n=${row.refresh.n}) ${judge(row.refresh.during <= row.refresh.before * goals.refreshRatio)}`;
  const recover = row.recoverMs === undefined ? '—' : `${seconds(row.recoverMs)} ${judge(row.recoverMs <= goals.recoverMs)}`;
  const count = (n: number | undefined) => (n === undefined ? '—' : `${n} ${judge(n === 0)}`);
  const lost = count(row.lost);
  const duplicated = count(row.duplicated);
  const leftovers = count(row.leftovers);
  const note = `${row.note ?? ''}${row.noteMet === undefined ? '' : ` ${judge(row.noteMet)}`}`;
  return { cells: [row.fault, detect, refresh, recover, lost, duplicated, leftovers, note], missed };
}

/** Prints the table and a closing line; returns the number of cases with at least one missed goal. */
export function printTable(rows: readonly FaultRow[], goals: Goals, write: (line: string) => void): number {
  const header = ['fault', 'time to detect', 'others\' refresh p50 before→during', 'recovery', 'jobs lost', 'duplicated', 'leftovers', 'notes'];
  const body = rows.map((row) => cells(row, goals));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (i === header.length - 1 ? 0 : b.cells[i]!.length))));
  const line = (values: readonly string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join(' │ ');
  write(line(header));
  write(widths.map((w, i) => (i === widths.length - 1 ? '─'.repeat(12) : '─'.repeat(w))).join('─┼─'));
  for (const b of body) write(line(b.cells));
  write(
    `goals: detect ≤ ${seconds(goals.detectMs)} (2 poll intervals) · others' refresh p50 ≤ ${Math.round((goals.refreshRatio - 1) * 100)}% above before · ` +
      `recovery ≤ ${seconds(goals.recoverMs)} (one backoff cap) after the fault ends · 0 lost · 0 duplicated · 0 leftovers; ` +
      '— = does not apply; "not run" counts as missed',
  );
  const missedCases = body.filter((b) => b.missed > 0);
  write(`${rows.length} cases: ${rows.length - missedCases.length} met every goal, ${missedCases.length} missed at least one`);
  return missedCases.length;
}
