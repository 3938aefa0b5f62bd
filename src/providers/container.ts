/**
 * The one builder of `docker exec` command lines: every command that runs inside a worker's container, whether
 * a provider runs it (argv) or a scanner's script enters the container (a shell fragment), is made here.
 *
 * A time-out on the worker's host kills the `docker exec` client only: the process inside the container is not
 * its child, so it would go on (and a wedged tmux would leave one stuck `sh` + `tmux` per scan). So every
 * command that is not interactive runs inside the container under a deadline of its own, derived from the
 * caller's time limit.
 */
import { shellJoin, shellQuote } from '../ssh/quote.js';
import type { RemoteCommand } from './types.js';

/** The deadline inside the container when the caller set none (the providers' default time limit). */
export const DEFAULT_CONTAINER_DEADLINE_MS = 30_000;

/**
 * The shell variable that tells a script's {@link onSessionHost} fragments the call's deadline in seconds; the
 * providers assign it before every script they run on the host ({@link placeCommand}).
 */
export const DEADLINE_VARIABLE = 'mc_deadline_s';

/**
 * Runs `"$@"` with a watchdog that kills the whole process group after `$1` seconds. `docker exec` starts its
 * process as a session (and process group) leader, so `-$$` is everything the command started; a tmux server
 * the command starts leaves the group (it makes a session of its own) and lives on. Not `timeout(1)`: busybox's
 * kills only its child, so a stuck grandchild (a wedged `tmux` client under `sh -c`) would stay. The watchdog's
 * `sleep` is killed with it when the command ends in time.
 */
export const WATCHDOG = [
  'd=$1; shift',
  // A TERM that comes before `w` is set (while `sleep` is being started) is noted and acted on just after.
  "( w=; t=; trap 'if [ -n \"$w\" ]; then kill \"$w\"; exit 0; fi; t=1' TERM",
  '  sleep "$d" & w=$!',
  '  [ -z "$t" ] || { kill "$w"; exit 0; }',
  '  wait "$w"',
  '  kill -s KILL -- -$$ 2>/dev/null || kill -s KILL $$',
  ') </dev/null >/dev/null 2>&1 &',
  'k=$!',
  '"$@"; s=$?',
  'kill "$k" 2>/dev/null',
  'exit "$s"',
].join('\n');

/** Options for {@link inContainer}. */
export interface ContainerExecOptions {
  /** A terminal (`-it`) for attach: no deadline, the user ends it. Otherwise stdin stays open (`-i`) for input. */
  readonly interactive?: boolean;
  /** The caller's time limit; the command is killed inside the container once it has run this long. */
  readonly deadlineMs?: number;
}

/** Wraps a command so it runs inside a docker container (see {@link ContainerExecOptions}). */
export function inContainer(container: string, command: RemoteCommand, options: ContainerExecOptions = {}): { argv: string[] } {
  const inner = 'argv' in command ? [...command.argv] : ['sh', '-c', command.script];
  if (options.interactive) return { argv: ['docker', 'exec', '-it', container, ...inner] };
  const seconds = deadlineSeconds(options.deadlineMs ?? DEFAULT_CONTAINER_DEADLINE_MS);
  return { argv: [...boundedExec(container), String(seconds), ...inner] };
}

/**
 * Wraps a script so it runs on the session host: inside `container` through `docker exec` (under the deadline
 * of the call the enclosing script runs in, see {@link DEADLINE_VARIABLE}), or unchanged when there is no
 * container. Standard input is closed so nothing in the script can read the transport's stream.
 */
export function onSessionHost(script: string, container: string | undefined): string {
  if (container === undefined) return script;
  const fallback = deadlineSeconds(DEFAULT_CONTAINER_DEADLINE_MS);
  return `${shellJoin(boundedExec(container))} "\${${DEADLINE_VARIABLE}:-${fallback}}" sh -c ${shellQuote(script)} </dev/null`;
}

/**
 * Where a provider's command runs: for the session target of a worker with a container, inside it under a
 * deadline of `timeoutMs`; otherwise on the host, a script with {@link DEADLINE_VARIABLE} set first so the
 * container steps inside it are bounded by the same limit.
 */
export function placeCommand(
  command: RemoteCommand,
  where: { readonly container: string | undefined; readonly target: 'session' | 'host'; readonly timeoutMs: number },
): RemoteCommand {
  if (where.target === 'session' && where.container !== undefined) {
    return inContainer(where.container, command, { deadlineMs: where.timeoutMs });
  }
  if ('argv' in command) return command;
  return { script: `${DEADLINE_VARIABLE}=${deadlineSeconds(where.timeoutMs)}\n${command.script}` };
}

/** `docker exec -i NAME sh -c WATCHDOG mission-control`: the deadline in seconds and the command's argv follow. */
function boundedExec(container: string): string[] {
  return ['docker', 'exec', '-i', container, 'sh', '-c', WATCHDOG, 'mission-control'];
}

function deadlineSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
