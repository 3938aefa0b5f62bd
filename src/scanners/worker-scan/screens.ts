/**
 * The screen source of agent states: the last lines of the panes of jobs that have `waitingPatterns`, captured in
 * the same scan, only for panes whose activity changed since they were last captured, and bounded (at most
 * {@link MAX_CAPTURED_PANES} panes a scan, the last {@link MAX_CAPTURE_BYTES} bytes of each).
 *
 * The scan part (`capture` section): `C US pane US activity` for each captured pane, then its lines, each prefixed
 * with `|` so no captured text can pass for a header. {@link ScreenMemory} keeps what each pane last showed, so a
 * pane that did not change keeps its verdict without being captured again.
 */
import { FIELD_SEPARATOR, type CaptureRequest } from './command.js';
import type { Section } from './sections.js';
import type { JobRecord, PaneScreen, TmuxSession } from './types.js';

/** How many of a pane's last non-empty lines are matched against the patterns. */
export const SCREEN_LINES = 10;

/** Reads the `capture` section: pane id → what it shows now. */
export function parseCaptures(section: Section | undefined): Map<string, PaneScreen> {
  const screens = new Map<string, PaneScreen>();
  if (section === undefined) return screens;
  let current: { paneId: string; activity: number; lines: string[] } | undefined;
  const finish = () => {
    if (current) screens.set(current.paneId, { activity: current.activity, lines: lastLines(current.lines) });
  };
  for (const line of section.body.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('|')) {
      current?.lines.push(line.slice(1));
      continue;
    }
    // Any other line ends the pane before it: lines of an unusable header are not given to anyone.
    finish();
    current = undefined;
    const fields = line.split(FIELD_SEPARATOR);
    if (fields[0] === 'C' && fields.length === 3 && /^%\d+$/.test(fields[1] ?? '') && /^\d{1,12}$/.test(fields[2] ?? '')) {
      current = { paneId: fields[1]!, activity: Number(fields[2]), lines: [] };
    }
  }
  finish();
  return screens;
}

function lastLines(lines: readonly string[]): string[] {
  const kept = lines.map((line) => line.trimEnd());
  while (kept.length > 0 && kept.at(-1) === '') kept.pop();
  return kept.slice(-SCREEN_LINES);
}

/** What a worker's panes last showed, across scans: what to capture next, and the screens to derive from. */
export class ScreenMemory {
  #screens = new Map<string, PaneScreen>();
  /** Panes captured in the second of their last change: more may have come in that second, so they are captured again. */
  #unsettled = new Set<string>();
  #watched: string[] = [];

  /** The panes to capture in the next scan, with the activity they were last captured at (0: capture anyway). */
  requests(): CaptureRequest[] {
    return this.#watched.map((paneId) => ({ paneId, seen: this.#unsettled.has(paneId) ? 0 : (this.#screens.get(paneId)?.activity ?? 0) }));
  }

  /**
   * Takes a scan's fresh captures (made when the worker's clock read `now`) and returns every watched pane's latest
   * screen; then watches the panes of the live jobs that have waiting patterns (a pane that is gone is forgotten).
   */
  update(captured: ReadonlyMap<string, PaneScreen>, sessions: readonly TmuxSession[], jobs: readonly JobRecord[], now: number): Map<string, PaneScreen> {
    for (const [paneId, screen] of captured) {
      this.#screens.set(paneId, screen);
      if (screen.activity >= now) this.#unsettled.add(paneId);
      else this.#unsettled.delete(paneId);
    }
    const watching = new Set<string>();
    // Patterns come from a job's meta.json, which always names its session.
    const patterned = new Set(jobs.flatMap((job) => (job.meta?.waitingPatterns?.length ? [job.meta.session] : [])));
    for (const session of sessions) {
      const pane = session.panes[0];
      if (pane && !pane.dead && patterned.has(session.name)) watching.add(pane.id);
    }
    for (const paneId of this.#screens.keys()) {
      if (!watching.has(paneId)) {
        this.#screens.delete(paneId);
        this.#unsettled.delete(paneId);
      }
    }
    this.#watched = [...watching];
    return new Map(this.#screens);
  }
}
