/**
 * Reads the `tmux list-panes -a` part of a scan into sessions. Pure; never throws.
 */
import { FIELD_SEPARATOR, PANE_FIELDS, paneRowMarker } from './command.js';
import type { Section } from './sections.js';
import type { TmuxPane, TmuxSession } from './types.js';

/** The tmux part of a scan. */
export interface TmuxPart {
  readonly tmuxRunning: boolean;
  readonly tmuxError: string | undefined;
  readonly sessions: readonly TmuxSession[];
  readonly problems: readonly string[];
}

/** What tmux says when its server is not running, or its socket is missing or stale: zero sessions, not an error. */
const NOT_RUNNING = /no server running on |error connecting to .*\((No such file or directory|Connection refused)\)/;

/** Reads the `tmux` section of the scan made with `nonce`; `section` is undefined when the output has none. */
export function parseTmuxSection(section: Section | undefined, nonce: string): TmuxPart {
  if (section === undefined) {
    return { tmuxRunning: false, tmuxError: 'the scan output has no tmux part', sessions: [], problems: [] };
  }
  if (section.status !== 0 && section.status !== undefined) {
    const text = section.body.trim();
    if (NOT_RUNNING.test(text)) return { tmuxRunning: false, tmuxError: undefined, sessions: [], problems: [] };
    return {
      tmuxRunning: false,
      tmuxError: text === '' ? `tmux exited with status ${section.status}` : firstLines(text),
      sessions: [],
      problems: [],
    };
  }
  // Cut short: only lines that ended are whole.
  const body = section.status === undefined ? section.body.slice(0, section.body.lastIndexOf('\n') + 1) : section.body;
  const problems: string[] = [];
  const sessions = new Map<string, { session: Omit<TmuxSession, 'panes' | 'activity'>; activity: number; panes: TmuxPane[] }>();
  // A row is its marker line plus any lines that follow without one: a command with newlines in it.
  const marker = `${paneRowMarker(nonce)}${FIELD_SEPARATOR}`;
  const rows: string[] = [];
  body.split('\n').forEach((line, index) => {
    if (line.startsWith(marker)) rows.push(line.slice(marker.length));
    else if (rows.length > 0) rows[rows.length - 1] += `\n${line}`;
    else if (line !== '') problems.push(`tmux line ${index + 1} skipped (no row marker): ${JSON.stringify(line.slice(0, 80))}`);
  });
  if (rows.length > 0) rows[rows.length - 1] = rows[rows.length - 1]!.replace(/\n+$/, '');
  rows.forEach((line, index) => {
    const row = parsePaneLine(line);
    if (typeof row === 'string') {
      problems.push(`tmux row ${index + 1} skipped (${row}): ${JSON.stringify(line.slice(0, 80))}`);
      return;
    }
    const entry = sessions.get(row.session.id);
    if (entry === undefined) {
      sessions.set(row.session.id, { session: row.session, activity: row.windowActivity, panes: [row.pane] });
    } else {
      entry.activity = Math.max(entry.activity, row.windowActivity);
      entry.panes.push(row.pane);
    }
  });
  return {
    tmuxRunning: section.status === 0 || sessions.size > 0,
    tmuxError: undefined,
    sessions: [...sessions.values()].map(({ session, activity, panes }) => ({ ...session, activity, panes })),
    problems: section.status === undefined ? [...problems, 'the tmux listing was cut short'] : problems,
  };
}

interface PaneRow {
  readonly session: Omit<TmuxSession, 'panes' | 'activity'>;
  readonly windowActivity: number;
  readonly pane: TmuxPane;
}

/** One `list-panes` line, or why it is unusable. */
function parsePaneLine(line: string): PaneRow | string {
  const fields = line.split(FIELD_SEPARATOR);
  const count = PANE_FIELDS.length;
  if (fields.length < count) return `${fields.length} fields, expected ${count}`;
  // The command comes last and is not escaped by tmux: separators inside it belong to it.
  const [sessionId, name, created, windowActivity, attached, paneId, dead, deadStatus, pid] = fields as [
    string, string, string, string, string, string, string, string, string,
  ];
  const currentCommand = fields.slice(count - 1).join(FIELD_SEPARATOR);
  if (!/^\$\d+$/.test(sessionId)) return 'bad session id';
  if (!/^%\d+$/.test(paneId)) return 'bad pane id';
  const createdAt = integer(created);
  const activity = integer(windowActivity);
  if (createdAt === undefined || activity === undefined) return 'bad time';
  const isDead = dead === '1';
  return {
    session: { id: sessionId, name, created: createdAt, attached: integer(attached) ?? 0 },
    windowActivity: activity,
    pane: {
      id: paneId,
      dead: isDead,
      deadStatus: isDead ? integer(deadStatus) : undefined,
      currentCommand,
      pid: integer(pid),
    },
  };
}

function integer(text: string): number | undefined {
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** An error text short enough for one status line: its first three lines. */
export function firstLines(text: string): string {
  return text.split('\n').slice(0, 3).join('\n').slice(0, 500);
}
