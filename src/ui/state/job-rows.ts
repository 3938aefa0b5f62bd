import { longestWaitingFirst } from '../../state/selectors.js';
import type { Job, JobState } from '../../state/types.js';
import type { SortState } from './ui-types.js';

/** An idle job quiet for this long needs attention (it may be waiting for input). */
export const ATTENTION_IDLE_SECONDS = 300;

/** Why a job needs attention, or undefined when it does not. */
export function attentionReason(job: Job, now: number, idleSeconds = ATTENTION_IDLE_SECONDS): string | undefined {
  switch (job.state) {
    case 'failed':
      return 'failed';
    case 'exited':
      return 'finished';
    case 'lost':
      return 'lost';
    case 'unknown':
      return 'unknown';
    case 'idle':
      return (now - job.since) / 1000 >= idleSeconds ? 'idle' : undefined;
    case 'waiting':
      return 'waiting';
    case 'done':
      return 'done';
    case 'running':
    case 'working':
      return undefined;
  }
}

/** The attention view's order: jobs waiting for the user, then failed and lost ones, then the rest. */
const ATTENTION_RANK: Readonly<Record<JobState, number>> = {
  waiting: 0,
  failed: 1,
  lost: 1,
  done: 2,
  exited: 2,
  unknown: 2,
  idle: 2,
  working: 2,
  running: 2,
};

/** Orders the attention view: by {@link ATTENTION_RANK}, waiting jobs longest-waiting first; ties keep fleet order. */
function attentionOrder(a: Job, b: Job): number {
  const rank = ATTENTION_RANK[a.state] - ATTENTION_RANK[b.state];
  if (rank !== 0) return rank;
  return a.state === 'waiting' ? longestWaitingFirst(a, b) : 0;
}

/** A parsed `/` filter. */
export interface JobMatcher {
  readonly test: (job: Job) => boolean;
  /** Why a `/regex/` was not usable (it is then matched as plain text). */
  readonly error: string | undefined;
}

/**
 * Parses the filter syntax: plain text matches as a case-insensitive substring; `/regex/` (the closing slash
 * optional) as a case-insensitive regular expression; a leading `!` inverts either. Matched against the job's id,
 * worker, kind, state, command, parameters, reason and session name, one per line (so `^` and `$` anchor a field).
 */
export function parseFilter(text: string): JobMatcher {
  let source = text.trim();
  const invert = source.startsWith('!');
  if (invert) source = source.slice(1);
  if (source === '') return { test: () => true, error: undefined };
  let error: string | undefined;
  let match: (haystack: string) => boolean;
  if (source.startsWith('/') && source.length > 1) {
    const body = source.endsWith('/') && source.length > 2 ? source.slice(1, -1) : source.slice(1);
    try {
      const regex = new RegExp(body, 'im');
      match = (haystack) => regex.test(haystack);
    } catch (cause) {
      error = `not a valid regular expression (${cause instanceof Error ? cause.message : String(cause)}); matching as text`;
      const needle = body.toLowerCase();
      match = (haystack) => haystack.toLowerCase().includes(needle);
    }
  } else {
    const needle = source.toLowerCase();
    match = (haystack) => haystack.toLowerCase().includes(needle);
  }
  return { test: (job) => match(haystackOf(job)) !== invert, error };
}

const haystacks = new WeakMap<Job, string>();

function haystackOf(job: Job): string {
  let text = haystacks.get(job);
  if (text === undefined) {
    const params = Object.entries(job.params).map(([k, v]) => `${k}=${v}`);
    text = [job.id, job.worker, job.kind, job.state, job.command.join(' '), ...params, job.reason, job.session?.name ?? ''].join('\n');
    haystacks.set(job, text);
  }
  return text;
}

const STATE_ORDER: Readonly<Record<JobState, number>> = {
  waiting: 0,
  failed: 1,
  lost: 2,
  unknown: 3,
  done: 4,
  exited: 5,
  idle: 6,
  working: 7,
  running: 8,
};

function compareBy(key: SortState['key']): ((a: Job, b: Job) => number) | undefined {
  switch (key) {
    case 'natural':
      return undefined;
    case 'id':
      return (a, b) => a.id.localeCompare(b.id);
    case 'worker':
      return (a, b) => a.worker.localeCompare(b.worker);
    case 'kind':
      return (a, b) => a.kind.localeCompare(b.kind);
    case 'state':
      return (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state];
    case 'age':
      return (a, b) => a.since - b.since;
    case 'output':
      return (a, b) => (b.lastOutputAt ?? -Infinity) - (a.lastOutputAt ?? -Infinity);
  }
}

/** What decides the rows of the jobs table. */
export interface JobRowsQuery {
  readonly filter: string;
  readonly workerFilter: string | undefined;
  readonly attentionOnly: boolean;
  readonly sort: SortState;
  /** Our clock (ms); only read for the attention filter. */
  readonly now: number;
}

/** The rows of the jobs table, and what the filter made of its text. */
export interface JobRows {
  readonly jobs: readonly Job[];
  readonly keys: readonly string[];
  readonly filterError: string | undefined;
}

/** Filters and sorts the fleet's jobs for the table. Pure; stable (ties keep fleet order). */
export function computeJobRows(all: readonly Job[], query: JobRowsQuery): JobRows {
  const matcher = parseFilter(query.filter);
  let jobs = all.filter(
    (job) =>
      (query.workerFilter === undefined || job.worker === query.workerFilter) &&
      (!query.attentionOnly || attentionReason(job, query.now) !== undefined) &&
      matcher.test(job),
  );
  // The attention view in its natural order puts what needs the user first; a chosen sort still wins.
  const natural = query.sort.key === 'natural' && !query.sort.descending;
  const compare = query.attentionOnly && natural ? attentionOrder : compareBy(query.sort.key);
  if (compare) {
    const sign = query.sort.descending ? -1 : 1;
    jobs = jobs
      .map((job, index) => ({ job, index }))
      .sort((a, b) => sign * compare(a.job, b.job) || a.index - b.index)
      .map(({ job }) => job);
  } else if (query.sort.descending) {
    jobs = jobs.reverse();
  }
  return { jobs, keys: jobs.map((job) => job.key), filterError: matcher.error };
}

/**
 * A memoised {@link computeJobRows}: the same inputs return the same result object, so components and key
 * handlers share one computation per change. The clock only counts while the attention filter is on.
 */
export function createJobRowsCache(): (all: readonly Job[], query: JobRowsQuery) => JobRows {
  let last: { all: readonly Job[]; query: JobRowsQuery; rows: JobRows } | undefined;
  return (all, query) => {
    if (
      last &&
      last.all === all &&
      last.query.filter === query.filter &&
      last.query.workerFilter === query.workerFilter &&
      last.query.attentionOnly === query.attentionOnly &&
      last.query.sort === query.sort &&
      (!query.attentionOnly || last.query.now === query.now)
    ) {
      return last.rows;
    }
    const rows = computeJobRows(all, query);
    last = { all, query, rows };
    return rows;
  };
}
