/**
 * Reads the output of the command made by `buildCaptureCommand`. Pure; never throws.
 */
import { CAPTURE_TRAILER } from './command.js';

/** What a pane capture yields. */
export type PaneCapture =
  /** The pane's lines, oldest first, with their escape sequences (colours) as tmux wrote them. */
  | { readonly kind: 'captured'; readonly lines: readonly string[] }
  /** The pane (or its whole tmux server) no longer exists. */
  | { readonly kind: 'gone'; readonly reason: string }
  /** Something else went wrong; `error` is what was said. */
  | { readonly kind: 'failed'; readonly error: string };

/** What tmux says when the pane or its server is gone. */
const GONE = /can't find pane|no server running on |error connecting to .*\((No such file or directory|Connection refused)\)/;

/** Reads one capture's output (stdout and stderr merged). */
export function parseCapture(output: string): PaneCapture {
  // The trailer is the last line: pane text that imitates it sits before the real one.
  const match = new RegExp(`\\n${CAPTURE_TRAILER} (\\d+)\\n?$`).exec(output);
  if (match === null) {
    return { kind: 'failed', error: output.trim() === '' ? 'the capture printed nothing' : 'the capture output was cut short' };
  }
  const body = output.slice(0, match.index);
  const status = Number(match[1]);
  if (status !== 0) {
    const text = body.trim().split('\n').slice(0, 3).join('\n').slice(0, 500);
    if (GONE.test(text)) return { kind: 'gone', reason: text };
    return { kind: 'failed', error: text === '' ? `capture-pane exited with status ${status}` : text };
  }
  if (body === '') return { kind: 'captured', lines: [] };
  // tmux ends every line with a newline; the last one is not the start of another line.
  const lines = (body.endsWith('\n') ? body.slice(0, -1) : body).split('\n');
  return { kind: 'captured', lines };
}
