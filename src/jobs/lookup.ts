/**
 * Finding a job from what the user typed: `worker/id`, an id, or a unique prefix of either. Pure.
 */
import type { Job } from '../state/types.js';

/** The reference matches no job, or more than one. */
export class JobLookupError extends Error {
  override readonly name = 'JobLookupError';
}

/** The one job `ref` names among `jobs`: an exact key or id wins, else a unique prefix of a key or id. */
export function findJob(jobs: readonly Job[], ref: string): Job {
  const exact = jobs.filter((job) => job.key === ref || job.id === ref);
  if (exact.length === 1) return exact[0]!;
  if (exact.length > 1) throw ambiguous(ref, exact);
  const prefixed = jobs.filter((job) => job.key.startsWith(ref) || job.id.startsWith(ref));
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1) throw ambiguous(ref, prefixed);
  throw new JobLookupError(`no job matches ${JSON.stringify(ref)}; see \`mission-control jobs\``);
}

function ambiguous(ref: string, jobs: readonly Job[]): JobLookupError {
  const names = jobs.slice(0, 8).map((job) => job.key);
  const more = jobs.length > names.length ? `, and ${jobs.length - names.length} more` : '';
  return new JobLookupError(`${JSON.stringify(ref)} matches ${jobs.length} jobs: ${names.join(', ')}${more}; type more of it, or worker/id`);
}
