/**
 * Reading one job's record on the worker (`<stateDir>/jobs/<id>/meta.json` and `exit`), with the session host's
 * home so paths from config can be made absolute.
 */
import type { WorkerObserver } from '../providers/types.js';
import { shellPath } from '../scanners/session-host.js';
import { toJobMeta } from '../scanners/worker-scan/parse-jobs.js';
import type { JobMeta } from '../scanners/worker-scan/types.js';
import { shellQuote } from '../ssh/quote.js';
import { SAFE_NAME } from './params.js';
import { JobStepError, observeScript, output } from './remote.js';

/** A job's record as found on the worker. */
export interface JobRecordFile {
  /** The session host's `$HOME`. */
  readonly home: string;
  /** True when the job directory exists. */
  readonly exists: boolean;
  readonly meta: JobMeta | undefined;
  readonly exitCode: number | undefined;
}

/** Reads the record of job `id` in one remote command. */
export async function readJobRecord(provider: WorkerObserver, stateDir: string, id: string, step: string): Promise<JobRecordFile> {
  // Ids of sessions started by hand come from their names: never let one reach a path (`..`, `/`).
  if (!SAFE_NAME.test(id)) return { home: '', exists: false, meta: undefined, exitCode: undefined };
  const script = [
    `jd=${shellPath(stateDir)}/jobs/${shellQuote(id)}`,
    'printf \'HOME %s\\n\' "$HOME"',
    "[ -d \"$jd\" ] && printf 'DIR\\n'",
    "if [ -f \"$jd/meta.json\" ]; then printf 'META '; head -n 1 \"$jd/meta.json\"; echo; fi",
    "if [ -f \"$jd/exit\" ]; then printf 'EXIT '; head -n 1 \"$jd/exit\"; echo; fi",
    'exit 0',
  ].join('\n');
  const result = await observeScript(provider, script, { step });
  if (result.code !== 0) throw new JobStepError(step, provider.name, `cannot read the record of ${id}: ${output(result)}`);
  const lines = result.stdout.split('\n');
  const field = (name: string) => lines.find((line) => line.startsWith(`${name} `))?.slice(name.length + 1);
  let meta: JobMeta | undefined;
  const metaText = field('META');
  if (metaText !== undefined) {
    try {
      const parsed = toJobMeta(JSON.parse(metaText));
      meta = typeof parsed === 'string' ? undefined : parsed;
    } catch {
      meta = undefined;
    }
  }
  const exitText = field('EXIT')?.trim();
  return {
    home: field('HOME') ?? '',
    exists: lines.includes('DIR'),
    meta,
    exitCode: exitText !== undefined && /^-?\d{1,10}$/.test(exitText) ? Number(exitText) : undefined,
  };
}
