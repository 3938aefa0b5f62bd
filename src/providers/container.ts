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

/**
 * How the worker's login user reaches the container's daemon and whom commands run as inside. Both are read on
 * the host when the command runs, so they hold for every `docker` word of a host script, scanners' included.
 */
export interface ContainerAccess {
  /** `sudo -n docker`: the login user is not in the docker group (an OS Login user on Container-Optimized OS). */
  readonly sudo?: boolean;
  /**
   * `docker exec -u UID:GID -e HOME=$HOME` with the login user's ids and home, not the image's default user (root,
   * `HOME=/root`): files written to the mounted directories belong to the user, and `~` inside is the mounted home.
   */
  readonly asHostUser?: boolean;
  /**
   * `docker exec -u` the named host user's ids with `HOME` theirs, looked up on the host when the command runs: how a
   * root process there (the guest idle watchdog) sees the login user's sessions. A Linux user name (no quoting needed).
   */
  readonly asUser?: string;
}

/** Options for {@link inContainer}. */
export interface ContainerExecOptions {
  /** A terminal (`-it`) for attach: no deadline, the user ends it. Otherwise stdin stays open (`-i`) for input. */
  readonly interactive?: boolean;
  /** The caller's time limit; the command is killed inside the container once it has run this long. */
  readonly deadlineMs?: number;
  /** How docker is run and as whom (default: `docker` as is, the image's user). */
  readonly access?: ContainerAccess;
}

/** Wraps a command so it runs inside a docker container (see {@link ContainerExecOptions}). */
export function inContainer(container: string, command: RemoteCommand, options: ContainerExecOptions = {}): { argv: string[] } {
  const inner = 'argv' in command ? [...command.argv] : ['sh', '-c', command.script];
  const argv = options.interactive
    ? ['docker', 'exec', '-it', container, ...inner]
    : [...boundedExec(container), String(deadlineSeconds(options.deadlineMs ?? DEFAULT_CONTAINER_DEADLINE_MS)), ...inner];
  const access = dockerAccess(options.access);
  // A shell on the host applies the access (a login shell may be fish: the argv stays words every shell reads alike).
  return access ? { argv: ['sh', '-c', `${access}; "$@"`, 'sh', ...argv] } : { argv };
}

/**
 * A shell line that makes every later `docker` of the script run with `access`: a function named `docker` (a
 * function wins over the command), so scanners' `docker inspect` and {@link onSessionHost}'s `docker exec` get it
 * without knowing. One line of printable ASCII without `'`, `\` or `!`, so that it also passes through any login
 * shell (attach). Empty when there is nothing to change.
 */
export function dockerAccess(access: ContainerAccess | undefined): string {
  if (!access?.sudo && !access?.asHostUser && access?.asUser === undefined) return '';
  const run = access.sudo ? 'command sudo -n docker "$@"' : 'command docker "$@"';
  // Ids and home are the login user's, read before sudo (which would make them root's).
  const ids = access.asUser !== undefined ? namedUserIds(access.asUser) : '"$(id -u):$(id -g)" -e "HOME=$HOME"';
  const asUser = access.asHostUser || access.asUser !== undefined ? `if [ "$1" = exec ]; then shift; set -- exec -u ${ids} "$@"; fi; ` : '';
  return `docker() { ${asUser}${run}; }`;
}

/** `-u` and `-e HOME=` words for a named host user, read when the line runs. */
function namedUserIds(user: string): string {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) throw new Error(`not a Linux user name: ${JSON.stringify(user)}`);
  return `"$(id -u ${user}):$(id -g ${user})" -e "HOME=$(getent passwd ${user} | cut -d: -f6)"`;
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
  where: {
    readonly container: string | undefined;
    readonly target: 'session' | 'host';
    readonly timeoutMs: number;
    readonly access?: ContainerAccess;
  },
): RemoteCommand {
  const access = where.container === undefined ? undefined : where.access;
  if (where.target === 'session' && where.container !== undefined) {
    return inContainer(where.container, command, { deadlineMs: where.timeoutMs, ...(access ? { access } : {}) });
  }
  const prefix = dockerAccess(access);
  if ('argv' in command) return prefix ? { script: `${prefix}\n${shellJoin(command.argv)}` } : command;
  return { script: `${DEADLINE_VARIABLE}=${deadlineSeconds(where.timeoutMs)}\n${prefix ? `${prefix}\n` : ''}${command.script}` };
}

/** `docker exec -i NAME sh -c WATCHDOG mission-control`: the deadline in seconds and the command's argv follow. */
function boundedExec(container: string): string[] {
  return ['docker', 'exec', '-i', container, 'sh', '-c', WATCHDOG, 'mission-control'];
}

function deadlineSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
