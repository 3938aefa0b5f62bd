/**
 * What one scan of a worker yields: everything the dashboard shows about a worker and its jobs,
 * gathered by a single remote command per poll.
 */

/** The host's vital signs. */
export interface HostInfo {
  /**
   * The worker's clock, Unix seconds, when the scan ran (ages are computed against it, not ours).
   * 0 when it could not be read (`date` failed or the output was cut short; `problems` says which).
   */
  readonly now: number;
  /** Seconds since boot (`/proc/uptime`). */
  readonly uptimeSeconds: number | undefined;
  /** Load averages over 1, 5 and 15 minutes (`/proc/loadavg`). */
  readonly load1: number | undefined;
  readonly load5: number | undefined;
  readonly load15: number | undefined;
  /** Processors available (`nproc`). */
  readonly cpus: number | undefined;
}

/** The worker's container, as `docker inspect` reports it. */
export interface ContainerInfo {
  readonly name: string;
  /** False only when docker says there is no such container (true when docker could not tell: see `error`). */
  readonly exists: boolean;
  /** docker's `State.Status`: created, running, paused, restarting, removing, exited, dead. */
  readonly status: string | undefined;
  /** docker's `State.Running`. */
  readonly running: boolean;
  /** ISO time the container last started. */
  readonly startedAt: string | undefined;
  /** The image as the container was created from it (`Config.Image`). */
  readonly image: string | undefined;
  /** What went wrong asking docker, when it was not a missing container (daemon down, no docker). */
  readonly error: string | undefined;
}

/** One pane of a tmux session. */
export interface TmuxPane {
  /** `%N`: how commands address this pane. */
  readonly id: string;
  readonly dead: boolean;
  /** Exit status of a dead pane's process. */
  readonly deadStatus: number | undefined;
  /** The command tmux sees in the foreground of the pane. */
  readonly currentCommand: string;
  /** The pid of the pane's first process. */
  readonly pid: number | undefined;
}

/** One tmux session on the worker's private socket. */
export interface TmuxSession {
  /** `$N`: how commands address this session (never by name: names come from data). */
  readonly id: string;
  /**
   * The name exactly as tmux stores it: tmux rewrites `:` and `.` to `_` and stores control
   * characters and backslashes escaped (a tab as the two characters `\t`, 0x1f as `\037`).
   */
  readonly name: string;
  /** Unix seconds. */
  readonly created: number;
  /** Last output in any window of the session, Unix seconds (`window_activity`, which moves on output). */
  readonly activity: number;
  /** Number of clients attached. */
  readonly attached: number;
  readonly panes: readonly TmuxPane[];
}

/** A job's record on the worker: files written at launch and by the job's wrapper when it ends. */
export interface JobRecord {
  /** The job directory's name: always a job id (`isJobId`); other directories are reported in `problems`. */
  readonly id: string;
  /** The parsed `meta.json`, or undefined when it is missing or unreadable. */
  readonly meta: JobMeta | undefined;
  /** Why `meta` is undefined, when the file exists but could not be used (unreadable, not JSON, or over the scan's size cap). */
  readonly metaError: string | undefined;
  /** The exit code the wrapper recorded, when the job has ended. */
  readonly exitCode: number | undefined;
  /** Why `exitCode` is undefined although the `exit` file exists (unreadable, or not a number). */
  readonly exitError?: string | undefined;
  /** Last modification of the output log, Unix seconds. */
  readonly logModified: number | undefined;
  /** Size of the output log in bytes. */
  readonly logBytes: number | undefined;
  /** The job's last state report, when it has made one. */
  readonly report?: StateReport;
  /** Why the job's `state` file could not be used (unreadable, too large, not a report). */
  readonly reportError?: string;
}

/** `meta.json`: what was launched. Written once at launch. */
export interface JobMeta {
  /** The job's id, as chosen at launch. */
  readonly id: string;
  /** What the job does (e.g. `review`, `fix`). */
  readonly kind: string;
  /** The parameters it was launched with, as given. */
  readonly params: Readonly<Record<string, string>>;
  /** The argv the job runs. */
  readonly command: readonly string[];
  /** The tmux session name the job runs in. */
  readonly session: string;
  /** The worktree the job runs in, if any. */
  readonly worktree?: string;
  /** The commit the worktree was at when the job started (what `mission-control diff` compares with), if any. */
  readonly baseCommit?: string;
  /** ISO time of launch. */
  readonly createdAt: string;
  /** The agent preset the job was launched with (`claude`, `gemini`, `codex`), if any. */
  readonly agent?: string;
  /** ISO time of the last `resume`, when the job was resumed after its session was lost. */
  readonly resumedAt?: string;
  /** How many times the job was resumed. */
  readonly resumeCount?: number;
}

/** What a pane showed when it was last captured. */
export interface PaneScreen {
  /** The pane's window activity then, Unix seconds on the worker's clock. */
  readonly activity: number;
  /** Its last non-empty lines, raw (views sanitize them). */
  readonly lines: readonly string[];
  /** The lowest line its job's kind's waiting patterns match, if any. */
  readonly prompt?: string;
}

/** What a job reported last through `MISSION_CONTROL_STATE` (its `state` file). */
export interface StateReport {
  readonly state: 'working' | 'waiting' | 'done';
  /** When it was reported, Unix seconds on the worker's clock. */
  readonly at: number;
  /** The text given with the report (the waiting reason), raw: views sanitize it. */
  readonly reason: string;
}

/** The result of one scan. */
export interface WorkerScan {
  readonly host: HostInfo;
  /** Present when the worker has a container. */
  readonly container: ContainerInfo | undefined;
  /** False when the tmux server is not running (zero sessions, not an error). */
  readonly tmuxRunning: boolean;
  /** What tmux said when it failed for another reason than "no server". */
  readonly tmuxError: string | undefined;
  /** Sessions in tmux's order, each with its panes. */
  readonly sessions: readonly TmuxSession[];
  /** Job records, sorted by id. */
  readonly jobs: readonly JobRecord[];
  /** Why job records could not be listed (so `jobs` is not the whole story); undefined when they were. */
  readonly jobsError?: string | undefined;
  /**
   * Parts of the output that could not be used, one sentence each: job directories whose names are not job ids
   * (quoted with escapes, never raw), a record over its size cap (with the job and the size), an unreadable tmux
   * line, a missing or cut-short section. Empty for a clean scan.
   */
  readonly problems?: readonly string[];
  /** The latest screens of the panes of jobs with waiting patterns, by pane id (kept across scans by the caller). */
  readonly screens?: ReadonlyMap<string, PaneScreen>;
  /** Pane processes (by pid) whose terminal's foreground process is blocked reading it, when the scan looked. */
  readonly readingTerminal?: ReadonlySet<number>;
}
