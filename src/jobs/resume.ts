/**
 * Resume: a lost job (its tmux session gone without an exit code, e.g. its worker rebooted; or by a hangup, its tmux
 * server killed) whose worktree survives
 * starts again in place, in the same record: its agent's resume argv when it ran an agent, else its own command.
 * The worktree is never fetched, checked out or moved; the record's `meta.json` gains `resumedAt` and `resumeCount`,
 * an `exit` file left over is archived, and the output log goes on after a marker line.
 */
import { agentPreset } from '../agents/presets.js';
import { tmuxArgv } from '../providers/tmux.js';
import type { ProgressReporter, WorkerProvider } from '../providers/types.js';
import { shellPath } from '../scanners/session-host.js';
import type { JobMeta } from '../scanners/worker-scan/types.js';
import { isJobId } from '../scanners/worker-scan/job-id.js';
import type { Job } from '../state/types.js';
import { shellJoin, shellQuote } from '../ssh/quote.js';
import type { LaunchWorker } from './launch.js';
import { recordFilesLines, sessionArgv } from './session-start.js';
import { launcherToken } from './launch-owner.js';
import { readJobRecord } from './record.js';
import { expandHome, firstLine, JobStepError, runScript } from './remote.js';

/** What a resume started. */
export interface ResumedJob {
  readonly worker: string;
  readonly id: string;
  readonly session: string;
  /** The argv the job runs now. */
  readonly command: readonly string[];
  /** True when that is the agent's resume argv, false when it is the job's own command again. */
  readonly agentResume: boolean;
  /** How many times the job has been resumed, this time included. */
  readonly resumeCount: number;
  /** The directory it runs in (its worktree, or the home directory). */
  readonly workDir: string;
  readonly sessionId?: string;
  readonly paneId?: string;
}

/** A resume refused before anything changed: the job is not lost, or has nothing to resume in. */
export class ResumeRefusedError extends Error {
  override readonly name = 'ResumeRefusedError';
}

/** Tunables. */
export interface ResumeOptions {
  /** Our clock, for `resumedAt`; default `new Date()`. */
  readonly now?: () => Date;
}

/** The argv a resumed job runs: its agent's resume argv, else the command it was launched with. */
export function resumeCommand(meta: Pick<JobMeta, 'agent' | 'command'>): { command: readonly string[]; agentResume: boolean } {
  const preset = agentPreset(meta.agent);
  if (preset && preset.resume.length > 0) return { command: preset.resume, agentResume: true };
  return { command: meta.command, agentResume: false };
}

/** The exit code a job's wrapper records when the job died of a hangup: its session or tmux server was killed. */
export const HANGUP_EXIT = 129;

/**
 * Why `job` cannot be resumed as the last scan saw it, or undefined when it can be tried: it must be lost, or have
 * ended by a hangup with its session gone (its tmux server was killed and the wrapper lived to record it).
 */
export function resumeRefusal(job: Pick<Job, 'key' | 'state' | 'adhoc' | 'exitCode' | 'session'>): string | undefined {
  if (job.adhoc) return `${job.key} was started by hand: it has no record to resume from`;
  const hungUp = job.state === 'failed' && job.exitCode === HANGUP_EXIT && job.session === undefined;
  if (job.state !== 'lost' && !hungUp) {
    const state = job.state === 'failed' ? `failed (exit ${job.exitCode})` : job.state;
    return `${job.key} is ${state}, not lost: resume restarts only a job whose session is gone without an exit code (its worker rebooted) or by a hangup (exit ${HANGUP_EXIT}: its tmux server killed)`;
  }
  return undefined;
}

/** Resumes the lost job `job` on its worker (see the module comment). */
export async function resumeJobOn(
  provider: WorkerProvider,
  worker: LaunchWorker,
  job: Job,
  progress: ProgressReporter = () => undefined,
  options: ResumeOptions = {},
): Promise<ResumedJob> {
  const refusal = resumeRefusal(job);
  if (refusal) throw new ResumeRefusedError(refusal);
  const say = (text: string) => progress(`${worker.name}: ${text}`);
  say(`reading the record of ${job.id}`);
  const record = await readJobRecord(provider, worker.stateDir, job.id, 'resume');
  const meta = record.meta;
  if (!record.exists || !meta) throw new ResumeRefusedError(`${job.key} has no readable record (meta.json) on ${worker.name}; it cannot be resumed`);
  if (!isJobId(meta.session) || !record.home.startsWith('/')) throw new ResumeRefusedError(`${job.key}: its record names an unusable session or home`);
  const jobDir = `${expandHome(worker.stateDir, record.home)}/jobs/${job.id}`;
  const workDir = meta.worktree ?? record.home;
  const { command, agentResume } = resumeCommand(meta);
  const resumeCount = (meta.resumeCount ?? 0) + 1;
  const resumedAt = (options.now?.() ?? new Date()).toISOString();
  const next: JobMeta = { ...meta, resumedAt, resumeCount };
  say(`starting ${shellJoin(command)} in ${workDir}`);
  // One command under the launch lock of the job, so a launch or another resume of it cannot run alongside.
  const script = [
    'um=$(umask)',
    'umask 077',
    `jd=${shellQuote(jobDir)}; lk=${shellPath(worker.stateDir)}/jobs/.launch-${shellQuote(job.id)}; wd=${shellQuote(workDir)}`,
    'mkdir "$lk" 2>/dev/null || exit 30',
    'refuse() { rm -rf "$lk"; exit "$1"; }',
    // As a launch's claim does: when it was taken and by whom, so a resume that dies holding it does not hold it forever.
    `date +%s >"$lk/started"; printf '%s\\n' ${shellQuote(launcherToken() ?? '')} >"$lk/owner"`,
    '[ -f "$jd/meta.json" ] || refuse 31',
    `${shellJoin(tmuxArgv(provider.tmux, ['has-session', '-t', `=${meta.session}`]))} 2>/dev/null && refuse 32`,
    '[ -d "$wd" ] || refuse 33',
    `[ -f "$jd/exit" ] && { mv -f "$jd/exit" "$jd/exit.before-resume-${resumeCount}" || refuse 34; }`,
    `printf '\\n[mission-control: resumed at %s]\\n' ${shellQuote(resumedAt)} >>"$jd/output.log"`,
    `{ ${recordFilesLines(next, command, workDir, jobDir).join('\n')}; } || refuse 35`,
    `if out=$(umask "$um" && ${shellJoin(sessionArgv(provider, meta.session, workDir, jobDir))} "$um" 2>&1); then rm -rf "$lk"; printf 'STARTED %s\\n' "$out"; exit 0; fi`,
    'printf \'%s\\n\' "$out" >&2; refuse 36',
  ].join('\n');
  const result = await runScript(provider, script, { step: 'resume', quick: true });
  if (result.code !== 0) {
    const refused: Record<number, string> = {
      30: `a launch or resume of ${job.id} is in progress on ${worker.name}; wait for it, then look again`,
      31: `${job.key} has no record on ${worker.name} any more`,
      32: `${job.key} is not lost: its session ${meta.session} is running (attach to it instead)`,
      33: `the working directory ${workDir} of ${job.key} is gone; nothing to resume in (remove the job and launch it again)`,
    };
    const reason = refused[result.code ?? -1];
    if (reason) throw new ResumeRefusedError(reason);
    const what = result.code === 36 ? 'tmux new-session failed' : 'cannot update the job record';
    throw new JobStepError('resume', worker.name, `${what}: ${firstLine(result)}`);
  }
  const match = /^STARTED (\$\d+) (%\d+)/m.exec(result.stdout);
  return {
    worker: worker.name,
    id: job.id,
    session: meta.session,
    command,
    agentResume,
    resumeCount,
    workDir,
    ...(match ? { sessionId: match[1]!, paneId: match[2]! } : {}),
  };
}
