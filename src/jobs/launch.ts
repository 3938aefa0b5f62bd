/**
 * The launch pipeline, through the worker's provider: ready → claim → worktree → start.
 *
 * - **claim**: an atomic `mkdir` of `<stateDir>/jobs/.launch-<id>` is the lock (hidden from the scanner, which lists
 *   `jobs/*`), so two launches of the same job at the same moment end with one session; the loser waits for the
 *   winner and reports the job it made. An existing job directory means the job exists: it is reported, not redone.
 * - **worktree**: `git fetch` of the kind's ref into `refs/mission-control/<id>` (never FETCH_HEAD, which concurrent
 *   launches share), then `git worktree add`. A worktree left from an earlier run of the job is reused only when it is
 *   clean, and moved to what was just fetched (or to the kind's branch), so a relaunch never runs on a stale commit
 *   nor on changes left behind.
 * - **start**: the job directory with `meta.json` (written to a temporary file, then moved), the wrapper and an empty
 *   log, then `tmux new-session` on the private socket: one remote command, so a warm worker starts the job within
 *   one exec of the worktree being ready.
 *
 * A failed step undoes what the launch made (session, job directory, worktree, branch, lock) and says which step
 * failed on which worker.
 */
import { BudgetExceededError } from '../app/budget.js';
import type { WorkerConfig } from '../config/schema.js';
import { tmuxArgv } from '../providers/tmux.js';
import type { ProgressReporter, WorkerProvider } from '../providers/types.js';
import { shellPath } from '../scanners/session-host.js';
import type { JobMeta } from '../scanners/worker-scan/types.js';
import { shellJoin, shellQuote } from '../ssh/quote.js';
import { fillTemplate, type RepoSettings } from './kinds.js';
import { sessionNameFor, type JobSpec } from './params.js';
import { isDeadLauncherHere, launcherToken } from './launch-owner.js';
import { expandHome, findSession, firstLine, JobStepError, output, runScript } from './remote.js';
import { recordFilesLines, sessionArgv } from './session-start.js';

/** The part of a worker's config a launch uses. */
export type LaunchWorker = Pick<WorkerConfig, 'name' | 'sessionPrefix' | 'stateDir' | 'mainDir'>;

/** Tunables of a launch. */
export interface LaunchOptions {
  /** How long to wait for a concurrent launch of the same job; default 120 s. */
  readonly lockWaitMs?: number;
  /** A lock older than this is left over from a launcher that died, and is taken over; default 600 s. */
  readonly staleLockSeconds?: number;
  /** Time limit of the worktree step (fetch + worktree add); default 300 s. */
  readonly worktreeTimeoutMs?: number;
  /** Our clock, for `createdAt`; default `new Date()`. */
  readonly now?: () => Date;
}

/** What a launch found or made. */
export interface LaunchedJob {
  readonly worker: string;
  readonly id: string;
  /** The tmux session name. */
  readonly session: string;
  /** False when the job already existed (or another launch made it first): nothing was started. */
  readonly created: boolean;
  /** `$N` and `%N` of the live session, when there is one. */
  readonly sessionId?: string;
  readonly paneId?: string;
  /** The exit code, when the existing job has ended. */
  readonly exitCode?: number;
  /** The worktree (absolute path on the session host), for a job this launch created. */
  readonly worktree?: string;
}

/** Launches `spec` on one worker; idempotent. */
export async function launchJob(
  provider: WorkerProvider,
  worker: LaunchWorker,
  spec: JobSpec,
  repo: RepoSettings,
  progress: ProgressReporter = () => undefined,
  options: LaunchOptions = {},
): Promise<LaunchedJob> {
  const session = sessionNameFor(worker.sessionPrefix, spec.id);
  const say = (text: string) => progress(`${worker.name}: ${text}`);

  say('making the worker ready');
  try {
    await provider.ensureReady(say);
  } catch (error) {
    // The monthly budget's refusal keeps its type and figures: the dashboard asks again with them, the CLI names --force.
    if (error instanceof BudgetExceededError) throw error;
    throw new JobStepError('ready', worker.name, error instanceof Error ? error.message : String(error));
  }

  say(`claiming job ${spec.id}`);
  const claim = await claimJob(provider, worker, spec.id, session, options, say);
  if (claim.kind === 'exists') return existingJob(provider, worker.name, spec.id, session, claim.exitCode);

  const home = claim.home;
  const jobsDir = `${expandHome(worker.stateDir, home)}/jobs`;
  const jobDir = `${jobsDir}/${spec.id}`;
  const lock = `${jobsDir}/.launch-${spec.id}`;
  let made: WorktreeMade | undefined;
  try {
    let workDir = home;
    if (spec.kind.worktree) {
      const fetch = fillTemplate(spec.kind.worktree.fetch, spec.params);
      const branch = spec.kind.worktree.branch === undefined ? undefined : fillTemplate(spec.kind.worktree.branch, spec.params);
      const remote = spec.kind.worktree.remote ?? (repo.upstream ? 'upstream' : 'origin');
      workDir = `${expandHome(repo.worktreesDir, home)}/${spec.id}`;
      say(`preparing worktree ${workDir} (${remote} ${fetch})`);
      made = await prepareWorktree(provider, {
        id: spec.id,
        // A worker's own mainDir (an existing checkout, as `init` writes it) wins over the fleet-wide one.
        main: expandHome(worker.mainDir ?? repo.mainDir, home),
        cloneable: repo.url !== undefined,
        worktree: workDir,
        remote,
        fetch,
        ...(branch !== undefined ? { branch } : {}),
        timeoutMs: options.worktreeTimeoutMs ?? 300_000,
      });
    }
    const meta: JobMeta = {
      id: spec.id,
      kind: spec.kind.name,
      params: spec.params,
      command: spec.command,
      session,
      ...(spec.kind.worktree ? { worktree: workDir } : {}),
      ...(made?.baseCommit ? { baseCommit: made.baseCommit } : {}),
      createdAt: (options.now?.() ?? new Date()).toISOString(),
      ...(spec.kind.agent !== undefined ? { agent: spec.kind.agent } : {}),
    };
    say(`starting tmux session ${session}`);
    const started = await startSession(provider, { jobDir, lock, workDir, meta });
    return { worker: worker.name, id: spec.id, session, created: true, ...started, ...(spec.kind.worktree ? { worktree: workDir } : {}) };
  } catch (error) {
    const failure = error instanceof JobStepError ? error : new JobStepError('launch', worker.name, String(error));
    if (failure.step === 'start' && failure.uncertain) {
      // The session may be running: undoing now could pull the worktree from under a live job. Only the lock goes,
      // when the job directory (made in the same command as the session) is not there: nothing started then.
      await provider
        .exec({ script: `[ -d ${shellQuote(jobDir)} ] || rm -rf -- ${shellQuote(lock)}` }, { target: 'session', timeoutMs: 10_000 })
        .catch(() => undefined);
      throw new JobStepError('start', worker.name, failure.detail, `the job may have started; check with \`mission-control jobs\` before launching again`, true);
    }
    const leftovers = await undoLaunch(provider, { lock, made }).catch((undo: unknown) => [String(undo)]);
    if (leftovers.length === 0) throw failure;
    throw new JobStepError(failure.step, failure.worker, failure.detail, `cleanup also failed, remove by hand: ${leftovers.join('; ')}`);
  }
}

type Claim = { kind: 'claimed'; home: string } | { kind: 'exists'; exitCode: number | undefined };

const CLAIM_POLL_MS = 200;

async function claimJob(
  provider: WorkerProvider,
  worker: LaunchWorker,
  id: string,
  session: string,
  options: LaunchOptions,
  say: (text: string) => void,
): Promise<Claim> {
  const stale = options.staleLockSeconds ?? 600;
  const owner = launcherToken() ?? '';
  // `dead`: the holder this launcher found to be a killed launcher on this machine; its lock is taken over at once.
  const claimScript = (dead: string) => [
    'umask 077',
    `jobs=${shellPath(worker.stateDir)}/jobs; id=${shellQuote(id)}; owner=${shellQuote(owner)}; dead=${shellQuote(dead)}`,
    'jd=$jobs/$id; lk=$jobs/.launch-$id',
    'mkdir -p "$jobs" || exit 3',
    'report() { printf \'EXISTS\\n\'; if [ -f "$jd/exit" ]; then printf \'EXIT \'; cat "$jd/exit"; fi; exit 0; }',
    // A job directory with the lock still held is a launch in its start step: wait for it like any other.
    '[ -d "$jd" ] && [ ! -e "$lk" ] && report',
    'now=$(date +%s)',
    'if ! mkdir "$lk" 2>/dev/null; then',
    '  started=$(cat "$lk/started" 2>/dev/null); case $started in ""|*[!0-9]*) started=$now ;; esac',
    '  age=$((now - started))',
    '  held=$(head -c 100 "$lk/owner" 2>/dev/null)',
    `  if [ "$age" -lt ${stale} ] && { [ -z "$dead" ] || [ "$held" != "$dead" ]; }; then printf 'BUSY %s %s\\n' "$age" "$held"; exit 0; fi`,
    // A launcher that died holding the lock: move the lock aside (atomic, so one taker wins) and take it.
    '  mv "$lk" "$lk.stale.$$" 2>/dev/null && rm -rf "$lk.stale.$$"',
    "  mkdir \"$lk\" 2>/dev/null || { printf 'BUSY 0\\n'; exit 0; }",
    "  printf 'TOOKOVER %s\\n' \"$age\"",
    'fi',
    'printf \'%s\\n\' "$now" >"$lk/started"',
    '[ -z "$owner" ] || printf \'%s\\n\' "$owner" >"$lk/owner"',
    '[ -d "$jd" ] && { rm -rf "$lk"; report; }',
    `if ${shellJoin(tmuxArgv(provider.tmux, ['has-session', '-t', `=${session}`]))} 2>/dev/null; then`,
    "  rm -rf \"$lk\"; printf 'SESSION\\n'; exit 0",
    'fi',
    "printf 'CLAIMED\\n%s\\n' \"$HOME\"",
  ].join('\n');
  let deadHolder = '';
  const deadline = Date.now() + (options.lockWaitMs ?? 120_000);
  let waiting = false;
  for (;;) {
    const result = await runScript(provider, claimScript(deadHolder), { step: 'claim', quick: true });
    if (result.code !== 0) {
      const what = result.code === 3 ? 'cannot create the job records directory' : 'cannot run commands where jobs run';
      throw new JobStepError('claim', provider.name, `${what}: ${output(result)}`);
    }
    const lines = result.stdout.split('\n').filter((line) => !line.startsWith('TOOKOVER'));
    const took = result.stdout.match(/^TOOKOVER (\d+)/m);
    if (took) say(`took over a launch lock left ${took[1]}s ago by a launcher that did not finish`);
    const [head = '', second = ''] = lines;
    if (head === 'CLAIMED' && second.startsWith('/')) return { kind: 'claimed', home: second };
    if (head === 'EXISTS') {
      const code = /^EXIT (-?\d+)/.exec(second)?.[1];
      return { kind: 'exists', exitCode: code === undefined ? undefined : Number(code) };
    }
    if (head === 'SESSION') {
      throw new JobStepError(
        'claim',
        provider.name,
        `a tmux session named ${session} exists but has no job record`,
        'it was started by hand on the private socket: attach to it, or kill it, then launch again',
      );
    }
    const busy = /^BUSY (\d+)(?: (\S*))?$/.exec(head);
    if (!busy) throw new JobStepError('claim', provider.name, `unexpected answer: ${output(result)}`);
    const holder = busy[2];
    if (holder && holder !== deadHolder && isDeadLauncherHere(holder)) {
      // Killed while holding the lock (its pid is gone from this machine): take the lock over now.
      deadHolder = holder;
      continue;
    }
    if (Date.now() > deadline) {
      throw new JobStepError(
        'claim',
        provider.name,
        `another launch of ${id} has been running for ${busy[1]}s`,
        `wait for it, or if no launch is running remove ${worker.stateDir}/jobs/.launch-${id}`,
      );
    }
    if (!waiting) say(`another launch of ${id} is in progress; waiting for it`);
    waiting = true;
    await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
  }
}

async function existingJob(
  provider: WorkerProvider,
  worker: string,
  id: string,
  session: string,
  exitCode: number | undefined,
): Promise<LaunchedJob> {
  const found = await findSession(provider, session, 'claim');
  return {
    worker,
    id,
    session,
    created: false,
    ...(found && !found.paneDead ? { sessionId: found.sessionId, paneId: found.paneId } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
  };
}

interface WorktreeRequest {
  readonly id: string;
  readonly main: string;
  /** Whether `setup` can make a missing main clone (the config has `repo.url`). */
  readonly cloneable: boolean;
  readonly worktree: string;
  readonly remote: string;
  readonly fetch: string;
  readonly branch?: string;
  readonly timeoutMs: number;
}

/** What the worktree step made, so a later failure can undo exactly that. */
interface WorktreeMade {
  readonly main: string;
  readonly worktree: string;
  readonly id: string;
  /** False when an existing worktree of the same repository was reused (it is left alone on failure). */
  readonly created: boolean;
  /** The branch the step created, if any. */
  readonly branch?: string;
  /** The commit the worktree is at once ready: the job's diff is taken against it. */
  readonly baseCommit?: string;
}

async function prepareWorktree(provider: WorkerProvider, request: WorktreeRequest): Promise<WorktreeMade> {
  for (const [what, value] of [['ref', request.fetch], ['branch', request.branch ?? 'x']] as const) {
    if (value.startsWith('-') || /[\s\0]/.test(value)) {
      throw new JobStepError('worktree', provider.name, `the ${what} ${JSON.stringify(value)} is not usable: it starts with '-' or holds spaces`);
    }
  }
  const ref = `refs/mission-control/${request.id}`;
  const script = [
    `main=${shellQuote(request.main)}; wt=${shellQuote(request.worktree)}; ref=${shellQuote(ref)}`,
    `remote=${shellQuote(request.remote)}; src=${shellQuote(request.fetch)}; branch=${shellQuote(request.branch ?? '')}`,
    'common() { git -C "$1" rev-parse --path-format=absolute --git-common-dir 2>/dev/null; }',
    'mc=$(common "$main") || { printf \'no git clone at %s\\n\' "$main" >&2; exit 10; }',
    'if [ -e "$wt" ] && [ "$(common "$wt")" != "$mc" ]; then',
    "  printf '%s exists and is not a worktree of %s; move it away\\n' \"$wt\" \"$main\" >&2; exit 11",
    'fi',
    'git -C "$main" fetch --quiet --no-tags "$remote" "+$src:$ref" || exit 12',
    // The commit the job starts from, recorded in its meta.json for `mission-control diff`.
    'base() { printf \'BASE %s\\n\' "$(git -C "$wt" rev-parse HEAD 2>/dev/null)"; }',
    ...reuseWorktreeLines(),
    // A worktree that could not be made (a full disk, say) takes the ref fetched for it along.
    'unmade() { git -C "$main" worktree prune; git -C "$main" update-ref -d "$ref"; exit "$1"; } 2>/dev/null',
    'mkdir -p "$(dirname "$wt")" || unmade 13',
    'if [ -z "$branch" ]; then',
    '  git -C "$main" worktree add --quiet --detach "$wt" "$ref" || unmade 14',
    'elif git -C "$main" show-ref --verify --quiet "refs/heads/$branch"; then',
    '  git -C "$main" worktree add --quiet "$wt" "$branch" || unmade 14',
    'else',
    "  git -C \"$main\" worktree add --quiet -b \"$branch\" \"$wt\" \"$ref\" || unmade 14; printf 'BRANCH\\n'",
    'fi',
    "printf 'CREATED\\n'",
    'base',
  ].join('\n');
  const result = await runScript(provider, script, { step: 'worktree', timeoutMs: request.timeoutMs });
  const what: Record<number, string> = {
    10: 'no main clone',
    11: 'the worktree path is taken',
    12: `git fetch ${request.remote} ${request.fetch} failed`,
    13: 'cannot create the worktrees directory',
    14: 'git worktree add failed',
    15: `the worktree ${request.worktree} from an earlier run has uncommitted changes`,
    16: `cannot check out ${request.branch ?? request.fetch} in the worktree ${request.worktree}`,
  };
  if (result.code !== 0) {
    const hints: Record<number, string> = {
      // The one command that makes the main clone: `setup` clones repo.url; without one, `init` in a checkout makes
      // that checkout the worker's main clone (and its origin repo.url).
      10: request.cloneable
        ? `run \`mission-control setup ${provider.name}\` first`
        : 'run `mission-control init` inside your checkout of the repository (it makes that checkout the main clone and its origin repo.url; add --force to replace an existing config)',
      15: 'commit, stash or discard them (or move the worktree away), then launch again',
    };
    if (request.fetch === 'HEAD') hints[12] = `${request.remote} names no default branch (its HEAD): name the branch, e.g. \`launch run --branch main -- …\``;
    const hint = hints[result.code ?? -1];
    throw new JobStepError('worktree', provider.name, `${what[result.code ?? -1] ?? 'failed'}: ${firstLine(result)}`, hint);
  }
  const created = /^CREATED$/m.test(result.stdout);
  const base = /^BASE ([0-9a-f]{40,64})$/m.exec(result.stdout);
  return {
    main: request.main,
    worktree: request.worktree,
    id: request.id,
    created,
    ...(/^BRANCH$/m.test(result.stdout) && request.branch ? { branch: request.branch } : {}),
    ...(base ? { baseCommit: base[1]! } : {}),
  };
}

/**
 * The worktree script's lines for a worktree that exists already (after the fetch): a clean one is moved to the
 * fetched ref (detached), or to the kind's branch, which carries the job's work and is left where it is when it is
 * checked out already; uncommitted changes refuse the reuse (exit 15) rather than run the job on them.
 */
function reuseWorktreeLines(): string[] {
  return [
    'if [ -e "$wt" ]; then',
    '  if [ -n "$branch" ] && [ "$(git -C "$wt" symbolic-ref -q HEAD)" = "refs/heads/$branch" ]; then printf \'REUSED\\n\'; base; exit 0; fi',
    '  dirty=$(git -C "$wt" status --porcelain 2>&1 | head -n 3 | tr \'\\n\' \' \')',
    '  if [ -n "$dirty" ]; then printf \'%s\\n\' "$dirty" >&2; exit 15; fi',
    '  if [ -n "$branch" ]; then git -C "$wt" checkout --quiet "$branch" || exit 16',
    '  else git -C "$wt" checkout --quiet --detach "$ref" || exit 16; fi',
    "  printf 'REUSED\\n'; base; exit 0",
    'fi',
  ];
}

interface StartRequest {
  readonly jobDir: string;
  readonly lock: string;
  readonly workDir: string;
  readonly meta: JobMeta;
}

async function startSession(provider: WorkerProvider, request: StartRequest): Promise<{ sessionId?: string; paneId?: string }> {
  const { meta, jobDir } = request;
  const script = [
    'um=$(umask)',
    'umask 077',
    `jd=${shellQuote(jobDir)}; lk=${shellQuote(request.lock)}`,
    "mkdir \"$jd\" || { printf 'the job directory exists already\\n' >&2; exit 21; }",
    `{ : >"$jd/output.log" && ${recordFilesLines(meta, meta.command, request.workDir, jobDir).join('\n')}; } || { rm -rf "$jd"; exit 22; }`,
    `if out=$(umask "$um" && ${shellJoin(sessionArgv(provider, meta.session, request.workDir, jobDir))} "$um" 2>&1); then rm -rf "$lk"; printf 'STARTED %s\\n' "$out"; exit 0; fi`,
    'rm -rf "$jd"; printf \'%s\\n\' "$out" >&2; exit 23',
  ].join('\n');
  const result = await runScript(provider, script, { step: 'start', quick: true });
  if (result.code !== 0) {
    const what = result.code === 23 ? 'tmux new-session failed' : 'cannot write the job record';
    throw new JobStepError('start', provider.name, `${what}: ${firstLine(result)}`);
  }
  const match = /^STARTED (\$\d+) (%\d+)/m.exec(result.stdout);
  return match ? { sessionId: match[1]!, paneId: match[2]! } : {};
}

/** Undoes a failed launch: the worktree and branch it made, and the lock. Returns what could not be removed. */
async function undoLaunch(provider: WorkerProvider, what: { lock: string; made: WorktreeMade | undefined }): Promise<string[]> {
  const { made } = what;
  const lines = [`rm -rf ${shellQuote(what.lock)} || printf 'the lock %s\\n' ${shellQuote(what.lock)}`];
  if (made?.created) {
    const main = shellQuote(made.main);
    const wt = shellQuote(made.worktree);
    lines.push(
      `git -C ${main} worktree remove --force ${wt} 2>/dev/null; git -C ${main} worktree prune`,
      `[ -e ${wt} ] && printf 'the worktree %s\\n' ${wt}`,
      `git -C ${main} update-ref -d ${shellQuote(`refs/mission-control/${made.id}`)} 2>/dev/null`,
    );
    if (made.branch) lines.push(`git -C ${main} branch -q -D ${shellQuote(made.branch)} 2>/dev/null`);
  }
  lines.push('exit 0');
  const result = await runScript(provider, lines.join('\n'), { step: 'cleanup' });
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}
