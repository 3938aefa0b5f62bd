/**
 * The two small POSIX sh programs a launch writes into a job's record directory:
 *
 * - `mc-state`, the public contract: `"$MISSION_CONTROL_STATE" working`, `… waiting "REASON"`, `… done` records the
 *   job's state in `<job dir>/state` as one line, `STATE UNIXTIME REASON` (a temporary file, then `mv`: a reader
 *   never sees half a report). It is silent, reads nothing, and exits 0 whatever happens, so a caller can never be
 *   slowed or failed by it. The reason is data: newlines, tabs and the scan's separators become spaces, and it is
 *   cut at {@link MAX_REASON_BYTES}; views sanitize it when they show it.
 * - `mc-hook`, the adapter the agent presets' hooks call: it reads the hook's JSON (on stdin, or as the last
 *   argument for Codex's `notify`), takes the `message` field as the reason of a `waiting` report, and calls
 *   `mc-state` through `sh`, so hooks work even where the record directory may not hold executables.
 *
 * Both have the job directory written in, as an absolute path: they work from any working directory.
 */
import { PUSH_SIGNAL_SHELL } from '../scanners/worker-events/command.js';
import { shellQuote } from '../ssh/quote.js';

/** The contract program's file name in a job's record directory. */
export const STATE_SCRIPT = 'mc-state';

/** The hook adapter's file name in a job's record directory. */
export const HOOK_SCRIPT = 'mc-hook';

/** The longest reason a report keeps, in bytes. */
export const MAX_REASON_BYTES = 1024;

/** The most of a hook's JSON input the adapter reads, in bytes. */
export const MAX_HOOK_INPUT_BYTES = 64 * 1024;

/** The text of `mc-state` for the job whose record directory is `jobDir`. */
export function stateScript(jobDir: string): string {
  return [
    '#!/bin/sh',
    '# mission-control: records this job\'s state. Usage: mc-state working | waiting REASON | done [TEXT]',
    '# Silent, never reads its input, always exits 0.',
    'exec </dev/null >/dev/null 2>&1',
    `jd=${shellQuote(jobDir)}`,
    'case ${1-} in working|waiting|done) ;; *) exit 0 ;; esac',
    'r=',
    `[ -n "\${2-}" ] && r=$(printf '%s' "$2" | tr '\\n\\r\\t\\036\\037' '     ' | dd bs=${MAX_REASON_BYTES} count=1 2>/dev/null)`,
    't=$(date +%s) || t=0',
    'tmp=$jd/.state.$$',
    'if printf \'%s %s %s\\n\' "$1" "$t" "$r" >"$tmp"; then mv -f "$tmp" "$jd/state" || rm -f "$tmp"; else rm -f "$tmp"; fi',
    // Wakes the worker's watcher (its tmux server is the one this job runs in): counts the change, then signals, in
    // one tmux client and in the background, so never a wait.
    `[ -n "\${TMUX-}" ] && { tmux -S "\${TMUX%%,*}" ${PUSH_SIGNAL_SHELL} & }`,
    'exit 0',
    '',
  ].join('\n');
}

/**
 * The text of `mc-hook`: `mc-hook STATE stdin|arg quiet|json [JSON]`. `stdin` reads the hook's JSON from standard
 * input, `arg` takes it from the last argument; `json` prints `{}` (for agents that parse a hook's output as
 * JSON), `quiet` prints nothing.
 */
export function hookScript(jobDir: string): string {
  return [
    '#!/bin/sh',
    '# mission-control: an agent hook. Reads the hook\'s JSON, records the job\'s state, prints nothing (or {}).',
    `jd=${shellQuote(jobDir)}`,
    'st=${1-}; src=${2-stdin}; out=${3-quiet}',
    'if [ "$src" = arg ]; then in=; [ $# -ge 3 ] && shift 3; for a; do in=$a; done',
    `else in=$(head -c ${MAX_HOOK_INPUT_BYTES} 2>/dev/null); fi`,
    'r=',
    'if [ "$st" = waiting ]; then',
    // The `message` string of the JSON, its common escapes undone; the reason stays data either way.
    `  r=$(printf '%s' "\${in-}" | tr '\\n\\r' '  ' | sed -nE 's/.*"message"[[:space:]]*:[[:space:]]*"(([^"\\\\]|\\\\.)*)".*/\\1/p' | sed -e 's/\\\\[nrt]/ /g' -e 's/\\\\"/"/g' -e 's/\\\\\\\\/\\\\/g' 2>/dev/null)`,
    'fi',
    'sh "$jd/mc-state" "$st" "$r" </dev/null >/dev/null 2>&1',
    '[ "$out" = json ] && printf \'{}\\n\'',
    'exit 0',
    '',
  ].join('\n');
}
