/** What an agent preset is: how to start the agent, how its hooks reach `mc-hook`, how to approve and resume. */
/** The per-job wiring of an agent's hooks: files for the job's record directory, argv and environment. */
export interface AgentWiring {
  /** Files to write into the job's record directory (name → content). */
  readonly files: Readonly<Record<string, string>>;
  /** Arguments inserted right after the program name. */
  readonly args: readonly string[];
  /** Environment variables for the agent. */
  readonly env: Readonly<Record<string, string>>;
}

/** One agent preset. */
export interface AgentPreset {
  /** The preset's name (`custom` or `custom-<kind>` for one from the config), as a job's record keeps it. */
  readonly name: string;
  /** The program, as found on the worker's PATH. */
  readonly program: string;
  /** The argv of an interactive session that starts with `prompt`. */
  command(prompt: string): string[];
  /**
   * The hook wiring for a job whose record directory is `jobDir` (absolute, on the session host). Never touches
   * the user's own settings and writes nothing into the worktree.
   */
  wiring(jobDir: string): AgentWiring;
  /** The keys that answer "yes" to the agent's permission prompt (tmux key names, sent in order). */
  readonly approve: readonly string[];
  /** The argv that resumes the agent's last session in the job's working directory. */
  readonly resume: readonly string[];
  /** Lines of the agent's screen that mean it waits for its user, for kinds that give none (regular expressions). */
  readonly waitingPatterns?: readonly string[];
}
