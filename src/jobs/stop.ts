/**
 * Stopping a job: interrupt (C-c to its pane, by pane id) and wait a grace period checking the pane; then TERM,
 * then KILL, to every process of the pane's process session except the wrapper; then kill the session (by id).
 *
 * Killing the tmux session alone is not enough: closing the pane's terminal sends SIGHUP to its session leader
 * only (the wrapper, which must survive to record the code), so a job that never touches its terminal would run
 * on, unseen. Signalling the processes also means the wrapper records an exit code every time: 130 after C-c,
 * 143 after TERM, 137 after KILL (for a job that does not handle them).
 */
import type { ProgressReporter, WorkerProvider } from '../providers/types.js';
import type { SessionIdentity } from '../state/job-target.js';
import { sanitizeLine } from '../text/sanitize.js';
import { firstLine, JobStepError, noTmuxServer, runScript, runTmux, signalSessionLines, type FoundSession } from './remote.js';

/** How a stop went. */
export type StopOutcome = 'not-running' | 'interrupted' | 'terminated' | 'killed';

/** Options for {@link stopSession}. */
export interface StopOptions {
  /** How long the job gets to end after the interrupt; default 10 s. */
  readonly graceMs?: number;
  /** How long after TERM before KILL; default 3 s. */
  readonly termGraceMs?: number;
  /** How often the pane is checked; default 200 ms. */
  readonly pollMs?: number;
}

/**
 * Stops the job running in the session `expected` (by its id, checked against the name and creation time the
 * scan saw; see {@link locateSession}).
 */
export async function stopSession(
  provider: WorkerProvider,
  expected: SessionIdentity,
  options: StopOptions = {},
  progress: ProgressReporter = () => undefined,
): Promise<StopOutcome> {
  const found = await locateSession(provider, expected, 'stop');
  if (!found) return 'not-running';
  const grace = options.graceMs ?? 10_000;
  if (!found.paneDead) {
    progress(`${provider.name}: interrupting ${expected.id} (${sanitizeLine(expected.name)}) with C-c; it gets ${Math.round(grace / 1000)}s to end`);
    await sendInterrupt(provider, found.paneId);
    // Interactive agents ask for a second C-c before they quit.
    const again = Math.min(1000, grace / 2);
    if (await paneEnds(provider, found.paneId, again, options.pollMs)) return 'interrupted';
    await sendInterrupt(provider, found.paneId);
    if (await paneEnds(provider, found.paneId, grace - again, options.pollMs)) return 'interrupted';
  }
  return terminateSession(provider, expected, found, options, progress);
}

const US = '\x1f';

/**
 * Finds the session `expected` by its id and checks it is still the one the scan saw: same name, same creation
 * time. Undefined when it is gone (the job ended). Throws, touching nothing, when the id now belongs to another
 * session, or the name to a session with another id: acting then would hit a job the user did not choose.
 */
export async function locateSession(provider: WorkerProvider, expected: SessionIdentity, step: string): Promise<FoundSession | undefined> {
  const format = ['#{session_id}', '#{session_created}', '#{pane_id}', '#{pane_dead}', '#{pane_pid}', '#{session_name}'].join(US);
  const result = await runTmux(provider, ['list-panes', '-a', '-F', format], step);
  if (noTmuxServer(result)) return undefined;
  if (result.code !== 0) throw new JobStepError(step, provider.name, `tmux list-panes: ${firstLine(result)}`);
  const rows = result.stdout
    .split('\n')
    .map((line) => line.split(US))
    .filter((fields) => fields.length >= 6)
    .map(([sessionId = '', created = '', paneId = '', dead = '', pid = '', ...name]) => ({ sessionId, created: Number(created), paneId, dead, pid, name: name.join(US) }));
  const row = rows.find((r) => r.sessionId === expected.id);
  const shown = `${expected.id} (${sanitizeLine(expected.name)})`;
  const hint = 'it changed since the list was read; refresh and choose again';
  if (row) {
    if (row.name !== expected.name) {
      throw new JobStepError(step, provider.name, `session ${expected.id} is now named ${sanitizeLine(row.name)}, not ${sanitizeLine(expected.name)}: left alone`, hint);
    }
    if (expected.created !== undefined && row.created !== expected.created) {
      throw new JobStepError(step, provider.name, `session ${shown} was created again since it was listed: left alone`, hint);
    }
    return { sessionId: row.sessionId, paneId: row.paneId, paneDead: row.dead === '1', panePid: /^\d+$/.test(row.pid) ? Number(row.pid) : undefined };
  }
  const renamed = rows.find((r) => r.name === expected.name);
  if (renamed) {
    throw new JobStepError(step, provider.name, `session ${shown} is gone, and ${renamed.sessionId} now has its name: left alone`, hint);
  }
  return undefined;
}

/**
 * Ends a session now: TERM, then KILL, to its processes (not the wrapper), then `kill-session` by id, after
 * checking again that the id still names `expected` (the grace periods leave time for the server to be restarted).
 */
export async function terminateSession(
  provider: WorkerProvider,
  expected: SessionIdentity,
  found: FoundSession,
  options: Pick<StopOptions, 'termGraceMs' | 'pollMs'> = {},
  progress: ProgressReporter = () => undefined,
): Promise<'terminated' | 'killed'> {
  let outcome: 'terminated' | 'killed' = 'terminated';
  if (!found.paneDead && found.panePid !== undefined) {
    progress(`${provider.name}: terminating the processes of session ${found.sessionId}`);
    await signalSession(provider, found.panePid, 'TERM');
    if (!(await paneEnds(provider, found.paneId, options.termGraceMs ?? 3000, options.pollMs))) {
      progress(`${provider.name}: killing the processes of session ${found.sessionId}`);
      outcome = 'killed';
      await signalSession(provider, found.panePid, 'KILL');
      await paneEnds(provider, found.paneId, 1000, options.pollMs);
    }
  }
  if (!(await locateSession(provider, expected, 'stop'))) return outcome;
  const killed = await runTmux(provider, ['kill-session', '-t', found.sessionId], 'stop');
  if (killed.code !== 0 && !noTmuxServer(killed) && !/can't find session/.test(killed.stderr)) {
    throw new JobStepError('stop', provider.name, `tmux kill-session ${found.sessionId}: ${firstLine(killed)}`);
  }
  return outcome;
}

/** Sends `signal` to every process of the session `leader` leads, except the leader (the wrapper). */
async function signalSession(provider: WorkerProvider, leader: number, signal: 'TERM' | 'KILL'): Promise<void> {
  await runScript(provider, [`sid=${leader}`, ...signalSessionLines(signal), 'exit 0'].join('\n'), { step: 'stop' });
}

async function sendInterrupt(provider: WorkerProvider, paneId: string): Promise<void> {
  const sent = await runTmux(provider, ['send-keys', '-t', paneId, 'C-c'], 'stop');
  if (sent.code !== 0 && !noTmuxServer(sent) && !/can't find pane/.test(sent.stderr)) {
    throw new JobStepError('stop', provider.name, `tmux send-keys to ${paneId}: ${firstLine(sent)}`);
  }
}

/** Polls until the pane is gone or dead (true), or `withinMs` passes (false). */
async function paneEnds(provider: WorkerProvider, paneId: string, withinMs: number, pollMs = 200): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    // display-message answers even when the pane is gone (about some other pane): check the id it reports.
    const result = await runTmux(provider, ['display-message', '-p', '-t', paneId, '#{pane_id} #{pane_dead}'], 'stop');
    if (result.code !== 0 || result.stdout.trim() !== `${paneId} 0`) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}
