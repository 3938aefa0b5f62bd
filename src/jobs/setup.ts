/**
 * `setup WORKER`: makes a worker ready for jobs, idempotently (only what differs changes): the directories jobs
 * use, the main clone with its `origin` (and `upstream` for a fork), and the synced files. Synced files travel on
 * the command's standard input (never in argv), land through `umask 077; cat > tmp && mv` with mode 0600, and are
 * compared by sha256 first so unchanged files are not sent.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { WorkerConfig } from '../config/schema.js';
import type { ProgressReporter, WorkerProvider } from '../providers/types.js';
import { shellPath } from '../scanners/session-host.js';
import { shellQuote } from '../ssh/quote.js';
import type { RepoSettings } from './kinds.js';
import { JobStepError, output, runScript } from './remote.js';

/** What setup did, one line per item. */
export interface SetupReport {
  readonly changed: readonly string[];
  readonly unchanged: readonly string[];
}

/** Options for {@link setupWorker}. */
export interface SetupOptions {
  /** Reads a local file to sync; default: from disk, `~/` meaning this machine's home. */
  readonly readLocal?: (path: string) => Promise<Buffer>;
  /** Time limit of the clone; default 30 min. */
  readonly cloneTimeoutMs?: number;
}

/** Sets up one worker for jobs. */
export async function setupWorker(
  provider: WorkerProvider,
  worker: Pick<WorkerConfig, 'name' | 'stateDir' | 'mainDir'>,
  repo: RepoSettings,
  progress: ProgressReporter = () => undefined,
  options: SetupOptions = {},
): Promise<SetupReport> {
  const changed: string[] = [];
  const unchanged: string[] = [];
  const say = (text: string) => progress(`${worker.name}: ${text}`);
  const collect = (stdout: string) => {
    for (const line of stdout.split('\n')) {
      if (line.startsWith('CHANGED ')) changed.push(line.slice(8));
      else if (line.startsWith('SAME ')) unchanged.push(line.slice(5));
    }
  };

  say('making the worker ready');
  try {
    await provider.ensureReady(say);
  } catch (error) {
    throw new JobStepError('ready', worker.name, error instanceof Error ? error.message : String(error));
  }

  say('job directories');
  const dirs = [
    'umask 077',
    `sd=${shellPath(worker.stateDir)}; wt=${shellPath(repo.worktreesDir)}`,
    'for d in "$sd" "$sd/jobs" "$sd/archive" "$wt"; do',
    "  if [ -d \"$d\" ]; then printf 'SAME %s\\n' \"$d\"; else mkdir -p \"$d\" || exit 1; printf 'CHANGED created %s\\n' \"$d\"; fi",
    'done',
    "if [ \"$(stat -c %a \"$sd\" 2>/dev/null)\" != 700 ]; then chmod 700 \"$sd\" && printf 'CHANGED %s made private (0700)\\n' \"$sd\"; fi",
  ].join('\n');
  const made = await runScript(provider, dirs, { step: 'setup: directories' });
  if (made.code !== 0) throw new JobStepError('setup: directories', worker.name, output(made));
  collect(made.stdout);

  // A worker's own mainDir (an existing checkout, as `init` writes it) wins over the fleet-wide one.
  const mainDir = worker.mainDir ?? repo.mainDir;
  say(`main clone ${mainDir}`);
  const clone = await runScript(provider, cloneScript(repo, mainDir), { step: 'setup: clone', timeoutMs: options.cloneTimeoutMs ?? 30 * 60_000 });
  if (clone.code !== 0) {
    const hint = repo.url ? undefined : 'set repo.url in the config file so setup can clone it';
    throw new JobStepError('setup: clone', worker.name, output(clone), hint);
  }
  collect(clone.stdout);

  if (repo.sync.length > 0) {
    say(`synced files (${repo.sync.length})`);
    await syncFiles(provider, repo, options.readLocal ?? readLocalFile, changed, unchanged);
  }
  return { changed, unchanged };
}

function cloneScript(repo: RepoSettings, mainDir: string): string {
  const remote = (name: string, url: string) => [
    `cur=$(git -C "$main" remote get-url ${name} 2>/dev/null)`,
    `if [ -z "$cur" ]; then git -C "$main" remote add ${name} ${shellQuote(url)} && printf 'CHANGED remote ${name} added\\n' || exit 3`,
    `elif [ "$cur" != ${shellQuote(url)} ]; then git -C "$main" remote set-url ${name} ${shellQuote(url)} && printf 'CHANGED remote ${name} changed\\n' || exit 3`,
    `else printf 'SAME remote ${name}\\n'; fi`,
  ];
  return [
    `main=${shellPath(mainDir)}`,
    'if git -C "$main" rev-parse --git-dir >/dev/null 2>&1; then',
    "  printf 'SAME main clone %s\\n' \"$main\"",
    'else',
    ...(repo.url
      ? [
          "  if [ -e \"$main\" ] && [ -n \"$(ls -A \"$main\" 2>/dev/null)\" ]; then printf '%s exists and is not a git clone; move it away\\n' \"$main\" >&2; exit 2; fi",
          '  mkdir -p "$(dirname "$main")" || exit 2',
          `  git clone --quiet ${shellQuote(repo.url)} "$main" || exit 2`,
          "  printf 'CHANGED cloned %s\\n' \"$main\"",
        ]
      : ["  printf 'no git clone at %s and no repo.url to clone\\n' \"$main\" >&2; exit 2"]),
    'fi',
    ...(repo.url ? remote('origin', repo.url) : []),
    ...(repo.upstream ? remote('upstream', repo.upstream) : []),
  ].join('\n');
}

async function syncFiles(
  provider: WorkerProvider,
  repo: RepoSettings,
  readLocal: (path: string) => Promise<Buffer>,
  changed: string[],
  unchanged: string[],
): Promise<void> {
  const files = await Promise.all(
    repo.sync.map(async (entry) => {
      let content: Buffer;
      try {
        content = await readLocal(entry.from);
      } catch (error) {
        throw new JobStepError('setup: sync', 'this machine', `cannot read ${entry.from}: ${(error as Error).message}`);
      }
      return { ...entry, content, sha: createHash('sha256').update(content).digest('hex') };
    }),
  );
  // One command for every file's hash and mode; a missing file or a missing sha256sum reads as "differs".
  const check = files
    .map((file) => `t=${shellPath(file.to)}; if [ -f "$t" ]; then h=$(sha256sum <"$t" 2>/dev/null); m=$(stat -c %a "$t" 2>/dev/null); printf '%s %s\\n' "\${h%% *}" "\${m:-?}"; else printf '%s\\n' '- -'; fi`)
    .join('\n');
  const seen = await runScript(provider, check, { step: 'setup: sync' });
  if (seen.code !== 0) throw new JobStepError('setup: sync', provider.name, output(seen));
  const remote = seen.stdout.split('\n');
  for (const [i, file] of files.entries()) {
    const [hash, mode] = (remote[i] ?? '- -').split(' ');
    if (hash === file.sha) {
      if (mode === '600') {
        unchanged.push(file.to);
        continue;
      }
      const fixed = await runScript(provider, `chmod 600 ${shellPath(file.to)}`, { step: 'setup: sync' });
      if (fixed.code !== 0) throw new JobStepError('setup: sync', provider.name, `chmod ${file.to}: ${output(fixed)}`);
      changed.push(`${file.to} made private (0600)`);
      continue;
    }
    const copy = [
      'umask 077',
      `t=${shellPath(file.to)}; tmp=$t.mc-tmp.$$`,
      'mkdir -p "$(dirname "$t")" && cat >"$tmp" && chmod 600 "$tmp" && mv -f "$tmp" "$t" || { rm -f "$tmp"; exit 1; }',
    ].join('\n');
    const copied = await runScript(provider, copy, { step: 'setup: sync', stdin: file.content, timeoutMs: 120_000 });
    if (copied.code !== 0) throw new JobStepError('setup: sync', provider.name, `copying ${file.from} to ${file.to}: ${output(copied)}`);
    changed.push(`${file.to} ${hash === '-' ? 'copied' : 'updated'} (${file.content.length} bytes, 0600)`);
  }
}

async function readLocalFile(path: string): Promise<Buffer> {
  const expanded = path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
  return readFile(expanded);
}
