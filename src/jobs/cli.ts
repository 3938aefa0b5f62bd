/**
 * The job subcommands of the CLI: `launch`, `stop`, `rm`, `logs`, `diff`, `jobs`, `setup`. Each handler takes the fleet,
 * its arguments (after the subcommand name) and the terminal, and resolves to an exit code:
 * 0 done, 1 failed (what and where is printed), 2 bad usage or request.
 */
import { spawn } from 'node:child_process';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { AttachCommand } from '../providers/types.js';
import { shellJoin } from '../ssh/quote.js';
import { statusJob } from '../cli/status-report.js';
import { kindLabel, selectAllJobs, selectWorkers, waitingJobs } from '../state/selectors.js';
import type { Job } from '../state/types.js';
import { formatAge, formatBytes } from '../text/format.js';
import { safeJson, sanitizeBlock, sanitizeLine } from '../text/sanitize.js';
import { createJobActions, type JobActions } from './actions.js';
import { GENERIC_KINDS, isGenericKind, resolveJobSettings, type JobSettings } from './kinds.js';
import { DIFF_MAX_BYTES, readJobDiff } from './diff.js';
import { DEFAULT_TAIL_BYTES, followLog, writeLogTail } from './logs.js';
import { JobLookupError } from './lookup.js';
import { JobRequestError, paramsFromWords } from './params.js';
import { PlacementError, refreshStale, type JobFleet } from './placement.js';
import type { RemoveResult } from './remove.js';
import { JobStepError } from './remote.js';
import { ResumeRefusedError } from './resume.js';

/** The terminal a handler talks to. */
export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  /** Asks a yes/no question; false when there is no one to ask. */
  confirm(question: string): Promise<boolean>;
  /** Runs a program on the user's terminal (attach); default: spawned with the terminal inherited. */
  attach?(command: AttachCommand): Promise<number>;
  /** Ends `logs -f` (e.g. on Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** An output stream of the CLI. */
export interface CliStream {
  /** Writes text; `false` means the stream's buffer is full (wait for {@link CliStream.drained} before more). */
  write(text: string): unknown;
  /** Resolves once the stream's buffer has been handed on; absent for streams that never fill. */
  drained?(): Promise<void>;
}

/** A job subcommand. `settings` are the config's kinds and repo (built-ins and defaults when absent). */
export type JobsCliHandler = (fleet: JobFleet, args: readonly string[], io: CliIo, settings?: JobSettings) => Promise<number>;

/** Exit codes of the job subcommands. */
export const JOB_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Each job subcommand's usage lines, as the top-level help and `<command> --help` show them. */
export const JOB_USAGE: Readonly<Record<string, string>> = Object.freeze({
  launch: `  mission-control launch [--worker W] KIND [PARAMS…] [--attach] [--force]
                                       start a job (or find the one that exists) of a kind built in
                                       (review, fix, ready, implement, open) or from the config's kinds;
                                       --force wakes a cloud worker even past the monthly budget
  mission-control launch run [--worker W] [--branch B] [--name ID] [--no-worktree] [--attach] -- COMMAND [ARGS…]
                                       any command, in a fresh worktree of the default branch (or of B),
                                       or in the home directory; its id is run-<hash of the command and
                                       branch> unless --name gives one, so the same command is found again
  mission-control launch shell [--worker W] [--branch B] [--name ID] [--attach]
                                       an interactive shell in a fresh worktree
`,
  resume: `  mission-control resume JOB           restart a lost job (its tmux session gone after a reboot, or by a
                                       hangup, exit 129) in its worktree, with its agent's resume command
                                       or its own command
`,
  jobs: `  mission-control jobs [--json] [--waiting]
                                       list jobs on every worker (--waiting: only those waiting for
                                       their user, longest waiting first; --json: as status --json)
`,
  logs: `  mission-control logs JOB [-f] [--bytes N]
                                       the last N bytes of a job's output (default 16384); -f: then
                                       follow it until the job ends, as tail -f does
`,
  diff: `  mission-control diff JOB [--stat] [--color]
                                       what a job changed in its worktree since it started (git diff
                                       of its start commit, untracked files as new files)
`,
  stop: `  mission-control stop JOB [--grace S] interrupt a job (C-c), kill it after S seconds (default 10)
`,
  rm: `  mission-control rm JOB [--purge]     kill a job, remove its worktree; its record and log are archived
                                       unless --purge
  mission-control rm --all-finished [--yes] [--purge]
                                       remove every finished job (lists them and asks, unless --yes)
`,
  setup: `  mission-control setup WORKER [--force]
                                       clone the repo, make job directories, copy synced files (--force:
                                       wake a cloud worker even past the monthly budget)
`,
});

/** What a JOB argument may be, as `findJob` (lookup.ts) reads it. */
export const JOB_ARGUMENT_HELP = `JOB is a job's key (worker/id, or 'worker/$3', quoted, for a session started by hand), its id,
the name of a session started by hand, or a unique prefix of a key or id.
`;

/** Usage lines for the top-level help. */
export const JOBS_HELP = Object.values(JOB_USAGE).join('');

class Usage extends Error {}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new Usage(error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error));
  }
}

/** Runs a handler body with the common error reporting. */
export async function guarded(io: CliIo, command: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Usage || error instanceof JobRequestError || error instanceof JobLookupError) {
      io.stderr.write(`mission-control ${command}: ${sanitizeLine(message)}\n`);
      return JOB_EXIT.usage;
    }
    const prefix = error instanceof JobStepError || error instanceof PlacementError || error instanceof ResumeRefusedError ? '' : 'error: ';
    io.stderr.write(`mission-control ${command}: ${prefix}${sanitizeLine(message)}\n`);
    return JOB_EXIT.failed;
  }
}

/** Progress lines of a long command, on standard error (stdout keeps only the result). */
export const progressTo = (io: CliIo) => (line: string) => io.stderr.write(`  ${sanitizeLine(line)}\n`);

const actionsFor = (fleet: JobFleet, settings: JobSettings | undefined, graceMs?: number): JobActions =>
  createJobActions(fleet, settings ?? resolveJobSettings(), graceMs === undefined ? {} : { stop: { graceMs } });

/** `launch [--worker W] KIND [PARAMS…] [--attach]`, and the generic `launch run [OPTIONS] -- ARGV…` and `launch shell`. */
export const runLaunch: JobsCliHandler = (fleet, args, io, settings) =>
  guarded(io, 'launch', async () => {
    const { values, positionals } = parse(args, {
      worker: { type: 'string', short: 'w' },
      attach: { type: 'boolean' },
      branch: { type: 'string', short: 'b' },
      name: { type: 'string' },
      'no-worktree': { type: 'boolean' },
    });
    const resolved = settings ?? resolveJobSettings();
    const [kindName, ...words] = positionals;
    const kindNames = [...resolved.kinds.keys(), ...GENERIC_KINDS].sort().join(', ');
    if (!kindName) throw new Usage(`name a job kind: ${kindNames}`);
    const generic = isGenericKind(kindName);
    if (!generic && (values.branch !== undefined || values.name !== undefined || values['no-worktree'])) {
      throw new Usage(`--branch, --name and --no-worktree are for the generic kinds (${GENERIC_KINDS.join(', ')})`);
    }
    const kind = resolved.kinds.get(kindName);
    if (!kind && !generic) throw new JobRequestError(`unknown job kind ${JSON.stringify(kindName)}; expected one of: ${kindNames}`);
    const options = {
      ...(values.branch !== undefined ? { branch: values.branch } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values['no-worktree'] ? { noWorktree: true } : {}),
    };
    const request = generic ? { kind: kindName, params: {}, argv: words, ...options } : { kind: kindName, params: paramsFromWords(kind!, words) };
    const launched = await actionsFor(fleet, resolved).launch({ ...request, ...(values.worker !== undefined ? { worker: values.worker } : {}) }, progressTo(io));
    const where = `${launched.worker} (${launched.placement})`;
    if (launched.created) {
      io.stdout.write(
        sanitizeLine(`started ${launched.id} on ${where}: session ${launched.session}${launched.worktree ? `, worktree ${launched.worktree}` : ''}`) + '\n',
      );
    } else if (launched.sessionId) {
      io.stdout.write(`${launched.id} already exists on ${launched.worker}: running in session ${launched.session}; nothing new was started\n`);
    } else if (launched.exitCode !== undefined) {
      io.stdout.write(
        `${launched.id} already exists on ${launched.worker} and has ended (exit ${launched.exitCode}); ` +
          `remove it (mission-control rm ${launched.key}) to run it again\n`,
      );
    } else {
      io.stdout.write(`${launched.id} already exists on ${launched.worker} but its session is gone; remove it (mission-control rm ${launched.key}) to run it again\n`);
    }
    const provider = fleet.provider(launched.worker);
    if (!launched.sessionId || !provider) return JOB_EXIT.ok;
    const attach = provider.attachCommand(launched.sessionId);
    if (!values.attach) {
      const again = generic
        ? [kindName, ...(values.branch !== undefined ? ['--branch', values.branch] : []), ...(values['no-worktree'] ? ['--no-worktree'] : []), '--name', launched.id, '--attach', '--', ...words]
        : [kindName, ...words, '--attach'];
      io.stdout.write(`attach: mission-control launch ${shellJoin(again)}  (or: ${shellJoin(attach.argv)})\n`);
      return JOB_EXIT.ok;
    }
    return (io.attach ?? attachInTerminal)(attach);
  });

/** `stop JOB [--grace SECONDS]`. */
export const runStop: JobsCliHandler = (fleet, args, io, settings) =>
  guarded(io, 'stop', async () => {
    const { values, positionals } = parse(args, { grace: { type: 'string' } });
    const ref = single(positionals, 'JOB');
    const grace = values.grace === undefined ? undefined : Number(values.grace);
    if (grace !== undefined && !(grace >= 0 && grace <= 3600)) throw new Usage(`--grace takes seconds from 0 to 3600, got ${values.grace}`);
    const actions = actionsFor(fleet, settings, grace === undefined ? undefined : grace * 1000);
    const job = await actions.find(ref);
    const outcome = await actions.stop(job, {}, progressTo(io));
    const text = {
      'not-running': 'was not running',
      interrupted: 'stopped (it ended after C-c)',
      terminated: 'terminated (it did not end within the grace period after C-c)',
      killed: 'killed (it ignored C-c and TERM)',
    };
    io.stdout.write(`${sanitizeLine(job.key)} ${text[outcome]}\n`);
    return JOB_EXIT.ok;
  });

/** `rm JOB [--purge]` and `rm --all-finished [--yes] [--purge]`. */
export const runRm: JobsCliHandler = (fleet, args, io, settings) =>
  guarded(io, 'rm', async () => {
    const { values, positionals } = parse(args, { purge: { type: 'boolean' }, 'all-finished': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' } });
    const actions = actionsFor(fleet, settings);
    const purge = values.purge ?? false;
    if (values['all-finished']) {
      if (positionals.length > 0) throw new Usage('--all-finished takes no job');
      const plan = await actions.planFinished();
      if (plan.length === 0) {
        io.stdout.write('no finished jobs\n');
        return JOB_EXIT.ok;
      }
      io.stdout.write(`${plan.length} finished job${plan.length === 1 ? '' : 's'} will be removed (session killed, worktree removed, ${purge ? 'record and log deleted' : 'record and log archived'}):\n`);
      for (const item of plan) io.stdout.write(`  ${sanitizeLine(item.key)}  ${item.state === 'failed' ? `failed (exit ${item.exitCode})` : 'exited ok'}\n`);
      if (!values.yes && !(await io.confirm(`Remove ${plan.length === 1 ? 'it' : `these ${plan.length} jobs`}?`))) {
        io.stdout.write('nothing removed\n');
        return JOB_EXIT.ok;
      }
      const outcomes = await actions.removePlanned(plan, { purge }, progressTo(io));
      let failed = 0;
      for (const outcome of outcomes) {
        if (outcome.error) failed += 1;
        io.stdout.write(`  ${sanitizeLine(outcome.item.key)}: ${outcome.error ? `not removed: ${sanitizeLine(outcome.error)}` : describeRemoval(outcome.result!)}\n`);
      }
      return failed > 0 ? JOB_EXIT.failed : JOB_EXIT.ok;
    }
    if (values.yes) throw new Usage('--yes only applies to --all-finished');
    const job = await actions.find(single(positionals, 'JOB'));
    const result = await actions.remove(job, { purge }, progressTo(io));
    io.stdout.write(`${sanitizeLine(job.key)}: ${describeRemoval(result)}\n`);
    return result.worktreeProblem ? JOB_EXIT.failed : JOB_EXIT.ok;
  });

function describeRemoval(result: RemoveResult): string {
  if (result.skipped) return `left alone: ${result.skipped}`;
  const parts = [result.sessionKilled ? 'session killed' : 'no live session'];
  if (result.worktreeRemoved) parts.push(`worktree ${result.worktreeRemoved} removed`);
  if (result.worktreeProblem) parts.push(`worktree NOT removed: ${sanitizeLine(result.worktreeProblem)}`);
  if (result.archivedTo) parts.push(`record and log kept in ${sanitizeLine(result.archivedTo)}`);
  if (result.purged) parts.push('record and log deleted');
  return parts.join(', ');
}

/** `logs JOB [-f] [--bytes N]`. */
export const runLogs: JobsCliHandler = (fleet, args, io, settings) =>
  guarded(io, 'logs', async () => {
    const { values, positionals } = parse(args, { follow: { type: 'boolean', short: 'f' }, bytes: { type: 'string' } });
    const bytes = values.bytes === undefined ? DEFAULT_TAIL_BYTES : Number(values.bytes);
    if (!Number.isInteger(bytes) || bytes < 0) throw new Usage(`--bytes takes a number of bytes, got ${values.bytes}`);
    const job = await actionsFor(fleet, settings).find(single(positionals, 'JOB'));
    const provider = fleet.provider(job.worker);
    const config = fleet.worker(job.worker);
    if (!provider || !config) throw new Error(`there is no worker named ${job.worker}`);
    // A slow reader (a pager, a terminal scrolling) holds the reads back instead of growing our buffer.
    const write = async (text: string) => {
      if (io.stdout.write(sanitizeBlock(text, { keepColor: true })) === false) await io.stdout.drained?.();
    };
    if (!values.follow) {
      await writeLogTail(provider, config.stateDir, job.id, bytes, write);
      return JOB_EXIT.ok;
    }
    const code = await followLog(provider, config.stateDir, job.id, write, { tailBytes: bytes, ...(io.signal ? { signal: io.signal } : {}) });
    if (code !== undefined) io.stderr.write(`${sanitizeLine(job.key)} ended: ${code === 0 ? 'exited ok' : `failed (exit ${code})`}\n`);
    return JOB_EXIT.ok;
  });

/** `diff JOB [--stat] [--color]`: colour when asked or when stdout is a terminal. */
export const runDiff: JobsCliHandler = (fleet, args, io, settings) =>
  guarded(io, 'diff', async () => {
    const { values, positionals } = parse(args, { stat: { type: 'boolean' }, color: { type: 'boolean' } });
    const job = await actionsFor(fleet, settings).find(single(positionals, 'JOB'));
    const provider = fleet.provider(job.worker);
    const config = fleet.worker(job.worker);
    if (!provider || !config) throw new Error(`there is no worker named ${job.worker}`);
    const color = values.color ?? process.stdout.isTTY === true;
    const diff = await readJobDiff(provider, config.stateDir, job.id, { stat: values.stat ?? false, color });
    if (diff.base === 'HEAD') io.stderr.write(`note: ${sanitizeLine(job.key)} was launched before start commits were recorded: this is only what is not committed yet\n`);
    io.stdout.write(sanitizeBlock(diff.text, { keepColor: color }));
    if (diff.truncated) io.stderr.write(`mission-control diff: the diff was cut at ${formatBytes(DIFF_MAX_BYTES)}; look in ${sanitizeLine(diff.worktree)} on ${job.worker} for the rest\n`);
    return JOB_EXIT.ok;
  });

/** `jobs [--json] [--waiting]`: `--json` prints the job objects of `status --json`. */
export const runJobs: JobsCliHandler = (fleet, args, io) =>
  guarded(io, 'jobs', async () => {
    const { values, positionals } = parse(args, { json: { type: 'boolean' }, waiting: { type: 'boolean' } });
    if (positionals.length > 0) throw new Usage(`unexpected argument '${positionals[0]}'`);
    await refreshStale(fleet, 0);
    const state = fleet.store.getState();
    const all = selectAllJobs(state);
    const jobs = values.waiting ? waitingJobs(all) : all;
    const down = selectWorkers(state).filter((w) => w.connection !== 'up');
    const now = Date.now();
    if (values.json) io.stdout.write(`${safeJson(jobs.map((job) => statusJob(job, now)), 2)}\n`);
    else if (values.waiting && jobs.length === 0) io.stdout.write('no job is waiting for you\n');
    else io.stdout.write(jobsTable(jobs, now));
    for (const worker of down) io.stderr.write(`note: ${worker.name} did not answer: ${sanitizeLine(worker.lastError ?? 'unknown error')}\n`);
    return down.length > 0 ? JOB_EXIT.failed : JOB_EXIT.ok;
  });

/** `resume JOB`. */
export const runResume: JobsCliHandler = (fleet, args, io, settings) =>
  guarded(io, 'resume', async () => {
    const { positionals } = parse(args, {});
    const actions = actionsFor(fleet, settings);
    const job = await actions.find(single(positionals, 'JOB'));
    const resumed = await actions.resume(job, progressTo(io));
    const how = resumed.agentResume ? "its agent's resume command" : 'its own command';
    io.stdout.write(
      sanitizeLine(`resumed ${job.key} (time ${resumed.resumeCount}) with ${how}: ${shellJoin(resumed.command)} in ${resumed.workDir}, session ${resumed.session}`) + '\n',
    );
    return JOB_EXIT.ok;
  });

/** `setup WORKER`. */
export const runSetup: JobsCliHandler = (fleet, args, io, settings) =>
  guarded(io, 'setup', async () => {
    const { positionals } = parse(args, {});
    const report = await actionsFor(fleet, settings).setup(single(positionals, 'WORKER'), progressTo(io));
    for (const line of report.changed) io.stdout.write(`changed: ${sanitizeLine(line)}\n`);
    io.stdout.write(`${report.changed.length} changed, ${report.unchanged.length} already as wanted\n`);
    return JOB_EXIT.ok;
  });

/** Every job subcommand by name, for the CLI's dispatcher. */
export const JOB_COMMANDS: Readonly<Record<string, JobsCliHandler>> = Object.freeze({
  launch: runLaunch,
  stop: runStop,
  rm: runRm,
  logs: runLogs,
  diff: runDiff,
  jobs: runJobs,
  setup: runSetup,
  resume: runResume,
});

/** The `jobs` table: one line per job, remote text made inert. */
export function jobsTable(jobs: readonly Job[], now: number): string {
  if (jobs.length === 0) return 'no jobs\n';
  const rows = [['JOB', 'STATE', 'KIND', 'PARAMS', 'AGE', 'SESSION']];
  for (const job of jobs) {
    rows.push([
      job.key,
      stateCell(job),
      kindLabel(job),
      Object.entries(job.params).map(([k, v]) => `${k}=${v}`).join(' '),
      job.createdAt === undefined ? '-' : formatAge(now / 1000 - job.createdAt),
      job.session ? `${job.session.name} ${job.session.id}` : '-',
    ].map((cell) => sanitizeLine(cell).slice(0, 60)));
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function stateCell(job: Job): string {
  if (job.state === 'failed') return `failed (exit ${job.exitCode})`;
  if (job.state === 'exited') return 'exited ok';
  if (job.state === 'waiting') return `waiting: ${job.reason}`;
  return job.state;
}

function single(positionals: readonly string[], what: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new Usage(positionals.length === 0 ? `name a ${what}` : `expected one ${what}, got ${positionals.length}`);
  return positionals[0];
}

function attachInTerminal(command: AttachCommand): Promise<number> {
  const [file, ...args] = command.argv;
  if (!file) return Promise.resolve(JOB_EXIT.failed);
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit', env: { ...process.env, ...command.env } });
    child.on('error', () => resolve(JOB_EXIT.failed));
    child.on('close', (code) => resolve(code ?? JOB_EXIT.failed));
  });
}
