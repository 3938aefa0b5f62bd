/**
 * A job's changes: `git diff` of its worktree against the commit it started from (`baseCommit` in its record),
 * plus the files it made that git does not track yet (as new-file diffs, or listed by name with `--stat`).
 * Read-only: every command goes through {@link observation}, and git is kept from running the repository's
 * external diff or textconv programs. The output is capped on the worker, so a huge diff is cut, never buffered whole.
 * The text is git's raw output (with colour when asked): callers sanitize it before it reaches a terminal.
 */
import { observation, type WorkerObserver } from '../providers/types.js';
import { shellQuote } from '../ssh/quote.js';
import { readJobRecord } from './record.js';
import { expandHome, JobStepError, output } from './remote.js';

/** The most of a diff that is read; past it the text is cut and {@link JobDiff.truncated} is set. */
export const DIFF_MAX_BYTES = 4 * 1024 * 1024;

/** Untracked files shown as new-file diffs at most; the rest are listed in the stat only. */
export const DIFF_MAX_UNTRACKED = 200;

/** What to read. */
export interface DiffOptions {
  /** Only the summary (`git diff --stat` and the untracked files' names). */
  readonly stat?: boolean;
  /** Keep git's colours (ANSI SGR). */
  readonly color?: boolean;
  /** Cap on the text read; default {@link DIFF_MAX_BYTES}. */
  readonly maxBytes?: number;
}

/** A job's diff as read from its worker. */
export interface JobDiff {
  /** The worktree it was taken in. */
  readonly worktree: string;
  /** What it compares with: the recorded start commit, or `HEAD` for a job launched before it was recorded. */
  readonly base: string;
  /** The stat, then (unless `stat`) the patch; git's raw output. */
  readonly text: string;
  /** True when the text was cut at the cap. */
  readonly truncated: boolean;
}

/** Reads job `id`'s diff (its record first, for the worktree and the start commit). */
export async function readJobDiff(provider: WorkerObserver, stateDir: string, id: string, options: DiffOptions = {}): Promise<JobDiff> {
  const record = await readJobRecord(provider, stateDir, id, 'diff');
  if (!record.exists || !record.meta) {
    throw new JobStepError('diff', provider.name, `${JSON.stringify(id)} has no job record (a session started by hand has no diff)`);
  }
  if (!record.meta.worktree) {
    throw new JobStepError('diff', provider.name, `job ${id} runs without a worktree of its own, so it has no diff`);
  }
  const worktree = expandHome(record.meta.worktree, record.home);
  const base = record.meta.baseCommit ?? 'HEAD';
  const max = Math.max(1, Math.floor(options.maxBytes ?? DIFF_MAX_BYTES));
  const result = await provider.observe(observation({ argv: ['sh', '-c', diffScript(worktree, base, options, max), 'mission-control'] }), {
    target: 'session',
    timeoutMs: 60_000,
    // The script cuts its own output at `max`; the margin covers the marker line.
    maxOutputBytes: max + 4096,
  }).catch((error: unknown) => {
    throw new JobStepError('diff', provider.name, error instanceof Error ? error.message : String(error));
  });
  if (result.code === 10) {
    throw new JobStepError('diff', provider.name, `the worktree ${worktree} of job ${id} is gone`, 'the job was removed, or its worktree moved');
  }
  if (result.code !== 0) throw new JobStepError('diff', provider.name, `git diff in ${worktree} failed: ${output(result)}`);
  const text = result.stdout;
  return { worktree, base, text, truncated: Buffer.byteLength(text) >= max };
}

/** The one script: stat (tracked changes, then untracked names), then unless `stat` the patch of both, cut at `max`. */
function diffScript(worktree: string, base: string, options: DiffOptions, max: number): string {
  const color = options.color ? '--color=always' : '--color=never';
  const git = `git --no-pager -c core.quotepath=off`;
  const lines = [
    `cd ${shellQuote(worktree)} 2>/dev/null || exit 10`,
    `base=${shellQuote(base)}`,
    // Fail early and plainly on a missing base, not halfway through the output.
    `${git} rev-parse -q --verify "$base^{commit}" >/dev/null || { printf 'the start commit %s is not in this worktree\\n' "$base" >&2; exit 11; }`,
    'untracked() { git -c core.quotepath=off ls-files --others --exclude-standard; }',
    '{',
    `  ${git} diff --no-ext-diff --no-textconv ${color} --stat=200 "$base" --`,
    "  untracked | while IFS= read -r f; do printf ' %s | new file, untracked\\n' \"$f\"; done",
  ];
  if (!options.stat) {
    lines.push(
      '  echo',
      `  ${git} diff --no-ext-diff --no-textconv ${color} "$base" --`,
      `  untracked | head -n ${DIFF_MAX_UNTRACKED} | while IFS= read -r f; do ${git} diff --no-index --no-ext-diff --no-textconv ${color} -- /dev/null "$f"; done`,
    );
  }
  lines.push(`} 2>&1 | head -c ${max}`, 'exit 0');
  return lines.join('\n');
}
