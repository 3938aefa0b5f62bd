/**
 * Finding a job from what the user typed: its key (`worker/id`, or `worker/$3` for a session with no record), an
 * id, the name of a session with no record, or a unique prefix of a key or id. Pure.
 */
import { shellQuote } from '../ssh/quote.js';
import type { Job } from '../state/types.js';

/** The reference matches no job, or more than one. */
export class JobLookupError extends Error {
  override readonly name = 'JobLookupError';
}

/**
 * The one job `ref` names among `jobs`. A key names its job alone (keys are unique); else an exact id, session
 * name of a session with no record, or `worker/session name`; else a unique prefix of a key or id.
 */
export function findJob(jobs: readonly Job[], ref: string): Job {
  const byKey = jobs.find((job) => job.key === ref);
  if (byKey) return byKey;
  const exact = jobs.filter((job) => job.id === ref || (job.adhoc && job.session !== undefined && (job.session.name === ref || `${job.worker}/${job.session.name}` === ref)));
  if (exact.length === 1) return exact[0]!;
  if (exact.length > 1) throw ambiguous(ref, exact);
  // `worker/` alone (what a shell leaves of an unquoted `worker/$3`) names no job: never take it as a prefix.
  const prefixed = ref.endsWith('/') || ref === '' ? [] : jobs.filter((job) => job.key.startsWith(ref) || job.id.startsWith(ref));
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1) throw ambiguous(ref, prefixed);
  const hint = ref.endsWith('/') ? ` (a key with $ in it, such as ${shellQuote(`${ref}$3`)}, must be quoted in the shell)` : '';
  throw new JobLookupError(`no job matches ${JSON.stringify(ref)}${hint}; see \`mission-control jobs\``);
}

/** How a job is written on a command line: its key, quoted when the shell would change it (`'local/$3'`). */
export function jobArgument(job: Job): string {
  return shellQuote(job.key);
}

function ambiguous(ref: string, jobs: readonly Job[]): JobLookupError {
  const names = jobs.slice(0, 8).map((job) => (job.adhoc && job.session ? `${jobArgument(job)} (session ${job.session.name}, no record)` : jobArgument(job)));
  const more = jobs.length > names.length ? `, and ${jobs.length - names.length} more` : '';
  return new JobLookupError(`${JSON.stringify(ref)} matches ${jobs.length} jobs: ${names.join(', ')}${more}; name one by its key`);
}
