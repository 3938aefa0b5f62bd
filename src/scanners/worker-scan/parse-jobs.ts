/**
 * Reads the job-record part of a scan (`jobs` and `logs` sections). Pure; never throws.
 *
 * `jobs` holds one line per job directory: `J US id US metaState US exitState US exit US meta`,
 * where a state is 0 (no file), 1 (read), 2 (could not be read) or 3 (over its size cap, not read),
 * and `S US name` for a directory whose name is not a job id (`S US` alone when the name cannot be
 * framed). A job with a `state` file has an `R US id US state US line` line after its `J` line (state as above).
 * `logs` holds `stat -c '%Y %s %n'` lines for the logs and for the files over their caps.
 */
import { FIELD_SEPARATOR, MAX_EXIT_FILE_BYTES, MAX_RECORD_BYTES, MAX_STATE_FILE_BYTES } from './command.js';
import { isJobId, quoteName } from './job-id.js';
import { firstLines } from './parse-tmux.js';
import type { Section } from './sections.js';
import type { JobMeta, JobRecord, StateReport } from './types.js';
import { formatBytes } from '../../text/format.js';

/** The jobs part of a scan. */
export interface JobsPart {
  readonly jobs: readonly JobRecord[];
  readonly jobsError: string | undefined;
  readonly problems: readonly string[];
}

/** How many skipped directory names are quoted before the rest are only counted. */
const NAMES_SHOWN = 5;

interface FileStat {
  readonly modified: number;
  readonly bytes: number;
}

/** Reads the `jobs` and `logs` sections; either is undefined when the output has none. */
export function parseJobSections(jobs: Section | undefined, logs: Section | undefined): JobsPart {
  if (jobs === undefined) return { jobs: [], jobsError: 'the scan output has no job records part', problems: [] };
  const problems: string[] = [];
  const stats = parseFileStats(logs, problems);
  const records = new Map<string, JobRecord>();
  const skipped: string[] = [];
  const reports = new Map<string, string[]>();
  const body = jobs.status === undefined ? jobs.body.slice(0, jobs.body.lastIndexOf('\n') + 1) : jobs.body;
  let errorText = '';
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const fields = line.split(FIELD_SEPARATOR);
    if (fields[0] === 'S' && fields.length === 2) {
      skipped.push(fields[1] === '' ? '(a name holding a newline or a separator)' : quoteName(fields[1] ?? ''));
      continue;
    }
    if (fields[0] === 'R' && fields.length === 4) {
      // Read after every record is known: a report for a directory that is not a listed job is dropped.
      if (!reports.has(fields[1] ?? '')) reports.set(fields[1] ?? '', [fields[2] ?? '', fields[3] ?? '']);
      continue;
    }
    if (fields[0] !== 'J' || fields.length !== 6) {
      errorText += `${line}\n`;
      continue;
    }
    const [, id, metaState, exitState, exitText, metaText] = fields as [string, string, string, string, string, string];
    if (!isJobId(id)) {
      skipped.push(quoteName(id));
      continue;
    }
    if (records.has(id)) {
      problems.push(`job ${JSON.stringify(id)} listed twice; the first is used`);
      continue;
    }
    const log = stats.get(`${id}/output.log`);
    const record: JobRecord = {
      id,
      ...readMeta(metaState, metaText, stats.get(`${id}/meta.json`)?.bytes),
      ...readExit(exitState, exitText, stats.get(`${id}/exit`)?.bytes),
      logModified: log?.modified,
      logBytes: log?.bytes,
    };
    if (metaState === '3') problems.push(`job ${id}: ${record.metaError ?? ''}`);
    if (exitState === '3') problems.push(`job ${id}: ${record.exitError ?? ''}`);
    records.set(id, record);
  }
  for (const [id, [state = '', text = '']] of reports) {
    const record = records.get(id);
    if (!record) continue;
    const read = readReport(state, text, stats.get(`${id}/state`)?.bytes);
    if (typeof read === 'string') {
      records.set(id, { ...record, reportError: read });
      if (state === '3') problems.push(`job ${id}: ${read}`);
    } else records.set(id, { ...record, report: read });
  }
  if (skipped.length > 0) problems.push(skippedProblem(skipped));
  let jobsError: string | undefined;
  if (jobs.status === undefined) problems.push('the job records were cut short');
  else if (jobs.status !== 0) {
    jobsError = errorText.trim() === '' ? `listing job records failed with status ${jobs.status}` : firstLines(errorText.trim());
  } else if (errorText.trim() !== '') problems.push(`unexpected text among job records: ${JSON.stringify(errorText.trim().slice(0, 200))}`);
  const sorted = [...records.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { jobs: sorted, jobsError, problems };
}

function skippedProblem(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).join(', ');
  const more = names.length > NAMES_SHOWN ? ` and ${names.length - NAMES_SHOWN} more` : '';
  const what = names.length === 1 ? 'job directory' : 'job directories';
  return `${what} ${shown}${more} skipped: a job id is letters, digits, _ and - only`;
}

/** `<id>/<file>` to its modification time and size, for logs and for record files over their caps. */
function parseFileStats(logs: Section | undefined, problems: string[]): Map<string, FileStat> {
  const stats = new Map<string, FileStat>();
  if (logs === undefined) {
    problems.push('the scan output has no job log part');
    return stats;
  }
  const unread: string[] = [];
  for (const line of logs.body.split('\n')) {
    const match = /^(\d{1,15}) (\d{1,15}) ([^/]+\/(?:output\.log|meta\.json|exit|state))$/.exec(line);
    if (match) stats.set(match[3] ?? '', { modified: Number(match[1]), bytes: Number(match[2]) });
    else if (line.trim() !== '') unread.push(line);
  }
  // A failing `stat -c` is followed by a fallback; its complaint matters only when nothing was read.
  if (stats.size === 0 && unread.length > 0) problems.push(`job logs could not be examined: ${firstLines(unread.join('\n'))}`);
  if (logs.status === undefined) problems.push('the job log part was cut short');
  return stats;
}

/** `what is N bytes, over the L limit; not read`. */
function tooLarge(what: string, bytes: number | undefined, limit: number): string {
  const size = bytes === undefined ? `larger than ${formatBytes(limit)}` : `${bytes} bytes, over the ${formatBytes(limit)} limit`;
  return `record too large: ${what} is ${size}; not read`;
}

function readMeta(state: string, text: string, bytes: number | undefined): { meta: JobMeta | undefined; metaError: string | undefined } {
  if (state === '0') return { meta: undefined, metaError: undefined };
  if (state === '3') return { meta: undefined, metaError: tooLarge('meta.json', bytes, MAX_RECORD_BYTES) };
  if (state !== '1') return { meta: undefined, metaError: 'meta.json could not be read' };
  if (text.trim() === '') return { meta: undefined, metaError: 'meta.json is empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { meta: undefined, metaError: `meta.json is not valid JSON: ${(error as Error).message}` };
  }
  const meta = toJobMeta(value);
  return typeof meta === 'string' ? { meta: undefined, metaError: `meta.json ${meta}` } : { meta, metaError: undefined };
}
/** Checks the shape of a parsed `meta.json`, keeping only the known fields. */
export function toJobMeta(value: unknown): JobMeta | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const v = value as Record<string, unknown>;
  for (const key of ['id', 'kind', 'session', 'createdAt'] as const) {
    if (typeof v[key] !== 'string') return `has no string "${key}"`;
  }
  if (v.worktree !== undefined && typeof v.worktree !== 'string') return 'has a "worktree" that is not a string';
  if (!Array.isArray(v.command) || !v.command.every((part): part is string => typeof part === 'string')) {
    return 'has no "command" list of strings';
  }
  const params = v.params;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return 'has no "params" object';
  const entries = Object.entries(params);
  if (!entries.every(([, p]) => typeof p === 'string')) return 'has a "params" value that is not a string';
  return {
    id: v.id as string,
    kind: v.kind as string,
    params: Object.fromEntries(entries) as Record<string, string>,
    command: [...v.command],
    session: v.session as string,
    ...(typeof v.worktree === 'string' ? { worktree: v.worktree } : {}),
    ...(typeof v.baseCommit === 'string' && /^[0-9a-f]{40,64}$/.test(v.baseCommit) ? { baseCommit: v.baseCommit } : {}),
    createdAt: v.createdAt as string,
    ...(typeof v.agent === 'string' ? { agent: v.agent } : {}),
    ...(typeof v.resumedAt === 'string' ? { resumedAt: v.resumedAt } : {}),
    ...(Number.isSafeInteger(v.resumeCount) && (v.resumeCount as number) > 0 ? { resumeCount: v.resumeCount as number } : {}),
  };
}

function readExit(state: string, text: string, bytes: number | undefined): { exitCode: number | undefined; exitError: string | undefined } {
  if (state === '0') return { exitCode: undefined, exitError: undefined };
  if (state === '3') return { exitCode: undefined, exitError: tooLarge('the exit file', bytes, MAX_EXIT_FILE_BYTES) };
  if (state !== '1') return { exitCode: undefined, exitError: 'the exit file could not be read' };
  const trimmed = text.trim();
  // Empty: the wrapper has truncated the file and not yet written the code.
  if (trimmed === '') return { exitCode: undefined, exitError: undefined };
  if (/^-?\d{1,10}$/.test(trimmed)) return { exitCode: Number(trimmed), exitError: undefined };
  return { exitCode: undefined, exitError: `the exit file holds ${JSON.stringify(trimmed.slice(0, 40))}, not a number` };
}

/** The line `MISSION_CONTROL_STATE` writes: `STATE UNIXTIME REASON…` (the reason may be empty). */
const REPORT_LINE = /^(working|waiting|done) (\d{1,12})(?: (.*))?$/s;

/** Reads a job's `state` file line into a report, or says why it cannot be used. */
export function readReport(state: string, text: string, bytes?: number): StateReport | string {
  if (state === '3') return tooLarge('the state file', bytes, MAX_STATE_FILE_BYTES);
  if (state !== '1') return 'the state file could not be read';
  const match = REPORT_LINE.exec(text.replace(/\r$/, ''));
  if (!match) return `the state file holds ${JSON.stringify(text.slice(0, 40))}, not a state report`;
  return { state: match[1] as StateReport['state'], at: Number(match[2]), reason: match[3] ?? '' };
}
