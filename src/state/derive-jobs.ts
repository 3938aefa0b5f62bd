import type { JobRecord, PaneScreen, StateReport, TmuxSession, WorkerScan } from '../scanners/worker-scan/types.js';
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
  /** When the state began, Unix seconds on the worker's clock, when a report says so. */
  readonly at?: number;
}

/** How far (seconds) a new reading of a worker's clock skew may be from the last and still be taken as the same. */
const SKEW_JITTER_S = 2;

/** How far apart (ms) two readings of one report's time may be and still be the same moment: skew is read in whole seconds. */
const SAME_MOMENT_MS = 2000;

/**
 * Turns one scan of a worker into its jobs, each with a key of its own. Pure: the previous jobs are only used to
 * keep the time a job entered its state (`since`) across scans.
 *
 * A record owns the session its `meta.json` names (`<prefix>-<id>` when it names none). A session owned by no
 * record is a job of its own, keyed by its session id: a session named `zz` started by hand and the record `zz`
 * (session `mc-zz`) are `w/$3` and `w/zz`, never one key for two jobs. When two records name the same session,
 * the one whose id the name was made from keeps it; the other is shown without a session, saying whose it is.
 */
export function deriveJobs(
  worker: string,
  scan: WorkerScan,
  previous: ReadonlyMap<string, Job>,
  options: DeriveOptions,
): Job[] {
  // tmux keeps session names unique on a server; should a scan hold one twice, the first one is matched by name.
  const bySessionName = new Map<string, TmuxSession>();
  for (const session of scan.sessions) if (!bySessionName.has(session.name)) bySessionName.set(session.name, session);
  const owners = sessionOwners(scan.jobs, bySessionName, options.sessionPrefix);
  const jobs: Job[] = [];
  const keys = new Set<string>();
  const add = (job: Job) => {
    // Keys are unique by construction (record ids never start with `$`); a record that broke that rule is dropped
    // rather than allowed to share a key (the scan reports unsafe record names on the worker).
    if (keys.has(job.key)) return;
    keys.add(job.key);
    jobs.push(job);
  };
  // A worker whose clock could not be read (0) is taken to agree with ours.
  const workerNow = scan.host.now || Math.floor(options.now / 1000);
  const measured = workerNow - Math.floor(options.now / 1000);
  // The skew is read in whole seconds against our clock at the end of a scan that can take a second or more, so it
  // jitters from scan to scan: the last one stands while a new reading is within that jitter, or every job of the
  // worker would change with every scan.
  const kept = previous.values().next().value?.clockSkew;
  const skew = kept !== undefined && Math.abs(kept - measured) <= SKEW_JITTER_S ? kept : measured;
  const context = { worker, workerNow, previous, options, skew, screens: scan.screens, readingTerminal: scan.readingTerminal };

  for (const record of scan.jobs) {
    const session = bySessionName.get(sessionNameOf(record, options.sessionPrefix));
    const owner = session ? owners.get(session.id) : undefined;
    if (session && owner !== record.id) {
      add(build(context, record.id, record, undefined, `its session ${session.name} belongs to job ${owner ?? '?'}`));
    } else {
      add(build(context, record.id, record, session));
    }
  }
  for (const session of scan.sessions) {
    if (owners.has(session.id)) continue;
    add(build(context, session.id, undefined, session));
  }
  return jobs;
}

function sessionNameOf(record: JobRecord, prefix: string): string {
  return record.meta?.session ?? `${prefix}-${record.id}`;
}

/** Which record owns each claimed session (by session id): the record the name was made for first, then scan order. */
function sessionOwners(records: readonly JobRecord[], byName: ReadonlyMap<string, TmuxSession>, prefix: string): Map<string, string> {
  const owners = new Map<string, string>();
  const made = (record: JobRecord) => sessionNameOf(record, prefix) === `${prefix}-${record.id}`;
  for (const record of [...records.filter(made), ...records.filter((r) => !made(r))]) {
    const session = byName.get(sessionNameOf(record, prefix));
    if (session && !owners.has(session.id)) owners.set(session.id, record.id);
  }
  return owners;
}

interface BuildContext {
  readonly worker: string;
  readonly workerNow: number;
  readonly previous: ReadonlyMap<string, Job>;
  readonly options: DeriveOptions;
  readonly skew: number;
  readonly screens: ReadonlyMap<string, PaneScreen> | undefined;
  readonly readingTerminal: ReadonlySet<number> | undefined;
}

function build(
  context: BuildContext,
  id: string,
  record: JobRecord | undefined,
  session: TmuxSession | undefined,
  sessionTaken?: string,
): Job {
  const { worker, workerNow, previous, options, skew } = context;
  const key = `${worker}/${id}`;
  const lastOutputAt = latest(session?.activity, record?.logModified);
  const first = session?.panes[0];
  const screen = first ? context.screens?.get(first.id) : undefined;
  const reading = first?.pid !== undefined && context.readingTerminal?.has(first.pid) === true;
  let derived = deriveState(record, session, workerNow, lastOutputAt, options.idleAfterSeconds, screen, reading);
  if (sessionTaken !== undefined && derived.exitCode === undefined) derived = { state: 'unknown', reason: sessionTaken, exitCode: undefined };
  const before = previous.get(key);
  let since: number;
  if (derived.at !== undefined) {
    const at = Math.min(options.now, (derived.at - skew) * 1000);
    since = before && before.state === derived.state && Math.abs(before.since - at) <= SAME_MOMENT_MS ? before.since : at;
  } else {
    since =
      before && before.state === derived.state
        ? before.since
        : sinceForNewState(derived.state, lastOutputAt, options.now, skew, before === undefined);
  }
  const meta = record?.meta;
  const createdAt = meta ? Date.parse(meta.createdAt) / 1000 : session?.created;
  return {
    key,
    id,
    worker,
    kind: meta?.kind ?? (record ? 'unknown' : 'session'),
    ...(meta?.agent !== undefined ? { agent: meta.agent } : {}),
    ...(meta?.resumeCount ? { resumeCount: meta.resumeCount } : {}),
    params: meta?.params ?? {},
    command: meta?.command ?? (first ? [first.currentCommand] : []),
    state: derived.state,
    reason: derived.reason,
    since,
    exitCode: derived.exitCode,
    lastOutputAt,
    createdAt: createdAt !== undefined && Number.isFinite(createdAt) ? createdAt : undefined,
    session: session ? { id: session.id, name: session.name, attached: session.attached, created: session.created } : undefined,
    paneId: first?.id,
    adhoc: record === undefined,
    clockSkew: skew,
  };
}

/**
 * The state rules, in order: a recorded exit code wins, then a dead pane, then a missing session (lost); a live
 * job's last state report or a prompt on its screen (matched by its kind's waiting patterns), whichever is newer,
 * comes next; a job with neither waits when its foreground process is blocked reading the terminal, and is
 * otherwise running or idle by output age.
 */
export function deriveState(
  record: JobRecord | undefined,
  session: TmuxSession | undefined,
  workerNow: number,
  lastOutputAt: number | undefined,
  idleAfterSeconds: number,
  screen?: PaneScreen,
  readingTerminal = false,
): Derived {
  if (record?.exitCode !== undefined) return exited(record.exitCode, 'exit code recorded by the job wrapper');
  const livePane = session?.panes.find((pane) => !pane.dead);
  if (session && !livePane) {
    const dead = session.panes.find((pane) => pane.deadStatus !== undefined);
    if (dead?.deadStatus !== undefined) return exited(dead.deadStatus, 'pane exited (status from tmux)');
    return { state: 'unknown', reason: 'pane is dead with no exit status', exitCode: undefined };
  }
  // The newer of the two sources stands: the job's own report, or a prompt its screen shows.
  const prompt = session ? screen?.prompt : undefined;
  if (screen && prompt !== undefined && (record?.report === undefined || screen.activity >= record.report.at)) {
    return { state: 'waiting', reason: prompt, exitCode: undefined, at: screen.activity };
  }
  if (session && record?.report) return fromReport(record.report, workerNow, lastOutputAt, idleAfterSeconds);
  // A program that reports nothing and shows no known prompt, but whose foreground process waits in a read of the
  // terminal, waits for its user (since its last output).
  if (session && readingTerminal) {
    return { state: 'waiting', reason: 'waiting for input: reads its terminal', exitCode: undefined, ...(lastOutputAt !== undefined ? { at: lastOutputAt } : {}) };
  }
  if (session) {
    if (lastOutputAt === undefined) return { state: 'running', reason: 'session alive', exitCode: undefined };
    const quiet = workerNow - lastOutputAt;
    // The threshold, not the count of seconds: a reason that ticks would make every scan of an idle job a change.
    return quiet >= idleAfterSeconds
      ? { state: 'idle', reason: `no output for ${idleAfterSeconds}s or more`, exitCode: undefined }
      : { state: 'running', reason: 'session alive, recent output', exitCode: undefined };
  }
  if (record?.metaError) return { state: 'unknown', reason: `unreadable record: ${record.metaError}`, exitCode: undefined };
  return { state: 'lost', reason: 'session vanished without an exit code', exitCode: undefined };
}

/**
 * A live job's state from its last report. `waiting` and `done` stand until the next report (output alone does not
 * end them: a prompt may redraw). `working` stands while the job shows signs of life: with no output and no report
 * for the idle threshold it is idle, so an agent whose final hook never fired does not stay "working".
 */
function fromReport(report: StateReport, workerNow: number, lastOutputAt: number | undefined, idleAfterSeconds: number): Derived {
  if (report.state === 'waiting') return { state: 'waiting', reason: report.reason || 'waiting for input', exitCode: undefined, at: report.at };
  if (report.state === 'done') return { state: 'done', reason: report.reason || 'finished its turn', exitCode: undefined, at: report.at };
  const lastSign = Math.max(report.at, lastOutputAt ?? report.at);
  const quiet = workerNow - lastSign;
  if (quiet >= idleAfterSeconds) {
    return { state: 'idle', reason: `reported working, then no output or report for ${idleAfterSeconds}s or more`, exitCode: undefined, at: lastSign + idleAfterSeconds };
  }
  return { state: 'working', reason: report.reason || 'working', exitCode: undefined, at: report.at };
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
