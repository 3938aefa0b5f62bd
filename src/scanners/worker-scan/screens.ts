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

/** A kind's waiting patterns, from the local config (never from the worker: its text could hang a regular expression). */
export type WaitingPatterns = (kind: string) => readonly string[] | undefined;

/** The longest screen line matched against waiting patterns (a line is cut there first). */
const MAX_MATCHED_LINE = 1000;

/** The lowest of `lines` that one of `patterns` matches, trimmed; undefined when none does. */
export function findPrompt(patterns: readonly string[], lines: readonly string[]): string | undefined {
  const regexes = patterns.flatMap((pattern) => {
    try {
      return [new RegExp(pattern, 'u')];
    } catch {
      return [];
    }
  });
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = (lines[i] ?? '').slice(0, MAX_MATCHED_LINE);
    if (regexes.some((regex) => regex.test(line))) return line.trim();
  }
  return undefined;
}

/**
 * What a worker's watched panes last showed, across scans: what to capture next, and each screen's prompt (the
 * line its job's kind's waiting patterns match), for the derivation.
 */
export class ScreenMemory {
  readonly #patternsFor: WaitingPatterns;
  #screens = new Map<string, PaneScreen>();
  /** Panes captured in the second of their last change: more may have come in that second, so they are captured again. */
  #unsettled = new Set<string>();
  #watched: string[] = [];
  #silent: number[] = [];

  constructor(patternsFor: WaitingPatterns) {
    this.#patternsFor = patternsFor;
  }

  /** The pane processes of the jobs that reported nothing at the last scan: where the next scan looks for a reader. */
  foreground(): number[] {
    return this.#silent;
  }

  /** The panes to capture in the next scan, with the activity they were last captured at (0: capture anyway). */
  requests(): CaptureRequest[] {
    return this.#watched.map((paneId) => ({ paneId, seen: this.#unsettled.has(paneId) ? 0 : (this.#screens.get(paneId)?.activity ?? 0) }));
  }

  /**
   * Takes a scan's fresh captures (made when the worker's clock read `now`) and returns every watched pane's latest
   * screen with its prompt; then watches the first panes of the live jobs whose kind has waiting patterns (a pane
   * that is gone is forgotten).
   */
  update(captured: ReadonlyMap<string, PaneScreen>, sessions: readonly TmuxSession[], jobs: readonly JobRecord[], now: number): Map<string, PaneScreen> {
    // A job's kind and session come from its meta.json (which always names its session).
    const patternsBySession = new Map<string, readonly string[]>();
    for (const job of jobs) {
      const patterns = job.meta ? this.#patternsFor(job.meta.kind) : undefined;
      if (job.meta && patterns?.length) patternsBySession.set(job.meta.session, patterns);
    }
    const watching = new Map<string, readonly string[]>();
    for (const session of sessions) {
      const pane = session.panes[0];
      const patterns = patternsBySession.get(session.name);
      if (pane && !pane.dead && patterns) watching.set(pane.id, patterns);
    }
    for (const [paneId, screen] of captured) {
      const patterns = watching.get(paneId);
      const prompt = patterns ? findPrompt(patterns, screen.lines) : undefined;
      this.#screens.set(paneId, { activity: screen.activity, lines: screen.lines, ...(prompt !== undefined ? { prompt } : {}) });
      if (screen.activity >= now) this.#unsettled.add(paneId);
      else this.#unsettled.delete(paneId);
    }
    for (const paneId of this.#screens.keys()) {
      if (!watching.has(paneId)) {
        this.#screens.delete(paneId);
        this.#unsettled.delete(paneId);
      }
    }
    this.#watched = [...watching.keys()];
    this.#silent = silentPanePids(sessions, jobs);
    return new Map(this.#screens);
  }
}

/** Read syscall numbers: x86-64 (0) and arm64 (63). */
const READ_SYSCALLS = new Set(['0', '63']);

/**
 * Reads the `fg` section: the pane processes under which a foreground process waits in a terminal read, that is
 * blocked (`wait_woken`) in `read` of its standard input, in the pane process's own group. A shell at its prompt
 * (`open`, an interactive shell with job control) runs in a group of its own and does not count: it is not a job
 * waiting for its user.
 */
export function parseForeground(section: Section | undefined): Set<number> {
  const reading = new Set<number>();
  for (const line of section?.body.split('\n') ?? []) {
    const [tag, root, , group, wchan, syscall, fd] = line.split(' ');
    if (tag !== 'F' || !/^\d{1,10}$/.test(root ?? '') || group !== root) continue;
    if (wchan === 'wait_woken' && READ_SYSCALLS.has(syscall ?? '') && fd === '0x0') reading.add(Number(root));
  }
  return reading;
}

/**
 * The pane processes (job wrappers) of live jobs with a record that report nothing: where to look for a process
 * reading the terminal. Sessions started by hand are left out: their shells wait at a prompt by nature.
 */
export function silentPanePids(sessions: readonly TmuxSession[], jobs: readonly JobRecord[]): number[] {
  const silent = new Set(jobs.flatMap((job) => (!job.report && job.meta ? [job.meta.session] : [])));
  return sessions.flatMap((session) => {
    const pane = session.panes[0];
    return pane && !pane.dead && pane.pid !== undefined && silent.has(session.name) ? [pane.pid] : [];
  });
}
