/**
 * The watcher: a long-lived POSIX sh script, sent like every other command, that pushes a fresh scan of its worker
 * the moment something changes there, instead of waiting for the next poll.
 *
 * On the session host (inside the container when the worker has one) it arms the private tmux server's hooks with
 * one fixed command ({@link PUSH_SIGNAL}: add one to the server option `@mc-gen`, then `wait-for -S mc-push`; no
 * name, nothing from data) and waits on that channel. An agent's state write (`mc-state`) signals the same way.
 * tmux never blocks a signaller, but it remembers a signal that came with no waiter only as a toggle (tmux 3.3a: a
 * second one with no waiter clears the first), so the channel alone would lose an even number of changes made while
 * a scan runs. The counter makes wakes lossless: the watcher keeps the value it last saw and, in one tmux client
 * call, waits only while the counter still holds it, then reads the new value before the scan starts (a change
 * during the scan moves it again, so the next check does not wait). A leftover remembered signal costs one extra
 * check, never a scan. Each change wakes every watcher of the server, and each has its own last value.
 *
 * Each wait is bounded without killing the waiting client (a killed `wait-for` client leaves its wait on the server):
 * a tmux timer (`run-shell -C -d`) signals the channel after {@link PUSH_WAIT_BOUND_S} seconds; a wake with the
 * counter unchanged prints nothing but a `tick` the client ignores, so a waiter whose stream has closed ends at its
 * next write. Pushed scans start at least {@link PUSH_MIN_GAP_S} seconds apart, so a burst of changes on a large
 * server (thousands of sessions created one after another) leaves the server time between rescans. Each wake runs the one scan script
 * ({@link buildScanCommand}) on the worker's host and prints its output in a frame (see `parse.ts`).
 *
 * Nothing is installed: `tmux`, `od` and `tr` are all the script needs. When no tmux server runs it says so
 * (the client polls at the normal interval then) and looks again every {@link NO_SERVER_RETRY_S} seconds; a server
 * that starts again gets its hooks re-armed.
 */
import { randomBytes } from 'node:crypto';
import { onSessionHost } from '../../providers/container.js';
import { observation, type Observation } from '../../providers/types.js';
import { shellQuote } from '../../ssh/quote.js';
import { tmuxPrefix } from '../session-host.js';
import { buildScanCommand, INSPECTED_VARIABLE, inspectCommand, type ScanCommandOptions } from '../worker-scan/command.js';

/** The tmux `wait-for` channel hooks and `mc-state` signal: a fixed word, the same on every private server. */
export const PUSH_CHANNEL = 'mc-push';

/** The server option every signaller adds one to before it signals {@link PUSH_CHANNEL}. */
export const PUSH_GEN_OPTION = '@mc-gen';

/** The tmux command (a fixed string: hooks run it as is) that records a change and wakes every watcher. */
export const PUSH_SIGNAL = `set -gF ${PUSH_GEN_OPTION} "#{e|+|:#{${PUSH_GEN_OPTION}},1}" ; wait-for -S ${PUSH_CHANNEL}`;

/** The arguments after `tmux [socket]` that run {@link PUSH_SIGNAL} from a shell, in one tmux client. */
export const PUSH_SIGNAL_SHELL = `set -gF ${PUSH_GEN_OPTION} '#{e|+|:#{${PUSH_GEN_OPTION}},1}' \\; wait-for -S ${PUSH_CHANNEL}`;

/** The least time between two pushed scans of one watcher, in seconds. */
export const PUSH_MIN_GAP_S = 0.5;

/** The longest a watcher waits on a channel before it looks at the server again, in seconds. */
export const PUSH_WAIT_BOUND_S = 30;

/** The tmux hooks that signal the watcher: sessions appearing, ending, renamed; panes ending; clients coming and going. */
export const PUSH_HOOKS = [
  'session-created',
  'session-closed',
  'session-renamed',
  'pane-died',
  'pane-exited',
  'client-attached',
  'client-detached',
] as const;

/** The index the watcher's hook commands take in tmux's hook arrays, leaving any other hook of the server alone. */
export const PUSH_HOOK_INDEX = 47;

/** How often the watcher looks for a tmux server while none runs, in seconds. */
export const NO_SERVER_RETRY_S = 2;

/** Hex digits of one pushed scan's nonce. */
const NONCE_CHARS = 24;

/** Nonces one read of /dev/urandom makes. */
const NONCES_PER_READ = 32;

/** The deadline inside a container for one pushed scan, in seconds (the providers' default time limit). */
const PUSHED_SCAN_DEADLINE_S = 30;

/** What {@link buildWatcherCommand} needs: the scan's settings without a nonce (each pushed scan makes its own). */
export interface WatcherCommandOptions extends Omit<ScanCommandOptions, 'nonce'> {
  /** A fresh value from {@link newStreamSecret}: frames carry it, so nothing a job prints can forge one. */
  readonly secret: string;
  /** How long the watcher may run before it ends (the client opens a new one), in seconds. */
  readonly lifetimeS: number;
}

/** A fresh random secret for one stream: letters and digits only. */
export function newStreamSecret(): string {
  return randomBytes(16).toString('hex');
}

/** The line prefix of every frame line a watcher with `secret` prints. */
export function frameMarker(secret: string): string {
  return `@@MCP-${secret}`;
}

/**
 * The tmux command line (one process) that arms every hook of {@link PUSH_HOOKS} on the server, then runs `then`
 * (another tmux command) in the same client: the hook command is the fixed {@link PUSH_SIGNAL}, so tmux expands
 * nothing that came from a session.
 */
export function armHooksLine(tmux: string, then?: string): string {
  return `${tmux} ${armHooksCommands(then)} </dev/null >/dev/null 2>&1`;
}

/** The tmux commands of {@link armHooksLine}, joined for one shell command line, `then` last. */
function armHooksCommands(then?: string): string {
  const sets = PUSH_HOOKS.map((hook) => `set-hook -g ${shellQuote(`${hook}[${PUSH_HOOK_INDEX}]`)} ${shellQuote(PUSH_SIGNAL)}`);
  return [...sets, ...(then ? [then] : [])].join(' \\; ');
}

/**
 * A bounded wait on `channel` (a fixed word): a tmux timer signals it after {@link PUSH_WAIT_BOUND_S} seconds, so no
 * waiting client is ever killed. `separator` joins the two commands: `;` inside a tmux command string, `\\;` on a
 * shell command line.
 */
function boundedWait(channel: string, separator: ';' | '\\;'): string {
  return `run-shell -b -C -d ${PUSH_WAIT_BOUND_S} 'wait-for -S ${channel}' ${separator} wait-for ${channel}`;
}

/**
 * The watcher script, run on the worker's host. Its output is frames only (see `parse.ts`): `UP` once the hooks are
 * armed, `DOWN` while no tmux server runs, and `BEGIN NONCE` … `END NONCE` around each pushed scan, the nonce fresh
 * from the worker's /dev/urandom for each (substituted for a per-stream placeholder in the one scan script).
 */
export function buildWatcherCommand(opts: WatcherCommandOptions): Observation {
  if (!/^[A-Za-z0-9]{16,64}$/.test(opts.secret)) throw new Error('stream secret must be 16–64 letters or digits');
  const placeholder = `mcpushnonce${randomBytes(12).toString('hex')}`;
  const { secret, lifetimeS, ...scanOptions } = opts;
  const scan = buildScanCommand({ ...scanOptions, nonce: placeholder });
  const tmux = tmuxPrefix(opts.tmuxSocketArgs);
  const sent = `mc-sent-${randomBytes(8).toString('hex')}`;
  const quiet = '</dev/null >/dev/null 2>&1';
  // On the session host: `up` once the hooks are armed, `ev` per change, `tick` per wait that ended with nothing
  // changed, `gone` when the server ends, `down` while there is none. Every wait arms the hooks first, in the same tmux
  // client: a server that was replaced between two waits (killed and started again) is never waited on unarmed. `g` is
  // the change counter last seen (digits, a minus sign, or empty while no change was ever signalled): the client
  // waits only while the counter still holds it and prints the counter it woke to, read before the scan starts.
  const gen = `display -p '#{${PUSH_GEN_OPTION}}'`;
  const check = `if-shell -F "#{==:#{${PUSH_GEN_OPTION}},$g}" ${shellQuote(boundedWait(PUSH_CHANNEL, ';'))} \\; ${gen}`;
  const events = [
    'st=; g=',
    'while :; do',
    `  if [ "$st" != up ] && g=$(${tmux} ${armHooksCommands(gen)} </dev/null 2>/dev/null); then st=up; echo up; fi`,
    `  if [ "$st" = up ] && n=$(${tmux} ${armHooksCommands(check)} </dev/null 2>/dev/null); then`,
    '    case $n in *[!0-9-]*) n=x ;; esac',
    '    if [ "$n" = "$g" ]; then echo tick; continue; fi',
    // The next change waits for this scan to be sent (this stream's own channel), then for the least gap between
    // scans: changes made meanwhile move the counter once more, so a burst of them costs a few scans, not one each.
    `    g=$n; echo ev; ${tmux} ${boundedWait(sent, '\\;')} ${quiet}; sleep ${PUSH_MIN_GAP_S} 2>/dev/null || sleep 1; continue`,
    '  fi',
    '  if [ "$st" = up ]; then st=gone; echo gone; continue; fi',
    '  [ "$st" = down ] || { st=down; echo down; }',
    `  sleep ${NO_SERVER_RETRY_S}`,
    'done',
  ].join('\n');
  // The container is inspected once per stream (the stream runs inside it, so it is the same running container
  // until the stream ends): its pushed scans reuse that line instead of starting a `docker inspect` each.
  const inspectOnce =
    opts.container === undefined ? '' : `${INSPECTED_VARIABLE}=$(${inspectCommand(opts.container)} 2>/dev/null) || ${INSPECTED_VARIABLE}=; `;
  const lines = [
    `F=${frameMarker(secret)}`,
    `P=${placeholder}`,
    `scan=${shellQuote('script' in scan ? scan.script : '')}`,
    // Nonces come from /dev/urandom NONCES_PER_READ at a time, and the placeholder is replaced by the shell itself: a
    // pushed scan starts no process before the scan's own.
    'k=',
    'push() {',
    `  [ \${#k} -ge ${NONCE_CHARS} ] || k=$(od -An -N${(NONCE_CHARS / 2) * NONCES_PER_READ} -tx1 /dev/urandom 2>/dev/null | tr -d ' \\n')`,
    `  n=\${k%"\${k#${'?'.repeat(NONCE_CHARS)}}"}; k=\${k#"$n"}`,
    "  case $n in ''|*[!0-9a-f]*) k=; printf '\\n%s FAIL no random nonce (od or /dev/urandom missing)\\n' \"$F\"; return ;; esac",
    '  r=$scan; s=',
    '  while :; do case $r in *"$P"*) s=$s${r%%"$P"*}$n; r=${r#*"$P"} ;; *) break ;; esac; done',
    `  printf '\\n%s BEGIN %s\\n' "$F" "$n"`,
    `  ( mc_deadline_s=${PUSHED_SCAN_DEADLINE_S}; eval "$s$r" )`,
    `  printf '\\n%s END %s\\n' "$F" "$n"`,
    '}',
    `( mc_deadline_s=${Math.max(1, Math.round(lifetimeS))}; ${onSessionHost(events, opts.container)} ) | while IFS= read -r l; do`,
    '  case $l in',
    `    up) ${inspectOnce}printf '\\n%s UP\\n' "$F"; push ;;`,
    `    down) printf '\\n%s DOWN\\n' "$F" ;;`,
    '    tick) ;;',
    `    ev) push; ${onSessionHost(`${tmux} wait-for -S ${sent} ${quiet}`, opts.container)} ;;`,
    '    *) push ;;',
    '  esac',
    'done',
  ];
  return observation({ script: lines.join('\n') });
}
