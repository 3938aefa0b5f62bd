/**
 * The command that captures what a job's pane shows: `tmux capture-pane` on the worker's private
 * socket, run on the session host (inside the container when there is one).
 */
import { observation, type Observation } from '../../providers/types.js';
import { shellQuote } from '../../ssh/quote.js';
import { onSessionHost } from '../../providers/container.js';
import { tmuxPrefix } from '../session-host.js';

/** Starts the line that ends a capture's output and carries its exit status. */
export const CAPTURE_TRAILER = '@@MC-CAPTURE-STATUS@@';

/** The most history lines one capture may ask for. */
export const MAX_CAPTURE_LINES = 100_000;

/** What {@link buildCaptureCommand} needs. */
export interface CaptureCommandOptions {
  /** `-L name` or `-S path`: the worker's private tmux socket. */
  readonly tmuxSocketArgs: readonly string[];
  /** The container jobs run in, when the worker has one. */
  readonly container?: string;
  /** The pane, by id only (`%N`): names come from data and are never used as targets. */
  readonly paneId: string;
  /** How many lines of history above the visible screen to include. */
  readonly lines: number;
}

/**
 * Builds `tmux -u <socket> capture-pane -p -e -J -t %N -S -<lines>` (colours kept, wrapped lines
 * joined), followed by a trailer line with its exit status, for `sh -c` on the worker's host.
 */
export function buildCaptureCommand(opts: CaptureCommandOptions): Observation {
  if (!/^%\d+$/.test(opts.paneId)) throw new Error(`a pane is targeted by its id (%N), got ${JSON.stringify(opts.paneId)}`);
  if (!Number.isInteger(opts.lines) || opts.lines < 0 || opts.lines > MAX_CAPTURE_LINES) {
    throw new Error(`capture lines must be an integer from 0 to ${MAX_CAPTURE_LINES}, got ${opts.lines}`);
  }
  const capture = `${tmuxPrefix(opts.tmuxSocketArgs)} capture-pane -p -e -J -t ${shellQuote(opts.paneId)} -S -${opts.lines}`;
  // The trailer is printed last, outside the container, so the status is docker's when docker failed.
  const script = `(${onSessionHost(capture, opts.container)}; printf '\\n%s %s\\n' ${CAPTURE_TRAILER} "$?") </dev/null 2>&1`;
  return observation({ script });
}
