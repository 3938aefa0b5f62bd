/**
 * What one scan of a worker yields: everything the dashboard shows about a worker and its jobs,
 * gathered by a single remote command per poll.
 */

/** The host's vital signs. */
export interface HostInfo {
  /** The worker's clock, Unix seconds, when the scan ran (ages are computed against it, not ours). */
  readonly now: number;
  readonly uptimeSeconds: number | undefined;
  readonly load1: number | undefined;
  readonly load5: number | undefined;
  readonly load15: number | undefined;
  readonly cpus: number | undefined;
}

/** The worker's container, as `docker inspect` reports it. */
export interface ContainerInfo {
  readonly name: string;
  /** False when docker says there is no such container. */
  readonly exists: boolean;
  /** docker's `State.Status`: created, running, paused, restarting, removing, exited, dead. */
  readonly status: string | undefined;
  readonly running: boolean;
  /** ISO time the container last started. */
  readonly startedAt: string | undefined;
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
  readonly currentCommand: string;
  readonly pid: number | undefined;
}

/** One tmux session on the worker's private socket. */
export interface TmuxSession {
  /** `$N`: how commands address this session (never by name: names come from data). */
  readonly id: string;
  /** The name exactly as tmux stores it. */
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
  /** The job directory's name. */
  readonly id: string;
  /** The parsed `meta.json`, or undefined when it is missing or unreadable. */
  readonly meta: JobMeta | undefined;
  /** Why `meta` is undefined, when the file exists but could not be read. */
  readonly metaError: string | undefined;
  /** The exit code the wrapper recorded, when the job has ended. */
  readonly exitCode: number | undefined;
  /** Last modification of the output log, Unix seconds. */
  readonly logModified: number | undefined;
  readonly logBytes: number | undefined;
}

/** `meta.json`: what was launched. Written once at launch. */
export interface JobMeta {
  readonly id: string;
  readonly kind: string;
  readonly params: Readonly<Record<string, string>>;
  /** The argv the job runs. */
  readonly command: readonly string[];
  /** The tmux session name the job runs in. */
  readonly session: string;
  /** The worktree the job runs in, if any. */
  readonly worktree?: string;
  /** ISO time of launch. */
  readonly createdAt: string;
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
  readonly sessions: readonly TmuxSession[];
  readonly jobs: readonly JobRecord[];
}
