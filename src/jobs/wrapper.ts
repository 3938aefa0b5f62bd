/**
 * The job wrapper: a small POSIX sh script written into the job's directory at launch (`run.sh`) and run by tmux
 * as the session's only command. It runs the job's argv in its worktree on the pane's terminal (agents need a
 * real terminal), copies everything the pane shows to `output.log` (`tmux pipe-pane`), and when the job ends
 * writes its exit code to `exit` (a temporary file, then `mv`): the code is recorded, never guessed from log text.
 *
 * - The wrapper's working directory is the job directory and it writes `exit` relative to it: a job whose
 *   directory was archived (`rm`) records its code in the archive, never in a new job's directory of the same id.
 * - It sets the job's umask from its first argument, the umask of the login that launched it: tmux forks every
 *   session from its server, so without this a job would inherit whatever umask the server was started with (the
 *   launch's private `077`, when a launch started it) and write files no one else can read.
 * - It catches INT, TERM and HUP (caught, not ignored: the job still gets them with their default effect) so it
 *   lives to record the code.
 * - When the pane's terminal hangs up (its session or the tmux server killed), only the wrapper, which leads the
 *   pane's process session, gets SIGHUP; a job that never touches the terminal would run on, unseen. The process
 *   that copies the pane to the log sees the end of the pane: if the job has not recorded an exit code and the
 *   pane is gone, it sends HUP to the job's processes, as a terminal hangup does for a shell's jobs.
 * - It exports `MISSION_CONTROL_STATE`, the path of the job's `mc-state` program. Where the record directory may not
 *   hold executables (a `noexec` home, as on Container-Optimized OS, bind-mounted into the container), the program
 *   is copied to a private directory that may (`$XDG_RUNTIME_DIR`, `$TMPDIR` or `/tmp`, `/dev/shm`), tried by
 *   running it, and the copy is removed when the job ends.
 */
import { shellJoin, shellQuote } from '../ssh/quote.js';
import { STATE_SCRIPT } from '../agents/state-script.js';
import { signalSessionLines, tmuxLiteral } from './remote.js';

/** What the wrapper needs: absolute paths on the session host, and the argv. */
export interface WrapperOptions {
  readonly id: string;
  readonly jobDir: string;
  /** The job's working directory (its worktree, or the home directory for kinds without one). */
  readonly workDir: string;
  readonly command: readonly string[];
  /** Environment variables for the job (names are checked to be shell names). */
  readonly env?: Readonly<Record<string, string>>;
}

/** What an environment variable's name must look like to be exported by the wrapper. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The exit code recorded when the job could not start in its working directory. */
export const WRAPPER_NO_WORKDIR = 125;

/**
 * The `pipe-pane` command: appends the pane to the log; at the pane's end, hangs up a job that is still running.
 * tmux runs it with `sh -c` after expanding formats: literal text has `#` doubled, and the pane's id, first pid
 * (the wrapper, whose pid is the pane's session id) and the server's socket come from tmux (`q:` quotes for sh).
 */
export function pipeCommand(jobDir: string): string {
  const literal = (text: string) => tmuxLiteral(text);
  return [
    literal(`cat >> ${shellQuote(`${jobDir}/output.log`)}\n[ -f ${shellQuote(`${jobDir}/exit`)} ] && exit 0\n`),
    // has-session, not display-message: display-message answers even for a pane that is gone.
    "tmux -S #{q:socket_path} has-session -t '#{pane_id}' >/dev/null 2>&1 && exit 0\n",
    'sid=#{pane_pid}\n',
    literal(signalSessionLines('HUP').join('\n')),
  ].join('');
}

/** The umask a job gets when its launch could not say which one its login had. */
export const DEFAULT_JOB_UMASK = '022';

/** The text of `run.sh` for one job, run as `sh run.sh UMASK`. Every value is quoted with `shellQuote`. */
export function wrapperScript(options: WrapperOptions): string {
  return [
    `case \${1:-} in [0-7][0-7][0-7]|[0-7][0-7][0-7][0-7]) umask "$1" ;; *) umask ${DEFAULT_JOB_UMASK} ;; esac`,
    'trap : INT TERM HUP',
    '# mission-control job wrapper, written at launch: runs the job in its worktree, copies the pane to',
    '# output.log and records the exit code in ./exit (tmp file, then mv) when the job ends.',
    `jd=${shellQuote(options.jobDir)}`,
    `wd=${shellQuote(options.workDir)}`,
    `set -- ${shellJoin(options.command)}`,
    'cd "$jd" || exit 125',
    `MC_JOB=${shellQuote(options.id)}; MC_JOB_DIR=$jd; export MC_JOB MC_JOB_DIR`,
    ...envLines(options.env ?? {}),
    ...stateProgramLines(),
    'if [ ! -d "$wd" ]; then',
    `  printf 'mission-control: the working directory %s is missing\\n' "$wd" | tee -a output.log`,
    `  code=${WRAPPER_NO_WORKDIR}`,
    `elif [ -n "\${TMUX_PANE:-}" ] && tmux pipe-pane -t "$TMUX_PANE" ${shellQuote(pipeCommand(options.jobDir))} </dev/null 2>/dev/null; then`,
    '  (cd "$wd" && exec "$@")',
    '  code=$?',
    'else',
    '  # No pane to copy from: tee instead (the job loses its terminal, but its output is kept).',
    '  { (cd "$wd" && exec "$@") 2>&1; echo $? >exit.code; } | tee -a output.log',
    `  code=$(cat exit.code 2>/dev/null) || code=${WRAPPER_NO_WORKDIR}; rm -f exit.code`,
    'fi',
    `[ "$MISSION_CONTROL_STATE" = "$jd/${STATE_SCRIPT}" ] || rm -f "$MISSION_CONTROL_STATE"`,
    'printf \'%s\\n\' "$code" >exit.tmp && mv -f exit.tmp exit',
    '',
  ].join('\n');
}

function envLines(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new Error(`cannot export ${JSON.stringify(name)}: not an environment variable name`);
    return `${name}=${shellQuote(value)}; export ${name}`;
  });
}

/** Finds a place where the job's `mc-state` may run, and exports its path as `MISSION_CONTROL_STATE`. */
function stateProgramLines(): string[] {
  return [
    `MISSION_CONTROL_STATE=$jd/${STATE_SCRIPT}`,
    'if ! "$MISSION_CONTROL_STATE" check 2>/dev/null; then',
    '  u=$(id -u 2>/dev/null) || u=0',
    '  for d in "${XDG_RUNTIME_DIR:-}" "${TMPDIR:-/tmp}" /dev/shm; do',
    '    [ -n "$d" ] && [ -d "$d" ] || continue',
    '    c=$d/mission-control-$u',
    // A directory someone else made (or a link) is never used: the program would be theirs to change.
    '    mkdir -p "$c" 2>/dev/null; [ -d "$c" ] && [ ! -L "$c" ] && [ -O "$c" ] && chmod 700 "$c" 2>/dev/null || continue',
    `    f=$c/state-$MC_JOB-$$; cp "$jd/${STATE_SCRIPT}" "$f" 2>/dev/null && chmod 700 "$f" 2>/dev/null && "$f" check 2>/dev/null || { rm -f "$f"; continue; }`,
    '    MISSION_CONTROL_STATE=$f; break',
    '  done',
    'fi',
    'export MISSION_CONTROL_STATE',
  ];
}
