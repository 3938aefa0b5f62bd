/**
 * Removing jobs: kill the session (by id, checked to be the one the user chose), remove the worktree
 * (`git worktree remove --force`, only on the linked worktree the launch made for this job: `<worktreesDir>/<id>`)
 * and archive the record with its log under `<stateDir>/archive/`, out of the scanner's sight, or delete it with
 * `purge`. A session with no record (started by hand) only has its session ended: no file is touched for it. Bulk
 * removal is a plan (exactly what will go) and its execution.
 */
import type { WorkerConfig } from '../config/schema.js';
import type { ProgressReporter, WorkerProvider } from '../providers/types.js';
import type { JobTarget } from '../state/job-target.js';
import type { Job } from '../state/types.js';
import { targetOf } from '../state/job-target.js';
import { shellQuote } from '../ssh/quote.js';
import { sanitizeLine } from '../text/sanitize.js';
import { readJobRecord } from './record.js';
import { expandHome, JobStepError, output, runScript } from './remote.js';
import { locateSession, terminateSession } from './stop.js';

/** Where a worker keeps what a removal touches. */
export interface RemoveWorker extends Pick<WorkerConfig, 'name' | 'stateDir'> {
  /** The repo's worktrees directory (`repo.worktreesDir`): a job's worktree is `<worktreesDir>/<id>` and nothing else. */
  readonly worktreesDir: string;
}

/** Options for {@link removeJobOn}. */
export interface RemoveOptions {
  /** Delete the record and log instead of archiving them. */
  readonly purge?: boolean;
  /** Leave the job alone unless it has ended (bulk removal: it may have been relaunched since the plan). */
  readonly onlyIfFinished?: boolean;
  /** Our clock, for the archive's name; default `new Date()`. */
  readonly now?: () => Date;
}

/** What a removal did. */
export interface RemoveResult {
  /** The job's key. */
  readonly id: string;
  /** Set when nothing was removed, with the reason. */
  readonly skipped?: string;
  readonly sessionKilled: boolean;
  /** The worktree removed. */
  readonly worktreeRemoved?: string;
  /** Why the worktree was not removed, when it should have been. */
  readonly worktreeProblem?: string;
  /** Where the record and log went (absolute path on the session host). */
  readonly archivedTo?: string;
  readonly purged: boolean;
}

/** Removes one job from one worker. */
export async function removeJobOn(
  provider: WorkerProvider,
  worker: RemoveWorker,
  target: JobTarget,
  options: RemoveOptions = {},
  progress: ProgressReporter = () => undefined,
): Promise<RemoveResult> {
  const id = target.recordId;
  const record = id === undefined ? undefined : await readJobRecord(provider, worker.stateDir, id, 'rm');
  const notFinished = { id: target.key, skipped: 'it is no longer finished (relaunched?)', sessionKilled: false, purged: false };
  if (options.onlyIfFinished && record?.exists && record.exitCode === undefined) return notFinished;
  const session = target.session ? await locateSession(provider, target.session, 'rm') : undefined;
  if (options.onlyIfFinished && record?.exitCode === undefined && session && !session.paneDead) return notFinished;
  let sessionKilled = false;
  if (session && target.session) {
    progress(`${worker.name}: ending session ${session.sessionId} of ${sanitizeLine(target.key)}`);
    await terminateSession(provider, target.session, session, { termGraceMs: 2000 }, progress);
    sessionKilled = true;
  }
  if (id === undefined || !record?.exists) return { id: target.key, sessionKilled, purged: false };

  const home = record.home;
  const named = record.meta?.worktree;
  // Where the launch put it (see `launchJob`); compared with repeated and trailing slashes folded.
  const expected = `${expandHome(worker.worktreesDir, home)}/${id}`;
  const fold = (path: string) => path.replace(/\/+/g, '/').replace(/(?<=.)\/$/, '');
  const foreign =
    named !== undefined && fold(named) !== fold(expected)
      ? `the record names ${named} as its worktree, but the worktree of ${id} is ${expected}: left alone`
      : undefined;
  const worktree = foreign === undefined ? named : undefined;
  const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const dest = `${expandHome(worker.stateDir, home)}/archive/${id}-${stamp}`;
  if (worktree) progress(`${worker.name}: removing worktree ${worktree}`);
  const script = [
    `jd=${shellQuote(`${expandHome(worker.stateDir, home)}/jobs/${id}`)}; wt=${shellQuote(worktree ?? '')}`,
    `ref=${shellQuote(`refs/mission-control/${id}`)}; dest=${shellQuote(dest)}`,
    // After a kill, give the wrapper a moment to record the exit code (it writes into the directory it runs in).
    `if [ ${session ? 1 : 0} = 1 ]; then i=0; while [ ! -f "$jd/exit" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; fi`,
    ...worktreeRemovalLines(),
    options.purge
      ? "rm -rf \"$jd\" && printf 'PURGED\\n'"
      : "mkdir -p \"$(dirname \"$dest\")\" && { [ ! -e \"$dest\" ] || dest=$dest-$$; } && mv \"$jd\" \"$dest\" && printf 'ARCHIVED %s\\n' \"$dest\"",
  ].join('\n');
  const result = await runScript(provider, script, { step: 'rm' });
  const lines = result.stdout.split('\n');
  const problem = foreign ?? lines.find((line) => line.startsWith('WTFAIL'))?.slice(7);
  const archived = lines.find((line) => line.startsWith('ARCHIVED '))?.slice(9);
  const purged = lines.includes('PURGED');
  if (!purged && archived === undefined) {
    throw new JobStepError('rm', worker.name, `cannot ${options.purge ? 'delete' : 'archive'} the record of ${id}: ${output(result)}`);
  }
  return {
    id: target.key,
    sessionKilled,
    ...(worktree && lines.includes('WT') ? { worktreeRemoved: worktree } : {}),
    ...(problem !== undefined ? { worktreeProblem: problem } : {}),
    ...(archived !== undefined ? { archivedTo: archived } : {}),
    purged,
  };
}

/**
 * Removes `$wt` only when it is the top of a linked worktree: never a main clone (or `$HOME` holding one), a
 * directory inside a worktree, or a path outside git. `git worktree remove` refuses main working trees by itself;
 * these checks say why in words and do not depend on it.
 */
function worktreeRemovalLines(): string[] {
  return [
    'if [ -n "$wt" ] && [ -e "$wt" ]; then',
    '  c=$(git -C "$wt" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) || c=',
    '  g=$(git -C "$wt" rev-parse --path-format=absolute --git-dir 2>/dev/null) || g=',
    '  top=$(git -C "$wt" rev-parse --show-toplevel 2>/dev/null) || top=',
    '  here=$(cd "$wt" 2>/dev/null && pwd -P) || here=',
    "  if [ -z \"$c\" ] || [ -z \"$top\" ]; then printf 'WTFAIL %s is not a git worktree: left alone\\n' \"$wt\"",
    "  elif [ \"$c\" = \"$g\" ]; then printf 'WTFAIL %s is a main clone, not a job worktree: left alone\\n' \"$wt\"",
    "  elif [ \"$top\" != \"$here\" ]; then printf 'WTFAIL %s is inside the worktree %s, not a worktree: left alone\\n' \"$wt\" \"$top\"",
    "  elif out=$(git --git-dir=\"$c\" worktree remove --force \"$wt\" 2>&1); then printf 'WT\\n'",
    '    git --git-dir="$c" update-ref -d "$ref" 2>/dev/null; git --git-dir="$c" worktree prune 2>/dev/null',
    "  else printf 'WTFAIL %s\\n' \"$(printf '%s' \"$out\" | tr '\\n' ' ')\"; fi",
    'fi',
  ];
}

/** One job a bulk removal will remove: exactly the job listed, with the state it was listed in. */
export interface RemovalPlanItem extends JobTarget {
  /** `exited` or `failed`. */
  readonly state: Job['state'];
  readonly exitCode: number | undefined;
}

/** Exactly the jobs `rm --all-finished` removes: those whose exit code is known (exited or failed). Pure. */
export function planFinishedRemoval(jobs: readonly Job[]): RemovalPlanItem[] {
  return jobs
    .filter((job) => job.state === 'exited' || job.state === 'failed')
    .map((job) => ({ ...targetOf(job), state: job.state, exitCode: job.exitCode }));
}
