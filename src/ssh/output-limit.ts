/**
 * How much one command may print before it is stopped, for every transport (a child process here, an SSH exec
 * channel, the long-lived framed shell): a worker with a runaway script or a huge file must not make us buffer
 * without limit, and text past V8's string limit (~512 MiB) cannot even be decoded. Pure.
 */
import { formatBytes } from '../text/format.js';

/** What one command may print (stdout and stderr together) unless its caller sets its own cap. */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** No cap may be set above this: output past it could not be decoded into one string. */
export const HARD_MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** A command printed more than its cap and was stopped; what it printed is dropped. */
export class OutputLimitError extends Error {
  override readonly name = 'OutputLimitError';
  /** What it means and what to try next. */
  readonly hint = 'mission-control stops reading there; look on the worker for a runaway script or far more sessions or job records than expected';
  constructor(
    /** The command, as a short description (never its data). */
    readonly what: string,
    /** The cap, in bytes. */
    readonly limitBytes: number,
  ) {
    super(`${what} printed more than ${formatBytes(limitBytes)}, the most one command may return; it was stopped`);
  }
}

/** The cap to apply: the caller's, else the default, never above {@link HARD_MAX_OUTPUT_BYTES}. */
export function outputCap(maxOutputBytes: number | undefined): number {
  const asked = maxOutputBytes === undefined || !(maxOutputBytes >= 0) ? DEFAULT_MAX_OUTPUT_BYTES : Math.floor(maxOutputBytes);
  return Math.min(asked, HARD_MAX_OUTPUT_BYTES);
}

/**
 * A command's stdout and stderr, kept as lists of chunks (joined once, at the end) under one shared byte cap.
 * `add` returns false, and keeps nothing more, once the cap would be passed.
 */
export class OutputCollector {
  readonly #chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  #bytes = 0;
  #over = false;

  constructor(
    /** The cap, in bytes (see {@link outputCap}). */
    readonly limitBytes: number,
  ) {}

  /** True once a chunk passed the cap. */
  get over(): boolean {
    return this.#over;
  }

  /** Keeps `chunk`; false when it would pass the cap (the collector is then over and keeps nothing more). */
  add(stream: 'stdout' | 'stderr', chunk: Buffer): boolean {
    if (this.#over) return false;
    if (this.#bytes + chunk.length > this.limitBytes) {
      this.#over = true;
      this.#chunks.stdout = [];
      this.#chunks.stderr = [];
      return false;
    }
    this.#bytes += chunk.length;
    this.#chunks[stream].push(chunk);
    return true;
  }

  /** What a stream printed, decoded as UTF-8. */
  text(stream: 'stdout' | 'stderr'): string {
    return Buffer.concat(this.#chunks[stream]).toString('utf8');
  }
}
