import type { ProgressReporter } from '../../providers/types.js';
import { sanitizeLine } from '../../text/sanitize.js';
import type { Dashboard } from '../dashboard.js';

/** One line a person can read for any thrown value; remote text made inert. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const hint = 'hint' in error && typeof error.hint === 'string' && !error.message.includes(error.hint) ? ` (${error.hint})` : '';
    return sanitizeLine(`${error.message}${hint}`);
  }
  return sanitizeLine(String(error));
}

/**
 * Runs a long operation in the background: it shows in place with its latest step while it runs, and the
 * outcome as a notice when it ends. Never awaited by a key handler, so input stays live.
 */
export function track<T>(
  dashboard: Dashboard,
  label: string,
  run: (progress: ProgressReporter) => Promise<T>,
  done?: (result: T) => string,
): Promise<T | undefined> {
  const ui = dashboard.ui.getState();
  const id = ui.startOperation(label);
  const progress: ProgressReporter = (step) => dashboard.ui.getState().reportOperation(id, sanitizeLine(step));
  return run(progress).then(
    (result) => {
      const store = dashboard.ui.getState();
      store.finishOperation(id);
      store.notify(done ? done(result) : `${label}: done`);
      return result;
    },
    (error: unknown) => {
      const text = errorText(error);
      const store = dashboard.ui.getState();
      store.finishOperation(id, text);
      store.notify(`${label} failed: ${text}`, 'error');
      return undefined;
    },
  );
}
