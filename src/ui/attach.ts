/**
 * Attaching the user's terminal to a job's tmux session: from the dashboard (which suspends itself around it) and
 * from the shell (`mission-control attach JOB`). The attach program (tmux, or ssh -t … tmux) gets the terminal
 * itself (stdio inherited), so colours, mouse and resizes go straight through.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { describeError } from '../app/errors.js';
import { bindDetachKey, createObserveCommands, DETACH_KEY, readTmuxPrefix } from '../app/observe-commands.js';
import { createFleet, type Fleet } from '../app/fleet.js';
import { wakeNamedWorker } from '../app/wake-worker.js';
import type { LoadedConfig } from '../cli/load-config.js';
import { findJob } from '../jobs/lookup.js';
import type { AttachCommand, WorkerObserver } from '../providers/types.js';
import { selectAllJobs } from '../state/selectors.js';
import { sanitizeLine } from '../text/sanitize.js';
import { attachEnvironment, reclaimKeyboard, releaseKeyboard, type TerminalInput } from './terminal.js';

/** A tmux key as people write it: `C-b` → `ctrl-b`. */
export function displayTmuxKey(key: string): string {
  return key.replace(/^C-/, 'ctrl-').replace(/^M-/, 'alt-');
}

/** The line shown before attaching: which job, and the keys that detach. */
export function attachBanner(
  jobKey: string,
  options: { readonly prefix: string | undefined; readonly detachKeyBound: boolean; readonly readOnly: boolean; readonly detachKey?: string },
): string {
  const prefix = options.prefix ? displayTmuxKey(options.prefix) : 'the tmux prefix';
  const keys = options.detachKeyBound ? `${displayTmuxKey(options.detachKey ?? DETACH_KEY)}, or ${prefix} then d` : `${prefix} then d`;
  const mode = options.readOnly ? ' (read-only: your keys do not reach the job)' : '';
  return `mission-control: attaching to ${sanitizeLine(jobKey)}${mode}. Detach with ${keys}.`;
}

/** How an attach ended. */
export interface AttachOutcome {
  /** The attach program's exit code; null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
  /** Set when the program could not be started at all. */
  readonly error?: string;
}

/** The terminal an attach runs in. */
export interface AttachIo {
  readonly stdin: TerminalInput & NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  /** After an attach that failed at once, wait for a key so its error can be read; default true. */
  readonly pauseOnFailure?: boolean;
}

/** An attach that ends this soon with an error failed (rather than being detached from). */
const FAILED_WITHIN_MS = 3000;

/**
 * Runs the attach program in the foreground: prints the banner, hands over the keyboard, waits for the program to
 * end. The caller has taken its own UI off the screen first, and calls `reclaimKeyboard` before reading keys again. SIGINT is ignored meanwhile (a ctrl-c belongs to
 * the job); SIGTERM and SIGHUP are passed on to the program.
 */
export async function runAttach(command: AttachCommand, banner: string, io: AttachIo): Promise<AttachOutcome> {
  releaseKeyboard(io.stdin);
  io.stdout.write(`${sanitizeLine(banner)}\r\n`);
  const [file, ...args] = command.argv;
  if (!file) return { code: null, signal: null, durationMs: 0, error: 'empty attach command' };
  const started = performance.now();
  const outcome = await new Promise<AttachOutcome>((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit', env: attachEnvironment(io.env, command.env) });
    const ignore = () => undefined;
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    const done = (result: Omit<AttachOutcome, 'durationMs'>) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      resolve({ ...result, durationMs: performance.now() - started });
    };
    child.once('error', (error) => done({ code: null, signal: null, error: `${file}: ${error.message}` }));
    child.once('exit', (code, signal) => done({ code, signal }));
  });
  const failed = outcome.error !== undefined || (outcome.code !== 0 && outcome.durationMs < FAILED_WITHIN_MS);
  if (failed && (io.pauseOnFailure ?? true) && io.stdin.isTTY) {
    const why = outcome.error ?? `${file} exited with ${outcome.code ?? outcome.signal}`;
    io.stdout.write(`\r\nmission-control: the attach failed (${sanitizeLine(why)}). Press any key to go back.\r\n`);
    await anyKey(io.stdin);
  }
  return outcome;
}

function anyKey(stdin: TerminalInput & NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stdin.setRawMode?.(true);
    reclaimKeyboard(stdin);
    stdin.resume();
    stdin.once('data', () => {
      stdin.setRawMode?.(false);
      stdin.pause();
      resolve();
    });
  });
}

/** Exit codes of `mission-control attach`. */
export const ATTACH_EXIT = { ok: 0, failed: 1, noSuchJob: 2 } as const;

/**
 * `mission-control attach JOB`: finds the job by key, id or a unique prefix of either (after one refresh of
 * every worker), binds the detach key unless read-only, and attaches. Resolves to the exit code.
 */
export async function attachToJob(
  loaded: LoadedConfig,
  ref: string,
  options: { readonly readOnly?: boolean; readonly io?: AttachIo } = {},
): Promise<number> {
  const readOnly = options.readOnly ?? false;
  const io = options.io ?? { stdin: process.stdin, stdout: process.stdout, env: process.env };
  const full = readOnly ? undefined : createFleet(loaded.config);
  const fleet: Fleet<WorkerObserver> = full ?? createFleet(loaded.config, { readOnly: true });
  try {
    await fleet.refreshAll();
    const say = (line: string) => process.stderr.write(`mission-control: ${sanitizeLine(line)}\n`);
    try {
      if (full && (await wakeNamedWorker(full, ref, say))) await fleet.refreshAll();
    } catch (error) {
      say(`cannot resume the worker of ${ref}: ${describeError(error)}`);
      return ATTACH_EXIT.failed;
    }
    let jobKey: string;
    try {
      const job = findJob(selectAllJobs(fleet.store.getState()), ref);
      if (!job.session) {
        process.stderr.write(`mission-control: ${sanitizeLine(job.key)} has no tmux session any more (it ended); see its log instead\n`);
        return ATTACH_EXIT.failed;
      }
      jobKey = job.key;
    } catch (error) {
      process.stderr.write(`mission-control: ${sanitizeLine(error instanceof Error ? error.message : String(error))}\n`);
      return ATTACH_EXIT.noSuchJob;
    }
    const detachKey = loaded.config.attach?.detachKey ?? DETACH_KEY;
    const [bound, prefix] = await Promise.all([
      full ? bindDetachKey(full, jobKey, detachKey).then(() => true, () => false) : false,
      readTmuxPrefix(fleet, jobKey),
    ]);
    let command;
    try {
      command = createObserveCommands(fleet).attachCommand(jobKey);
    } catch (error) {
      process.stderr.write(`mission-control: cannot attach to ${sanitizeLine(jobKey)}: ${describeError(error)}\n`);
      return ATTACH_EXIT.failed;
    }
    const outcome = await runAttach(command, attachBanner(jobKey, { prefix, detachKeyBound: bound, readOnly, detachKey }), { ...io, pauseOnFailure: false });
    if (outcome.error) process.stderr.write(`mission-control: ${sanitizeLine(outcome.error)}\n`);
    return outcome.code === 0 ? ATTACH_EXIT.ok : ATTACH_EXIT.failed;
  } finally {
    await fleet.close();
  }
}
