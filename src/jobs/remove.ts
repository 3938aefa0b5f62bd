/**
 * Removing jobs: kill the session (by id), remove the worktree (`git worktree remove --force`, which refuses
 * anything that is not a linked worktree), and archive the record with its log under `<stateDir>/archive/`, out of
 * the scanner's sight, or delete it with `purge`. Bulk removal is a plan (exactly what will go) and its execution.
 */
import type { WorkerConfig } from '../config/schema.js';
import type { ProgressReporter, WorkerProvider } from '../providers/types.js';
import type { Job } from '../state/types.js';
import { shellQuote } from '../ssh/quote.js';
import { readJobRecord } from './record.js';
import { expandHome, findSession, JobStepError, output, runScript } from './remote.js';
import { terminateSession } from './stop.js';

/** The job to remove: its id and the session name it runs under. */
export interface RemoveTarget {
  readonly id: string;
  readonly session: string;
}

/** Options for {@link removeJobOn}. */
export interface RemoveOptions {
  /** Delete the record and log instead of archiving them. */
  readonly purge?: boolean;
  /** Leave the job alone unless its exit code is recorded (bulk removal: it may have been relaunched since the plan). */
  readonly onlyIfFinished?: boolean;
  /** Our clock, for the archive's name; default `new Date()`. */
  readonly now?: () => Date;
}

/** What a removal did. */
export interface RemoveResult {
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
  worker: Pick<WorkerConfig, 'name' | 'stateDir'>,
  target: RemoveTarget,
  options: RemoveOptions = {},
  progress: ProgressReporter = () => undefined,
): Promise<RemoveResult> {
  const record = await readJobRecord(provider, worker.stateDir, target.id, 'rm');
  if (options.onlyIfFinished && record.exists && record.exitCode === undefined) {
    return { id: target.id, skipped: 'it is no longer finished (relaunched?)', sessionKilled: false, purged: false };
  }
  const session = await findSession(provider, record.meta?.session ?? target.session, 'rm');
  let sessionKilled = false;
  if (session) {
    progress(`${worker.name}: ending session ${session.sessionId} of ${target.id}`);
    await terminateSession(provider, session, { termGraceMs: 2000 }, progress);
    sessionKilled = true;
  }
  if (!record.exists) return { id: target.id, sessionKilled, purged: false };

  const worktree = record.meta?.worktree;
  const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const dest = `${expandHome(worker.stateDir, record.home)}/archive/${target.id}-${stamp}`;
  if (worktree) progress(`${worker.name}: removing worktree ${worktree}`);
  const script = [
    `jd=${shellQuote(`${expandHome(worker.stateDir, record.home)}/jobs/${target.id}`)}; wt=${shellQuote(worktree ?? '')}`,
    `ref=${shellQuote(`refs/mission-control/${target.id}`)}; dest=${shellQuote(dest)}`,
    // After a kill, give the wrapper a moment to record the exit code (it writes into the directory it runs in).
    `if [ ${session ? 1 : 0} = 1 ]; then i=0; while [ ! -f "$jd/exit" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; fi`,
    'if [ -n "$wt" ] && [ -e "$wt" ]; then',
    '  if c=$(git -C "$wt" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then',
    "    if out=$(git --git-dir=\"$c\" worktree remove --force \"$wt\" 2>&1); then printf 'WT\\n'; else printf 'WTFAIL %s\\n' \"$out\"; fi",
    '    git --git-dir="$c" update-ref -d "$ref" 2>/dev/null; git --git-dir="$c" worktree prune 2>/dev/null',
    "  else printf 'WTFAIL not a git worktree\\n'; fi",
    'fi',
    options.purge
      ? "rm -rf \"$jd\" && printf 'PURGED\\n'"
      : "mkdir -p \"$(dirname \"$dest\")\" && { [ ! -e \"$dest\" ] || dest=$dest-$$; } && mv \"$jd\" \"$dest\" && printf 'ARCHIVED %s\\n' \"$dest\"",
  ].join('\n');
  const result = await runScript(provider, script, { step: 'rm' });
  const lines = result.stdout.split('\n');
  const problem = lines.find((line) => line.startsWith('WTFAIL'))?.slice(7);
  const archived = lines.find((line) => line.startsWith('ARCHIVED '))?.slice(9);
  const purged = lines.includes('PURGED');
  if (!purged && archived === undefined) {
    throw new JobStepError('rm', worker.name, `cannot ${options.purge ? 'delete' : 'archive'} the record of ${target.id}: ${output(result)}`);
  }
  return {
    id: target.id,
    sessionKilled,
    ...(worktree && lines.includes('WT') ? { worktreeRemoved: worktree } : {}),
    ...(problem !== undefined ? { worktreeProblem: problem } : {}),
    ...(archived !== undefined ? { archivedTo: archived } : {}),
    purged,
  };
}

/** One job a bulk removal will remove. */
export interface RemovalPlanItem {
  /** `worker/id`. */
  readonly key: string;
  readonly worker: string;
  readonly id: string;
  readonly session: string;
  /** `exited` or `failed`. */
  readonly state: Job['state'];
  readonly exitCode: number | undefined;
}

/** Exactly the jobs `rm --all-finished` removes: those whose exit code is known (exited or failed). Pure. */
export function planFinishedRemoval(jobs: readonly Job[], sessionPrefix: (worker: string) => string): RemovalPlanItem[] {
  return jobs
    .filter((job) => job.state === 'exited' || job.state === 'failed')
    .map((job) => ({
      key: job.key,
      worker: job.worker,
      id: job.id,
      session: job.session?.name ?? `${sessionPrefix(job.worker)}-${job.id}`,
      state: job.state,
      exitCode: job.exitCode,
    }));
}
