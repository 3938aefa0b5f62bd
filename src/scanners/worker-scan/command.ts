/**
 * The one remote script a worker scan runs: host vital signs, the container's state, the tmux
 * panes on the worker's private socket and the job records, each in a framed section.
 *
 * The script is POSIX sh (dash, bash, busybox ash) and cheap: a handful of processes per scan
 * whatever the number of jobs: `date` (not under bash or busybox ash), one `tmux`, one `find` that lists the record files over their size caps,
 * one `awk` that reads all the others (the shell's own `read` takes a system call per byte), and one `stat` for every
 * log and every oversized file. Sections are framed by lines that carry a per-scan nonce, so neither a file's contents
 * nor a session name can forge a section; see `parse.ts` for the format.
 */
import { randomBytes } from 'node:crypto';
import { observation, type Observation } from '../../providers/types.js';
import { shellQuote } from '../../ssh/quote.js';
import { onSessionHost } from '../../providers/container.js';
import { shellPath, tmuxPrefix } from '../session-host.js';
import { JOB_ID_CHARACTERS } from './job-id.js';

/** Separates the fields of one output line; tmux escapes control characters in names, so it never appears in one. */
export const FIELD_SEPARATOR = '\x1f';

/** Stripped from job files before framing, with {@link FIELD_SEPARATOR} and newlines. */
export const RECORD_SEPARATOR = '\x1e';

/** The largest `meta.json` the scan reads; a larger one is reported with its size, not read. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** The largest `exit` file the scan reads (it holds one number). */
export const MAX_EXIT_FILE_BYTES = 1024;

/**
 * The largest `state` file the scan reads: one line, a state word, a time and a reason the writer caps at 1 KiB
 * (`MISSION_CONTROL_STATE`, see `src/agents/state-script.ts`).
 */
export const MAX_STATE_FILE_BYTES = 2048;

/** What one scan may print before it is stopped: far more than 10,000 jobs and sessions need. */
export const MAX_SCAN_OUTPUT_BYTES = 8 * 1024 * 1024;

/** Version of the output format, printed in the `plan` section. */
export const SCAN_FORMAT_VERSION = 1;

/** The tmux format variables listed for each pane, in output order (the command, which may hold anything, last). */
export const PANE_FIELDS = [
  'session_id',
  'session_name',
  'session_created',
  'window_activity',
  'session_attached',
  'pane_id',
  'pane_dead',
  'pane_dead_status',
  'pane_pid',
  'pane_current_command',
] as const;

/** What a nonce must look like: letters and digits only, so it needs no quoting and no escaping in a pattern. */
export const NONCE_PATTERN = /^[A-Za-z0-9]{8,64}$/;

/** The line prefix that frames sections for a given nonce. */
export function sectionMarker(nonce: string): string {
  return `@@MC-${nonce}@@`;
}

/**
 * The first field of every pane row. `pane_current_command` is a process's own argv[0], which tmux does not escape:
 * a job can put newlines and separators in it. Rows are recognised by this per-scan prefix, so such a command
 * can only ever extend its own row, never forge another.
 */
export function paneRowMarker(nonce: string): string {
  return `@R${nonce}`;
}

/** A fresh random nonce for one scan. */
export function newScanNonce(): string {
  return randomBytes(12).toString('hex');
}

/** The most panes one scan captures. */
export const MAX_CAPTURED_PANES = 32;

/** The most of one pane's capture the scan prints (its end, where a prompt is). */
export const MAX_CAPTURE_BYTES = 4096;

/** A pane to capture if its activity is not `seen` (0: never captured). */
export interface CaptureRequest {
  readonly paneId: string;
  readonly seen: number;
}

/** The lines of the scan that capture the requested panes whose activity changed; none for an empty request. */
export function captureScript(tmux: string, requests: readonly CaptureRequest[]): string[] {
  const wanted = requests.filter((r) => /^%\d+$/.test(r.paneId)).slice(0, MAX_CAPTURED_PANES);
  if (wanted.length === 0) return [];
  const list = ` ${wanted.map((r) => `${r.paneId}:${Math.trunc(r.seen)}`).join(' ')} `;
  return [
    `b capture; w=${shellQuote(list)}`,
    `${tmux} list-panes -a -F '#{pane_id} #{window_activity}' </dev/null 2>/dev/null | while read -r p a; do`,
    '  case $w in *" $p:$a "*) continue ;; *" $p:"*) ;; *) continue ;; esac',
    `  printf 'C%s%s%s%s\\n' "$us" "$p" "$us" "$a"`,
    `  ${tmux} capture-pane -p -J -t "$p" </dev/null 2>/dev/null | tail -c ${MAX_CAPTURE_BYTES} | sed 's/^/|/'`,
    'done; e capture 0',
  ];
}

/** The most processes one scan looks at under one pane. */
export const MAX_FOREGROUND_PROCESSES = 16;

/** The most panes one scan looks under. */
export const MAX_FOREGROUND_PANES = 64;

/**
 * The lines of the scan that look, under each of the given pane processes (their process trees, through
 * `/proc/PID/task/PID/children`), for the processes of the terminal's foreground group and print what each waits in:
 * `F ROOT PID PGRP WCHAN SYSCALL ARG0`. Only `/proc` files are read, by the shell itself; nothing on a system without them.
 */
export function foregroundScript(panePids: readonly number[]): string[] {
  const roots = panePids.filter((pid) => Number.isSafeInteger(pid) && pid > 0).slice(0, MAX_FOREGROUND_PANES);
  if (roots.length === 0) return [];
  return [
    `b fg; for r in ${roots.join(' ')}; do`,
    '  q=$r; n=0',
    `  while [ $n -lt ${MAX_FOREGROUND_PROCESSES} ]; do`,
    '    set -- $q; [ $# -gt 0 ] || break; p=$1; shift; q=$*; n=$((n+1))',
    '    { IFS= read -r l <"/proc/$p/stat"; } 2>/dev/null || continue',
    '    k=; { IFS= read -r k <"/proc/$p/task/$p/children"; } 2>/dev/null; q="$q $k"',
    // After the command's closing parenthesis: state ppid pgrp session tty_nr tpgid; the foreground group's own.
    '    set -- ${l##*") "}; [ "${3-}" = "${6-}" ] || continue',
    '    g=$3; w=; { IFS= read -r w <"/proc/$p/wchan"; } 2>/dev/null',
    '    c=; { IFS= read -r c <"/proc/$p/syscall"; } 2>/dev/null; set -- $c',
    `    printf 'F %s %s %s %s %s %s\\n' "$r" "$p" "$g" "$w" "\${1-}" "\${2-}"`,
    '  done',
    'done; e fg 0',
  ];
}

/**
 * Prints the `J` line (and the `R` line when there is a state file) of each job given as a `FLAGS/ID` word, flags
 * being the shell's findings for `meta.json`, `exit` and `state`: 0 none, 1 to read, 3 over its cap. A file that
 * grew past its cap since `find` looked stops being read at the line that crosses it; one that cannot be read is 2.
 * Everything happens in BEGIN, so the words are never opened as files; separators are stripped from what is read.
 */
const RECORDS_AWK = [
  // The first line of a file; `bad` tells one that could not be read.
  'function first(p, v) { v = ""; bad = (getline v < p) < 0; close(p); return v }',
  'BEGIN {',
  ' us = sprintf("%c", 31); drop = "[" sprintf("%c%c", 30, 31) "]"',
  ' for (i = 1; i < ARGC; i++) {',
  '  a = ARGV[i]; j = substr(a, 5); hm = substr(a, 1, 1); he = substr(a, 2, 1); hs = substr(a, 3, 1); m = ""; x = ""; r = ""',
  '  if (hm == 1) {',
  `   p = j "/meta.json"; while ((k = (getline l < p)) > 0) { m = m l; if (length(m) > ${MAX_RECORD_BYTES}) { hm = 3; m = ""; break } }`,
  '   if (k < 0) hm = 2; close(p)',
  '  }',
  '  if (he == 1) { x = first(j "/exit"); if (bad) he = 2 }',
  '  if (hs == 1) { r = first(j "/state"); if (bad) hs = 2 }',
  '  gsub(drop, "", m); gsub(drop, "", x); gsub(drop, "", r)',
  '  printf "J%s%s%s%s%s%s%s%s%s%s\\n", us, j, us, hm, us, he, us, x, us, m',
  '  if (hs != 0) printf "R%s%s%s%s%s%s\\n", us, j, us, hs, us, r',
  ' }',
  '}',
].join('\n');

/** What {@link buildScanCommand} needs to know about the worker. */
export interface ScanCommandOptions {
  /** `-L name` or `-S path`: the worker's private tmux socket. */
  readonly tmuxSocketArgs: readonly string[];
  /** The container jobs run in, when the worker has one. */
  readonly container?: string;
  /** Where job records live on the session host (`~/` is the session host user's home). */
  readonly stateDir: string;
  /** A fresh value from {@link newScanNonce} for every scan. */
  readonly nonce: string;
  /** Panes whose last lines to capture when their activity changed (`screens.ts`). */
  readonly capture?: readonly CaptureRequest[];
  /** Pane processes under which to look for a foreground process blocked reading the terminal. */
  readonly foreground?: readonly number[];
}

/**
 * Builds the scan script, to run with `sh -c` on the worker's host. Its output (stdout and stderr
 * merged by the script itself) is read by `parseScan` with the same nonce.
 */
export function buildScanCommand(opts: ScanCommandOptions): Observation {
  if (!NONCE_PATTERN.test(opts.nonce)) {
    throw new Error(`scan nonce must be 8–64 letters or digits, got ${JSON.stringify(opts.nonce)}`);
  }
  const container = opts.container;
  const marker = sectionMarker(opts.nonce);
  // A brace group, not a subshell: the merged output and closed stdin cost no process. Callers run the script in a
  // shell of its own (`sh -c`, or a subshell in the watcher), so its `cd` and `set --` change nothing of theirs.
  const lines = [
    '{',
    ...framing(marker),
    'b plan',
    `printf 'version %s\\n' ${SCAN_FORMAT_VERSION}`,
    ...(container === undefined ? [] : [`printf 'container %s\\n' ${shellQuote(container)}`]),
    'e plan 0',
    ...hostPart(),
    ...(container === undefined
      ? [sessionHostScript(opts)]
      : containerPart(container, [...framing(marker), sessionHostScript(opts)].join('\n'))),
    '} </dev/null 2>&1',
  ];
  return observation({ script: lines.join('\n') });
}

/** The two functions that print section frames: `b NAME` opens one, `e NAME STATUS` closes it. */
function framing(marker: string): string[] {
  return [
    `M=${marker}`,
    `b() { printf '\\n%s BEGIN %s\\n' "$M" "$1"; }`,
    // The newline before END ends a last line that had none; the parser removes exactly that one.
    `e() { printf '\\n%s END %s %s\\n' "$M" "$1" "$2"; }`,
  ];
}

function hostPart(): string[] {
  return [
    // bash and busybox ash tell the time themselves (no process); other shells run date. A value that does not agree
    // with EPOCHREALTIME (read just after) came from the environment, stale, to a shell that has neither: not used.
    'b now; n=${EPOCHSECONDS-}; r=${EPOCHREALTIME-}; r=${r%%[.,]*}',
    'case $n:$r in *[!0-9:]*|:*|*:) date +%s ;; *) if [ $((r - n)) -ge 0 ] && [ $((r - n)) -le 1 ]; then echo "$n"; else date +%s; fi ;; esac; e now $?',
    "b uptime; { IFS= read -r l && printf '%s\\n' \"$l\"; } </proc/uptime; e uptime $?",
    "b loadavg; { IFS= read -r l && printf '%s\\n' \"$l\"; } </proc/loadavg; e loadavg $?",
    // The online CPU list (`0-3,8-11`) is read by the shell itself: no process per scan on Linux.
    "b cpus; { IFS= read -r l && printf '%s\\n' \"$l\"; } 2>/dev/null </sys/devices/system/cpu/online || nproc 2>/dev/null || getconf _NPROCESSORS_ONLN; e cpus $?",
  ];
}

/**
 * The shell variable that may hold the container's `docker inspect` line ({@link inspectCommand}) from earlier in the
 * same script: the watcher reads it once per stream (its stream runs inside that container, so the container cannot
 * have stopped or restarted while the stream is up), and its pushed scans skip a `docker` process each.
 */
export const INSPECTED_VARIABLE = 'mc_inspected';

/** The `docker inspect` command the scan's `container` part prints: running, status, start time and image, one line. */
export function inspectCommand(container: string): string {
  const format = ['{{.State.Running}}', '{{.State.Status}}', '{{.State.StartedAt}}', '{{.Config.Image}}'].join(FIELD_SEPARATOR);
  return `docker inspect --type container --format ${shellQuote(format)} -- ${shellQuote(container)}`;
}

/** `docker inspect` (unless {@link INSPECTED_VARIABLE} holds a running one), then the session-host part inside the container only when it is running. */
function containerPart(container: string, inner: string): string[] {
  const running = `true${shellQuote(FIELD_SEPARATOR)}`;
  return [
    'b container',
    `case \${${INSPECTED_VARIABLE}-} in ${running}*) c=$${INSPECTED_VARIABLE}; s=0 ;; *) c=$(${inspectCommand(container)} 2>&1); s=$? ;; esac`,
    "printf '%s\\n' \"$c\"",
    'e container $s',
    'b session',
    `case $s$c in 0${running}*) ${onSessionHost(inner, container)}; e session $? ;;`,
    "*) printf 'the container is not running: not entered\\n'; e session skipped ;; esac",
  ];
}

/** Everything that runs where the sessions live: tmux and the job records. */
function sessionHostScript(opts: ScanCommandOptions): string {
  const format = [paneRowMarker(opts.nonce), ...PANE_FIELDS.map((f) => `#{${f}}`)].join(FIELD_SEPARATOR);
  return [
    `b tmux; ${tmuxPrefix(opts.tmuxSocketArgs)} list-panes -a -F ${shellQuote(format)} </dev/null; e tmux $?`,
    `jd=${shellPath(opts.stateDir)}/jobs`,
    `rs=${shellQuote(RECORD_SEPARATOR)}`,
    `us=${shellQuote(FIELD_SEPARATOR)}`,
    `nl=${shellQuote('\n')}`,
    'b jobs; s=0; set --',
    'if [ -d "$jd" ]; then',
    ' if cd -- "$jd"; then',
    // One find lists the record files over their caps (it reads sizes, never contents): they are not read.
    `  big=$nl$(find -L . -path './*/*' -prune \\( -name exit -size +${MAX_EXIT_FILE_BYTES}c -o -name meta.json -size +${MAX_RECORD_BYTES}c -o -name state -size +${MAX_STATE_FILE_BYTES}c \\) -print 2>/dev/null)$nl`,
    // The loop only looks (no file is read by the shell, which reads a byte per system call): each job becomes one
    // `FLAGS/ID` word for the one awk that reads every record file below its cap.
    '  w=',
    '  for j in *; do',
    '   [ -d "$j" ] || continue',
    // A name that is not a job id is reported, never read; one that cannot be framed is reported without its name.
    '   case $j in *"$nl"*|*"$rs"*|*"$us"*) printf \'S%s\\n\' "$us"; continue ;;',
    `    *[!${JOB_ID_CHARACTERS}]*) printf 'S%s%s\\n' "$us" "$j"; continue ;; esac`,
    '   f=',
    '   for n in meta.json exit state; do',
    '    if [ ! -f "$j/$n" ]; then f=${f}0',
    '    else case $big in *"$nl./$j/$n$nl"*) f=${f}3; set -- "$@" "$j/$n" ;; *) f=${f}1 ;; esac; fi',
    '   done',
    '   w="$w $f/$j"',
    '   [ -f "$j/output.log" ] && set -- "$@" "$j/output.log"',
    '  done',
    `  [ -z "$w" ] || LC_ALL=C awk ${shellQuote(RECORDS_AWK)} $w || s=$?`,
    ' else s=1; fi',
    "elif [ -e \"$jd\" ]; then printf 'the jobs path is not a directory\\n'; s=1",
    'fi',
    'e jobs $s',
    // One stat for every log and every record file over its cap; busybox builds without `stat -c` fall back to date -r and wc -c.
    'b logs; s=0',
    'if [ $# -gt 0 ]; then',
    " stat -L -c '%Y %s %n' -- \"$@\" || { s=$?; for f; do [ -f \"$f\" ] && printf '%s %d %s\\n' \"$(date -r \"$f\" +%s)\" \"$(wc -c <\"$f\")\" \"$f\"; done; }",
    'fi',
    'e logs $s',
    ...captureScript(tmuxPrefix(opts.tmuxSocketArgs), opts.capture ?? []),
    ...foregroundScript(opts.foreground ?? []),
  ].join('\n');
}
