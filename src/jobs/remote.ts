/**
 * How the job lifecycle talks to a worker: scripts for `sh -c` on the session host (inside the container when the
 * worker has one), tmux on the worker's private socket, and errors that name the step and the worker.
 */
import { tmuxArgv } from '../providers/tmux.js';
import { observation, type ExecResult, type WorkerObserver, type WorkerProvider } from '../providers/types.js';
import { sanitizeLine } from '../text/sanitize.js';

/** A lifecycle step that failed: which step, on which worker, what happened, and what to try next. */
export class JobStepError extends Error {
  override readonly name = 'JobStepError';
  constructor(
    readonly step: string,
    readonly worker: string,
    readonly detail: string,
    readonly hint?: string,
    /** True when the worker could not be reached mid-step: what the step did on the worker is unknown. */
    readonly uncertain = false,
  ) {
    super(`${step} failed on ${worker}: ${detail}${hint ? ` (${hint})` : ''}`);
  }
}

/** Options for one remote step. */
export interface StepOptions {
  readonly step: string;
  readonly timeoutMs?: number;
  readonly stdin?: string | Buffer;
  /** A step that finishes well under a second (see `ExecOptions.quick`). */
  readonly quick?: boolean;
}

/**
 * Runs a POSIX sh script on the session host as `sh -c SCRIPT` (argv: the providers hand it to `sh` itself, never
 * to the worker user's login shell, which may be fish or tcsh). Every piece of data in `script` must have gone
 * through `shellQuote`.
 */
export async function runScript(provider: WorkerProvider, script: string, options: StepOptions): Promise<ExecResult> {
  try {
    return await provider.exec(
      { argv: ['sh', '-c', script, 'mission-control'] },
      {
        target: 'session',
        timeoutMs: options.timeoutMs ?? 30_000,
        ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
        ...(options.quick ? { quick: true } : {}),
      },
    );
  } catch (error) {
    throw new JobStepError(options.step, provider.name, describe(error), undefined, true);
  }
}

/** Runs a read-only script (works through a read-only view too). */
export async function observeScript(provider: WorkerObserver, script: string, options: StepOptions): Promise<ExecResult> {
  try {
    return await provider.observe(observation({ argv: ['sh', '-c', script, 'mission-control'] }), {
      target: 'session',
      timeoutMs: options.timeoutMs ?? 30_000,
    });
  } catch (error) {
    throw new JobStepError(options.step, provider.name, describe(error));
  }
}

/** Runs tmux on the worker's private server (argv, no shell). */
export async function runTmux(provider: WorkerProvider, args: readonly string[], step: string): Promise<ExecResult> {
  try {
    return await provider.exec({ argv: tmuxArgv(provider.tmux, args) }, { target: 'session', timeoutMs: 15_000 });
  } catch (error) {
    throw new JobStepError(step, provider.name, describe(error));
  }
}

/** True when tmux failed only because its server is not running (which means: no sessions). */
export function noTmuxServer(result: ExecResult): boolean {
  return result.code === 1 && /no server running|error connecting to|No such file or directory/.test(result.stderr);
}

/** A live session of the worker's private server, found by its exact name. */
export interface FoundSession {
  /** `$N`: the only way commands address it. */
  readonly sessionId: string;
  /** `%N` of its first pane. */
  readonly paneId: string;
  readonly paneDead: boolean;
  /** The pid of the pane's first process (the job wrapper), which leads the pane's process session. */
  readonly panePid: number | undefined;
}

const US = '\x1f';

/** Finds a session by exact name (compared here, never given to tmux as a target). */
export async function findSession(provider: WorkerProvider, name: string, step: string): Promise<FoundSession | undefined> {
  const format = ['#{session_id}', '#{pane_id}', '#{pane_dead}', '#{pane_pid}', '#{session_name}'].join(US);
  const result = await runTmux(provider, ['list-panes', '-a', '-F', format], step);
  if (noTmuxServer(result)) return undefined;
  if (result.code !== 0) throw new JobStepError(step, provider.name, `tmux list-panes: ${firstLine(result)}`);
  for (const line of result.stdout.split('\n')) {
    const [sessionId, paneId, dead, pid, ...rest] = line.split(US);
    if (rest.join(US) === name && sessionId && paneId) {
      return { sessionId, paneId, paneDead: dead === '1', panePid: pid && /^\d+$/.test(pid) ? Number(pid) : undefined };
    }
  }
  return undefined;
}

/**
 * Shell lines that send `signal` to every process whose session is `$sid` (set by the caller), except `$sid`
 * itself (the job wrapper, which leads the pane's session and must live to record the exit code). Reads /proc:
 * minimal containers have no pgrep. A process's session is the 4th field after `(comm)` in /proc/PID/stat.
 */
export function signalSessionLines(signal: 'HUP' | 'TERM' | 'KILL'): string[] {
  return [
    'for d in /proc/[0-9]*; do',
    '  p=${d#/proc/}; [ "$p" = "$sid" ] && continue',
    '  { IFS= read -r line <"$d/stat"; } 2>/dev/null || continue',
    '  set -- ${line##*") "}',
    `  [ "$4" = "$sid" ] && kill -s ${signal} "$p" 2>/dev/null`,
    'done',
  ];
}

/** A path from config made absolute against the session host's home (`~`, `~/x`, or relative paths). */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return `${home.replace(/\/+$/, '')}/${path.slice(2)}`;
  if (path.startsWith('/')) return path;
  return `${home.replace(/\/+$/, '')}/${path}`;
}

/** Makes a string literal where tmux expands formats (`-c`, `pipe-pane`): `#` is written `##`. */
export function tmuxLiteral(value: string): string {
  return value.replace(/#/g, '##');
}

/** The first line of what a failed command said, made safe to print. */
export function firstLine(result: ExecResult): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').find((line) => line.trim() !== '') ?? '';
  return sanitizeLine(text.slice(0, 300)) || `exit status ${result.code ?? result.signal ?? 'unknown'}`;
}

/** All of what a failed command said (a few lines), made safe to print. */
export function output(result: ExecResult): string {
  const text = `${result.stdout}\n${result.stderr}`.trim().split('\n').filter((l) => l.trim() !== '').slice(-4).join('; ');
  return sanitizeLine(text.slice(0, 600)) || `exit status ${result.code ?? result.signal ?? 'unknown'}`;
}

function describe(error: unknown): string {
  return sanitizeLine(error instanceof Error ? error.message : String(error));
}
