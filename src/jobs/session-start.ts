/**
 * What starts a job's session, shared by launch and resume: the tmux command and the shell lines that write the
 * job's record files (meta, wrapper, agent wiring) into its record directory.
 */
import { wireJob } from '../agents/presets.js';
import { HOOK_SCRIPT, STATE_SCRIPT } from '../agents/state-script.js';
import { tmuxArgv } from '../providers/tmux.js';
import type { WorkerProvider } from '../providers/types.js';
import type { JobMeta } from '../scanners/worker-scan/types.js';
import { shellQuote } from '../ssh/quote.js';
import { tmuxLiteral } from './remote.js';
import { wrapperScript } from './wrapper.js';

/** The tmux argv that starts a job's session running its wrapper (the umask is appended by the caller's script). */
export function sessionArgv(provider: Pick<WorkerProvider, 'tmux'>, session: string, workDir: string, jobDir: string): string[] {
  return tmuxArgv(provider.tmux, [
    'new-session', '-d', '-P', '-F', '#{session_id} #{pane_id}',
    '-s', session,
    '-c', tmuxLiteral(workDir),
    '--', 'sh', `${jobDir}/run.sh`,
  ]);
}

/**
 * Shell lines (joined with `&&`, inside `$jd`, umask 077) that write a job's record: `meta.json` (temporary file,
 * then moved), the wrapper running `command`, and the agent's wiring. The hook wiring and the state programs live
 * in the record directory, never in the worktree (a dirty worktree would show in the job's diff). The records are
 * private, the job is not: tmux and the wrapper get the login's umask, captured by the caller first.
 */
export function recordFilesLines(meta: JobMeta, command: readonly string[], workDir: string, jobDir: string): string[] {
  const wired = wireJob(jobDir, command, meta.agent);
  const run = wrapperScript({ id: meta.id, jobDir, workDir, command: wired.command, env: wired.env });
  return [
    `printf '%s\\n' ${shellQuote(JSON.stringify(meta))} >"$jd/meta.json.tmp" && mv -f "$jd/meta.json.tmp" "$jd/meta.json" &&`,
    `  printf '%s' ${shellQuote(run)} >"$jd/run.sh" &&`,
    ...Object.entries(wired.files).map(([name, text]) => {
      // A preset's file may sit in a directory of its own (an agent that searches a directory, not a file).
      const dir = name.includes('/') ? `mkdir -p "$jd"/${shellQuote(name.slice(0, name.lastIndexOf('/')))} && ` : '';
      return `  ${dir}printf '%s' ${shellQuote(text)} >"$jd"/${shellQuote(name)} &&`;
    }),
    `  chmod 700 "$jd/${STATE_SCRIPT}" "$jd/${HOOK_SCRIPT}"`,
  ];
}
