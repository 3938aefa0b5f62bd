/**
 * `mission-control send JOB TEXT…`: a reply to a job without attaching. The words are typed into the job's pane
 * literally (joined by spaces), then Enter; `--no-enter` leaves the line unsubmitted; `--keys` sends the words as
 * tmux key names instead (`send JOB --keys Down Enter`).
 */
import { parseArgs } from 'node:util';
import { inputProblem, sendToJob, type JobInput } from '../app/job-input.js';
import { createJobActions } from '../jobs/actions.js';
import { guarded, JOB_EXIT, type JobsCliHandler } from '../jobs/cli.js';
import { resolveJobSettings } from '../jobs/kinds.js';
import { JobRequestError } from '../jobs/params.js';
import { describeTarget, targetOf } from '../state/job-target.js';
import { sanitizeLine } from '../text/sanitize.js';

/** The usage line of `send`, for the top-level help. */
export const SEND_HELP = `  mission-control send JOB TEXT… [--no-enter]
  mission-control send JOB --keys KEY…
                                       reply to a job without attaching: TEXT typed into its pane as is,
                                       then Enter (--no-enter: not); --keys: tmux key names (Enter, C-c, y);
                                       -- before TEXT that starts with -
`;

/** What the words of `send` ask to type. */
export function sendInput(words: readonly string[], options: { readonly keys?: boolean; readonly enter?: boolean }): JobInput {
  if (options.keys) {
    if (options.enter === false) throw new JobRequestError('--no-enter does not apply to --keys: name Enter among the keys when it is wanted');
    return { keys: words };
  }
  return { text: words.join(' '), ...(options.enter === false ? {} : { keys: ['Enter'] }) };
}

/** `send JOB TEXT… [--no-enter]`, `send JOB --keys KEY…`. */
export const runSend: JobsCliHandler = (fleet, args, io, settings) =>
  guarded(io, 'send', async () => {
    let parsed;
    try {
      parsed = parseArgs({ args: [...args], options: { keys: { type: 'boolean' }, 'no-enter': { type: 'boolean' } }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new JobRequestError(error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error));
    }
    const [ref, ...words] = parsed.positionals;
    if (!ref) throw new JobRequestError('name a JOB and what to send: mission-control send JOB TEXT');
    if (words.length === 0) throw new JobRequestError(parsed.values.keys ? 'name the keys to send, e.g. --keys Enter' : 'give the TEXT to send');
    const input = sendInput(words, { keys: parsed.values.keys ?? false, enter: !parsed.values['no-enter'] });
    const problem = inputProblem(input);
    if (problem) throw new JobRequestError(problem);
    const job = await createJobActions(fleet, settings ?? resolveJobSettings()).find(ref);
    const provider = fleet.provider(job.worker);
    if (!provider) throw new Error(`there is no worker named ${job.worker}`);
    const target = targetOf(job);
    await sendToJob(provider, target, input);
    io.stdout.write(`sent to ${sanitizeLine(describeTarget(target))}${job.state === 'waiting' ? ` (it was waiting: ${sanitizeLine(job.reason)})` : ''}\n`);
    return JOB_EXIT.ok;
  });
