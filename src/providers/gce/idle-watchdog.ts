/**
 * The guest idle watchdog: a script a worker VM runs from boot that powers it off once its jobs have had nothing to
 * do for the idle policy's `after` plus a grace period, so the policy holds when no dashboard or autopilot runs. It
 * runs the very scan the dashboard runs (`buildScanCommand`, placed by `container.ts`: on COS through `docker exec`
 * into the container where the records live, as the login user so it sees that user's tmux server) and reads from
 * it what the idle rule reads: pane activity, attached clients, state reports and log times. Pure.
 */
import type { IdlePolicy } from '../../config/idle-schema.js';
import { buildScanCommand } from '../../scanners/worker-scan/command.js';
import { shellQuote } from '../../ssh/quote.js';
import { placeCommand } from '../container.js';

/**
 * How long past the policy's time the watchdog waits: the dashboard or the autopilot suspends through the API
 * (memory kept) well before the guest powers itself off (a stop: nothing survives).
 */
export const IDLE_WATCHDOG_GRACE_MS = 15 * 60_000;
/** How often the watchdog scans. */
export const IDLE_WATCHDOG_EVERY_MS = 60_000;
/** The real power-off: systemd's, else the classic command. */
export const DEFAULT_POWEROFF = 'systemctl poweroff || poweroff';

/** Stands for the per-scan nonce in the scan template; replaced by a fresh random one before each scan. */
const NONCE_PLACEHOLDER = 'MCWATCHDOGNONCEPLACEHOLDER';

/** What the watchdog needs to know. */
export interface IdleWatchdogInput {
  readonly policy: IdlePolicy;
  /** The login user whose tmux server and records are scanned. */
  readonly user: string;
  /** The container jobs run in, when the worker has one. */
  readonly container?: string;
  /** `-L name` or `-S path` of the worker's tmux server. */
  readonly tmuxSocketArgs: readonly string[];
  /** Where job records live (`~/` is the user's home). */
  readonly stateDir: string;
  /** Job sessions are `<prefix>-<job id>`. */
  readonly sessionPrefix: string;
  /** Default {@link IDLE_WATCHDOG_GRACE_MS}. */
  readonly graceMs?: number;
  /** Default {@link IDLE_WATCHDOG_EVERY_MS}. */
  readonly everyMs?: number;
  /** A shell command that powers the machine off; default {@link DEFAULT_POWEROFF} (tests record the call instead). */
  readonly poweroff?: string;
}

const seconds = (ms: number) => Math.max(1, Math.round(ms / 1000));

/** The scan as a template: placed for the host (container entered as the user), nonce to be filled in. */
function scanTemplate(input: IdleWatchdogInput): string {
  const scan = buildScanCommand({
    tmuxSocketArgs: input.tmuxSocketArgs,
    ...(input.container !== undefined ? { container: input.container } : {}),
    stateDir: input.stateDir,
    nonce: NONCE_PLACEHOLDER,
  });
  const placed = placeCommand(scan, {
    container: input.container,
    target: 'host',
    timeoutMs: 30_000,
    ...(input.container !== undefined ? { access: { asUser: input.user } } : {}),
  });
  if ('argv' in placed) throw new Error('a placed scan is a script');
  return placed.script;
}

/** How the scan runs: as root with the container entered as the user, or as the user on the host itself. */
function runScan(input: IdleWatchdogInput): string {
  if (input.container !== undefined || input.user === 'root') return 'sh -c "$s"';
  return 'runuser -u "$user" -- env HOME="$home" sh -c "$s"';
}

/** The watchdog script (POSIX sh, run as root). Logs one line per check on standard error. */
export function idleWatchdogScript(input: IdleWatchdogInput): string {
  const q = shellQuote;
  return `#!/bin/sh
# Written by mission-control when it provisioned this VM: powers it off after its idle policy's time plus a grace
# period with no output, no state write and no attached client (the dashboard or autopilot suspends it sooner).
after=${seconds(input.policy.afterMs)} waiting=${seconds(input.policy.waitingAfterMs)}
grace=${seconds(input.graceMs ?? IDLE_WATCHDOG_GRACE_MS)} every=${seconds(input.everyMs ?? IDLE_WATCHDOG_EVERY_MS)}
prefix=${q(input.sessionPrefix)} user=${q(input.user)}
home=$(getent passwd "$user" | cut -d: -f6); [ -n "$home" ] || home=/home/$user
us=$(printf '\\037')
template=${q(scanTemplate(input))}
log() { printf 'mission-control idle watchdog: %s\\n' "$*" >&2; }
power_off() { ${input.poweroff ?? DEFAULT_POWEROFF}; }
num() { case $1 in ''|*[!0-9]*) return 1 ;; esac; }
later() { if num "$1" && [ "$1" -gt "$act" ]; then act=$1; fi; }
report_of() {
  while IFS=$us read -r i h r; do
    if [ "$i" = "$1" ] && [ "$h" = 1 ]; then printf '%s\\n' "$r"; return; fi
  done <<EOF
$reports
EOF
}
check() {
  n=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \\n')
  s=$(printf '%s\\n' "$template" | sed "s/${NONCE_PLACEHOLDER}/$n/g")
  out=$(${runScan(input)} 2>&1)
  M="@@MC-$n@@" now= sect= act=0 until=0 hold= panes= reports=
  while IFS= read -r line; do
    case $line in "$M BEGIN "*) sect=\${line#"$M BEGIN "}; continue ;; "$M END "*) sect=; continue ;; esac
    case $sect in
      now) [ -n "$now" ] || now=$line ;;
      tmux) case $line in "@R$n$us"*) panes="$panes$line
" ;; esac ;;
      jobs) case $line in "R$us"*) reports="$reports\${line#R$us}
" ;; esac ;;
      logs) set -- $line; later "\${1-}" ;;
    esac
  done <<EOF
$out
EOF
  if ! num "$now"; then log "the scan failed (no clock in its output): trying again"; return; fi
  # A state report is a sign of life whatever the job's state: its time counts.
  while IFS=$us read -r i h r; do set -- $r; later "\${2-}"; done <<EOF
$reports
EOF
  while IFS=$us read -r m sid name created wact attached pane dead rest; do
    [ -n "$m" ] || continue
    later "$wact"
    if num "$attached" && [ "$attached" -gt 0 ]; then hold="client attached to $name"; fi
    [ "$dead" = 0 ] || continue
    id=\${name#"$prefix-"}
    set -- $(report_of "$id")
    case $id:\${1-} in
      "$name":*) hold="$name running (reports no agent state)" ;;
      *:waiting) if num "\${2-}" && [ $(($2 + waiting)) -gt "$until" ]; then until=$(($2 + waiting)); fi ;;
      *:done) ;;
      *) hold="$name \${1:-running}" ;;
    esac
  done <<EOF
$panes
EOF
  # A clock that jumped (a resume from suspend) starts the count afresh.
  if [ "$prev" -gt 0 ] && [ $((now - prev)) -gt $((every * 3 + 60)) ]; then awake=$now; fi
  prev=$now
  [ "$awake" -gt 0 ] || awake=$now
  if [ -n "$hold" ]; then held=$now; log "kept up: $hold"; return; fi
  d=$((act + after))
  for c in $((held + after)) $((awake + after)) "$until"; do [ "$c" -le "$d" ] || d=$c; done
  d=$((d + grace))
  if [ "$now" -ge "$d" ]; then log "idle for the policy's $after s and the $grace s grace: powering off"; power_off; exit 0; fi
  log "quiet: powers off in $((d - now)) s"
}
prev=0 awake=0 held=0
while :; do check; sleep "$every"; done
`;
}
