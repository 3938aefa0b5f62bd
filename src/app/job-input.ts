/**
 * Replying to a job without attaching: text typed into its pane (literally: `tmux send-keys -l`, so nothing in it
 * is read as a key name) and then named keys (Enter by default). The pane is the one of the session the user
 * chose, found by its id and checked against the name and creation time the scan saw, so a session that replaced
 * it is never typed into. tmux runs on the session host (inside the worker's container, through the provider).
 */
import { locateSession } from '../jobs/stop.js';
import { firstLine, JobStepError, noTmuxServer, runTmux } from '../jobs/remote.js';
import { tmuxArgument } from '../providers/tmux.js';
import type { WorkerProvider } from '../providers/types.js';
import { describeTarget, type JobTarget } from '../state/job-target.js';

/** What to type into a job's pane. */
export interface JobInput {
  /** Typed literally; one line (control characters are refused: send keys by name instead). */
  readonly text?: string;
  /** tmux key names sent after the text, e.g. `Enter`, `Escape`, `C-c`, `Down`, `y`. */
  readonly keys?: readonly string[];
}

/** A tmux key name: letters, digits and `-` `_` `+` (`C-c`, `M-Enter`, `BSpace`, `F5`), or one printable character. */
const KEY_NAME = /^(?:[A-Za-z0-9][A-Za-z0-9_+-]{0,31}|[!-~])$/;

/** Why `input` cannot be sent, or undefined when it can. */
export function inputProblem(input: JobInput): string | undefined {
  const text = input.text ?? '';
  const keys = input.keys ?? [];
  if (text === '' && keys.length === 0) return 'nothing to send: give text, or keys by name';
  if (/[\x00-\x1f\x7f-\x9f]/.test(text)) return 'the text contains a control character (a line break, a tab, an escape): send keys by name instead (--keys Enter)';
  const bad = keys.find((key) => !KEY_NAME.test(key));
  if (bad !== undefined) return `${JSON.stringify(bad)} is not a tmux key name (such as Enter, Escape, C-c, Down, y)`;
  if (text.length > 4096) return `the text is ${text.length} characters long; at most 4096 can be sent at once`;
  return undefined;
}

/** Types `input` into the pane of the job `target` on `provider`. Throws an error a person can act on. */
export async function sendToJob(provider: WorkerProvider, target: JobTarget, input: JobInput): Promise<void> {
  const problem = inputProblem(input);
  if (problem) throw new JobStepError('send', target.worker, problem);
  const name = describeTarget(target);
  if (!target.session) throw new JobStepError('send', target.worker, `${name} has no tmux session (the job ended)`, 'see its log instead');
  const found = await locateSession(provider, target.session, 'send');
  if (!found) throw new JobStepError('send', target.worker, `the session of ${name} is gone (the job ended)`, 'refresh and choose again');
  if (found.paneDead) throw new JobStepError('send', target.worker, `the program in ${name} has ended: nothing reads what is typed`);
  const steps: string[][] = [];
  if (input.text) steps.push(['send-keys', '-t', found.paneId, '-l', '--', tmuxArgument(input.text)]);
  if (input.keys && input.keys.length > 0) steps.push(['send-keys', '-t', found.paneId, '--', ...input.keys.map(tmuxArgument)]);
  for (const args of steps) {
    const result = await runTmux(provider, args, 'send');
    if (result.code !== 0) {
      const gone = noTmuxServer(result) || /can't find pane/.test(result.stderr);
      throw new JobStepError('send', target.worker, gone ? `the pane of ${name} is gone (the job ended)` : `tmux send-keys to ${found.paneId}: ${firstLine(result)}`);
    }
  }
}
