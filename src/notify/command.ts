/**
 * Runs `notify.command`: the user's program (ntfy, curl to a webhook, notify-send), given one notification as JSON
 * on its standard input. Run as argv (no shell), one at a time, each bounded in time; its output is ignored and
 * its failures never reach the dashboard beyond a short report.
 */
import { spawn } from 'node:child_process';
import { safeJson } from '../text/sanitize.js';
import type { NotifyEvent } from './events.js';

/** How long one run of the command may take before it is killed. */
export const COMMAND_TIMEOUT_MS = 15_000;

/** At most this many notifications wait for the command; older ones beyond it are dropped. */
const QUEUE_MAX = 20;

/** Runs the command for events, one at a time. */
export interface CommandRunner {
  /** Queues one event. */
  send(event: NotifyEvent): void;
  /** Resolves once every queued event has been handed to the command and the command has ended. */
  idle(): Promise<void>;
}

/** Creates a runner of `argv`; `report` hears what went wrong (a program not found, a non-zero exit, a time-out). */
export function createCommandRunner(
  argv: readonly string[],
  report: (problem: string) => void = () => undefined,
  timeoutMs = COMMAND_TIMEOUT_MS,
): CommandRunner {
  const queue: NotifyEvent[] = [];
  let running: Promise<void> | undefined;
  const runOne = (event: NotifyEvent) =>
    new Promise<void>((resolve) => {
      const [file, ...args] = argv;
      if (!file) return resolve();
      const child = spawn(file, args, { stdio: ['pipe', 'ignore', 'ignore'], detached: false });
      const timer = setTimeout(() => {
        report(`notify command ${file} took longer than ${Math.round(timeoutMs / 1000)}s: killed`);
        child.kill('SIGKILL');
      }, timeoutMs);
      timer.unref();
      child.on('error', (error) => {
        clearTimeout(timer);
        report(`notify command ${file} could not run: ${error.message}`);
        resolve();
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0 && code !== null) report(`notify command ${file} exited ${code}`);
        resolve();
      });
      // A program that does not read its input must not fail the write.
      child.stdin.on('error', () => undefined);
      child.stdin.end(`${safeJson(event)}\n`);
    });
  const drain = async () => {
    for (let event = queue.shift(); event; event = queue.shift()) await runOne(event);
    running = undefined;
  };
  return {
    send(event) {
      queue.push(event);
      if (queue.length > QUEUE_MAX) queue.splice(0, queue.length - QUEUE_MAX);
      running ??= drain();
    },
    idle: () => running ?? Promise.resolve(),
  };
}
