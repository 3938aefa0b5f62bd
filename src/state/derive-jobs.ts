import type { JobRecord, TmuxSession, WorkerScan } from '../scanners/worker-scan/types.js';
import type { Job, JobState } from './types.js';

/** Tunables for deriving job states. */
export interface DeriveOptions {
  /** Session name prefix for jobs (`<prefix>-<id>`). */
  readonly sessionPrefix: string;
  /** A live job with no output for this long is idle. */
  readonly idleAfterSeconds: number;
  /** Our clock, ms since epoch. */
  readonly now: number;
}

interface Derived {
  readonly state: JobState;
  readonly reason: string;
  readonly exitCode: number | undefined;
}

/**
 * Turns one scan of a worker into its jobs. Pure: the previous jobs are only used to keep the time a job
 * entered its state (`since`) across scans.
 */
export function deriveJobs(
  worker: string,
  scan: WorkerScan,
  previous: ReadonlyMap<string, Job>,
  options: DeriveOptions,
): Job[] {
  const bySessionName = new Map<string, TmuxSession>();
  for (const session of scan.sessions) bySessionName.set(session.name, session);
  const claimed = new Set<string>();
  const jobs: Job[] = [];
  // A worker whose clock could not be read (0) is taken to agree with ours.
  const workerNow = scan.host.now || Math.floor(options.now / 1000);
  const skew = workerNow - Math.floor(options.now / 1000);

  for (const record of scan.jobs) {
    const sessionName = record.meta?.session ?? `${options.sessionPrefix}-${record.id}`;
    const session = bySessionName.get(sessionName);
    if (session) claimed.add(session.id);
    jobs.push(build(worker, record.id, record, session, workerNow, previous, options, skew));
  }
  const prefix = `${options.sessionPrefix}-`;
  for (const session of scan.sessions) {
    if (claimed.has(session.id)) continue;
    const id = session.name.startsWith(prefix) && session.name.length > prefix.length ? session.name.slice(prefix.length) : session.name;
    jobs.push(build(worker, id, undefined, session, workerNow, previous, options, skew));
  }
  return jobs;
}

function build(
  worker: string,
  id: string,
  record: JobRecord | undefined,
  session: TmuxSession | undefined,
  workerNow: number,
  previous: ReadonlyMap<string, Job>,
  options: DeriveOptions,
  skew: number,
): Job {
  const key = `${worker}/${id}`;
  const lastOutputAt = latest(session?.activity, record?.logModified);
  const derived = deriveState(record, session, workerNow, lastOutputAt, options.idleAfterSeconds);
  const before = previous.get(key);
  const since =
    before && before.state === derived.state
      ? before.since
      : sinceForNewState(derived.state, lastOutputAt, options.now, skew, before === undefined);
  const pane = session?.panes[0];
  const meta = record?.meta;
  const createdAt = meta ? Date.parse(meta.createdAt) / 1000 : session?.created;
  return {
    key,
    id,
    worker,
    kind: meta?.kind ?? (record ? 'unknown' : 'session'),
    params: meta?.params ?? {},
    command: meta?.command ?? (pane ? [pane.currentCommand] : []),
    state: derived.state,
    reason: derived.reason,
    since,
    exitCode: derived.exitCode,
    lastOutputAt,
    createdAt: createdAt !== undefined && Number.isFinite(createdAt) ? createdAt : undefined,
    session: session ? { id: session.id, name: session.name, attached: session.attached } : undefined,
    paneId: pane?.id,
    adhoc: record === undefined,
    clockSkew: skew,
  };
}

/** The state rules, in order: a recorded exit code wins, then a dead pane, then liveness and output age. */
export function deriveState(
  record: JobRecord | undefined,
  session: TmuxSession | undefined,
  workerNow: number,
  lastOutputAt: number | undefined,
  idleAfterSeconds: number,
): Derived {
  if (record?.exitCode !== undefined) return exited(record.exitCode, 'exit code recorded by the job wrapper');
  const livePane = session?.panes.find((pane) => !pane.dead);
  if (session && !livePane) {
    const dead = session.panes.find((pane) => pane.deadStatus !== undefined);
    if (dead?.deadStatus !== undefined) return exited(dead.deadStatus, 'pane exited (status from tmux)');
    return { state: 'unknown', reason: 'pane is dead with no exit status', exitCode: undefined };
  }
  if (session) {
    if (lastOutputAt === undefined) return { state: 'running', reason: 'session alive', exitCode: undefined };
    const quiet = workerNow - lastOutputAt;
    return quiet >= idleAfterSeconds
      ? { state: 'idle', reason: `no output for ${quiet}s`, exitCode: undefined }
      : { state: 'running', reason: 'session alive, recent output', exitCode: undefined };
  }
  if (record?.metaError) return { state: 'unknown', reason: `unreadable record: ${record.metaError}`, exitCode: undefined };
  return { state: 'lost', reason: 'session vanished without an exit code', exitCode: undefined };
}

function exited(code: number, reason: string): Derived {
  return code === 0
    ? { state: 'exited', reason, exitCode: 0 }
    : { state: 'failed', reason: `${reason}: exit ${code}`, exitCode: code };
}

function latest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/** A job seen for the first time in a quiet or ended state has been so since its last output, not since now. */
function sinceForNewState(state: JobState, lastOutputAt: number | undefined, now: number, skew: number, firstSight: boolean): number {
  if (firstSight && lastOutputAt !== undefined && state !== 'running') {
    return Math.min(now, (lastOutputAt - skew) * 1000);
  }
  return now;
}
