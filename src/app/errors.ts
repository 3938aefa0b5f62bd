import { sanitizeLine } from '../text/sanitize.js';

/** One line a person can read for any thrown value (remote text made inert). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const hint = 'hint' in error && typeof error.hint === 'string' && error.hint && !error.message.includes(error.hint) ? ` (${error.hint})` : '';
    return sanitizeLine(`${error.message}${hint}`);
  }
  return sanitizeLine(String(error));
}
