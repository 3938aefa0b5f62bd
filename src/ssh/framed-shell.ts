/**
 * One long-lived `sh` on one exec channel (no pty), running scripts one after another. Each script's
 * output is followed by a line with a random per-call marker and the exit status, so a poll costs one
 * round trip and no channel open. The marker is new for every call, so no output can fake the end of a frame.
 */
import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { ChannelOpenRefused } from './errors.js';
import { FrameReader } from './frame-reader.js';
import { OutputLimitError, outputCap } from './output-limit.js';
import { shellQuote } from './quote.js';

/** A script's output, byte for byte, and its exit status. */
export interface RunResult {
  readonly code: number;
  /** stdout, with stderr merged into it unless it was asked for apart. */
  readonly output: string;
  /** stderr, when it was asked for apart. */
  readonly stderr?: string;
}

/** What a {@link FramedShell} needs from its connection. */
export interface FramedShellHooks {
  /** The error for calls in flight when the shell's channel closes. */
  lost(): Error;
}

/** Options for {@link FramedShell.run}. */
export interface FramedRunOptions {
  /** Keeps stderr apart (in `stderr`) instead of merged into `output`. */
  readonly separateStderr?: boolean;
  /**
   * The most the script may print on each of stdout and stderr; default 16 MiB. Past it the call rejects with an
   * {@link OutputLimitError}; the script may still be running, so the caller must close this shell.
   */
  readonly maxOutputBytes?: number;
}

interface Frame {
  readonly reader: FrameReader;
  /** Set when stderr is framed too: its reader, and what came before its marker once it has. */
  readonly errReader: FrameReader | undefined;
  errOutput: Buffer | undefined;
  out: { status: number; output: Buffer } | undefined;
  readonly limit: number;
  resolve(frame: { status: number; output: Buffer; stderr: Buffer }): void;
  reject(error: unknown): void;
}

/** A shell channel that runs one framed script at a time; the caller queues. */
export class FramedShell {
  readonly #channel: ClientChannel;
  readonly #hooks: FramedShellHooks;
  #frame: Frame | undefined;
  #closed = false;
  readonly #closeListeners: Array<() => void> = [];
  /** The shell's pid on the worker, which is also its process group (sshd makes it a session leader). */
  pid = 0;

  private constructor(channel: ClientChannel, hooks: FramedShellHooks) {
    this.#channel = channel;
    this.#hooks = hooks;
    channel.on('data', (data: Buffer) => this.#onData(data));
    // A script's stderr, when it is not merged into stdout; otherwise only the shell's own, which we do not need.
    channel.stderr.on('data', (data: Buffer) => this.#onErrData(data));
    channel.on('error', () => undefined);
    channel.on('close', () => {
      this.#closed = true;
      this.#frame?.reject(this.#hooks.lost());
      this.#frame = undefined;
      for (const listener of this.#closeListeners.splice(0)) listener();
    });
  }

  /**
   * Opens `sh` on a new channel and learns its pid (discarding anything the login shell's rc files print).
   * Rejects with {@link ChannelOpenRefused} when the server refuses the channel.
   */
  static open(client: Client, signal: AbortSignal, hooks: FramedShellHooks): Promise<FramedShell> {
    return new Promise((resolve, reject) => {
      signal.throwIfAborted();
      let aborted = false;
      const onAbort = () => {
        aborted = true;
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        client.exec('exec sh', (error, channel) => {
          if (error) {
            signal.removeEventListener('abort', onAbort);
            return reject(new ChannelOpenRefused(error));
          }
          const shell = new FramedShell(channel, hooks);
          if (aborted) return shell.close();
          shell
            .#frameOut((marker) => `printf '\\n%s %d\\n' ${marker} "$$"\n`, signal, outputCap(undefined))
            .then(({ status }) => {
              shell.pid = status;
              resolve(shell);
            })
            .catch((reason: unknown) => {
              shell.close();
              reject(reason);
            })
            .finally(() => signal.removeEventListener('abort', onAbort));
        });
      } catch {
        signal.removeEventListener('abort', onAbort);
        reject(hooks.lost());
      }
    });
  }

  /** False once the channel has closed; a closed shell is never reused. */
  get alive(): boolean {
    return !this.#closed;
  }

  /** Calls `listener` once when the channel closes (at once if it already has). */
  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#closeListeners.push(listener);
  }

  /**
   * Runs one script. It runs in a subshell via `eval`, so a syntax error, `exit`, `cd` or `set -e` in it
   * ends or changes only that subshell, never the long-lived shell; stdin is /dev/null so it cannot eat
   * the frames that follow. On abort the promise rejects with the signal's reason and the caller must
   * close this shell (the script may still be running in it); the same holds when it printed more than its cap.
   */
  async run(script: string, signal: AbortSignal, options: FramedRunOptions = {}): Promise<RunResult> {
    const limit = outputCap(options.maxOutputBytes);
    if (options.separateStderr) {
      // stderr stays on the channel's own stderr stream, framed there by a marker line of its own.
      const { status, output, stderr } = await this.#frameOut(
        (marker) => `( eval ${shellQuote(script)} ) </dev/null; s=$?; printf '\\n%s\\n' ${marker} >&2; printf '\\n%s %d\\n' ${marker} "$s"\n`,
        signal,
        limit,
        true,
      );
      return { code: status, output: output.toString('utf8'), stderr: stderr.toString('utf8') };
    }
    const { status, output } = await this.#frameOut(
      (marker) => `( eval ${shellQuote(script)} ) </dev/null 2>&1; printf '\\n%s %d\\n' ${marker} "$?"\n`,
      signal,
      limit,
    );
    return { code: status, output: output.toString('utf8') };
  }

  /** Closes the channel (the worker's `sh` sees end of input and exits once its current script ends). */
  close(): void {
    if (!this.#closed) this.#channel.close();
  }

  /** Writes the text `render` makes for a fresh marker, and waits for that marker's line. */
  #frameOut(
    render: (marker: string) => string,
    signal: AbortSignal,
    limit: number,
    separateStderr = false,
  ): Promise<{ status: number; output: Buffer; stderr: Buffer }> {
    if (this.#closed) return Promise.reject(this.#hooks.lost());
    if (this.#frame) return Promise.reject(new Error('FramedShell.run called while another script is running'));
    signal.throwIfAborted();
    const marker = `mc-end-${randomBytes(12).toString('hex')}`;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#frame = undefined;
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      // Bytes that arrive between frames belong to no call (e.g. a background job a script left behind): they are dropped.
      this.#frame = {
        reader: new FrameReader(Buffer.from(`\n${marker} `), limit, true),
        errReader: separateStderr ? new FrameReader(Buffer.from(`\n${marker}\n`), limit, false) : undefined,
        errOutput: undefined,
        out: undefined,
        limit,
        resolve: (frame) => (done(), resolve(frame)),
        reject: (error) => (done(), reject(error)),
      };
      this.#channel.write(render(marker));
    });
  }

  #onErrData(data: Buffer): void {
    const frame = this.#frame;
    if (!frame?.errReader || frame.errOutput) return;
    const progress = frame.errReader.push(data);
    if (progress === 'more') return;
    if (progress === 'over') return this.#overflow(frame);
    frame.errOutput = progress.output;
    this.#settle(frame);
  }

  /** Resolves the frame once stdout's marker (and stderr's, when framed) have both arrived. */
  #settle(frame: Frame): void {
    if (!frame.out || (frame.errReader && !frame.errOutput)) return;
    this.#frame = undefined;
    frame.resolve({ ...frame.out, stderr: frame.errOutput ?? Buffer.alloc(0) });
  }

  /** The script printed more than its cap: the call fails, and what it printed is dropped. */
  #overflow(frame: Frame): void {
    this.#frame = undefined;
    frame.reject(new OutputLimitError('a script', frame.limit));
  }

  #onData(data: Buffer): void {
    const frame = this.#frame;
    if (!frame || frame.out) return;
    const progress = frame.reader.push(data);
    if (progress === 'more') return;
    if (progress === 'over') return this.#overflow(frame);
    // The newline printed before the marker is ours, not the script's: the reader dropped exactly that one.
    frame.out = { status: Number(progress.trailer), output: progress.output };
    this.#settle(frame);
  }
}
