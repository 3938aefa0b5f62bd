/**
 * The watcher: a long-lived POSIX sh script, sent like every other command, that pushes a fresh scan of its worker
 * the moment something changes there, instead of waiting for the next poll.
 *
 * On the session host (inside the container when the worker has one) it arms the private tmux server's hooks with
 * one fixed command, `wait-for -S mc-push` (no format, no name, nothing from data), and waits on that channel. A
 * hook or an agent's state write (`mc-state`) signals it; tmux never blocks the signaller and remembers a signal
 * that came with no waiter, but as a toggle: a second one with no waiter clears the first (tmux 3.3a), so an even
 * number of changes while a scan runs is seen only at the next change or poll. Each wake runs the one scan script
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
 * (another tmux command) in the same client: the hook command is the fixed `wait-for -S mc-push`, so tmux expands
 * nothing that came from a session.
 */
export function armHooksLine(tmux: string, then?: string): string {
  const sets = PUSH_HOOKS.map((hook) => `set-hook -g ${shellQuote(`${hook}[${PUSH_HOOK_INDEX}]`)} ${shellQuote(`wait-for -S ${PUSH_CHANNEL}`)}`);
  return `${tmux} ${[...sets, ...(then ? [then] : [])].join(' \\; ')} </dev/null >/dev/null 2>&1`;
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
  // After each wake the waiter waits for the scan to be sent (this stream's own channel) before it waits for the next
  // change: changes made meanwhile are one remembered signal, so a burst of them costs two scans, not one each.
  const sent = `mc-sent-${randomBytes(8).toString('hex')}`;
  const quiet = '</dev/null >/dev/null 2>&1';
  // On the session host: `up` once the hooks are armed, `ev` per wake, `gone` when the server ends, `down` while there
  // is none. Every wait arms the hooks first, in the same tmux client: a server that was replaced between two waits
  // (killed and started again) is never waited on unarmed.
  const events = [
    'st=',
    'while :; do',
    `  if [ "$st" != up ] && ${armHooksLine(tmux)}; then st=up; echo up; fi`,
    `  if [ "$st" = up ] && ${armHooksLine(tmux, `wait-for ${PUSH_CHANNEL}`)}; then echo ev; ${tmux} wait-for ${sent} ${quiet}; continue; fi`,
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
    `    ev) push; ${onSessionHost(`${tmux} wait-for -S ${sent} ${quiet}`, opts.container)} ;;`,
    '    *) push ;;',
    '  esac',
    'done',
  ];
  return observation({ script: lines.join('\n') });
}
