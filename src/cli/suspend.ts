/**
 * `mission-control suspend WORKER`: puts a GCE worker's VM to sleep with its memory kept, so its jobs and the
 * agents waiting for the user carry on where they were once it is started again (by a launch, an attach, or `S`
 * in the dashboard); compute billing stops meanwhile.
 */
import { parseArgs } from 'node:util';
import { guarded, JOB_EXIT, progressTo, type JobsCliHandler } from '../jobs/cli.js';
import { JobRequestError } from '../jobs/params.js';
import { sanitizeLine } from '../text/sanitize.js';

/** The usage lines of `suspend`, for the top-level help and `suspend --help`. */
export const SUSPEND_HELP = `  mission-control suspend WORKER       suspend a GCE worker's VM: its memory is kept and compute billing
                                       stops; jobs and waiting agents carry on after a start (a launch, an
                                       attach, or S in the dashboard)
`;

/** `suspend WORKER`. */
export const runSuspend: JobsCliHandler = (fleet, args, io) =>
  guarded(io, 'suspend', async () => {
    let positionals: string[];
    try {
      positionals = parseArgs({ args: [...args], options: {}, allowPositionals: true, strict: true }).positionals;
    } catch (error) {
      throw new JobRequestError(error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error));
    }
    const [name, extra] = positionals;
    if (name === undefined || extra !== undefined) throw new JobRequestError('name one WORKER: mission-control suspend WORKER');
    const provider = fleet.provider(name);
    if (!provider) {
      const names = fleet.store.getState().workerOrder.join(', ');
      throw new JobRequestError(`there is no worker named ${JSON.stringify(name)} (workers: ${names})`);
    }
    await provider.suspend(progressTo(io));
    io.stdout.write(`${sanitizeLine(name)} is suspended: start it (or launch on it, or attach to one of its jobs) to resume it\n`);
    return JOB_EXIT.ok;
  });
