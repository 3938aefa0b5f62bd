/**
 * One command on its own exec channel. The command runs under `sh` (whatever the login shell is) and
 * first reports its process id on stderr, so a command that times out can be killed on the worker:
 * closing an SSH channel does not stop the process behind it, and OpenSSH ignores signal requests.
 *
 * sshd hands the exec request to the user's login shell (`$SHELL -c REQUEST`), and login shells disagree
 * about quoting: fish reads `\'` inside single quotes as a quote, csh and tcsh reject a newline inside
 * quotes. So the request is only ever the two plain words `exec sh`, which every shell reads alike, and
 * the command, with any input it is given, travels as a script on sh's standard input.
 */
import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import type { ExecResult } from '../providers/types.js';
import { ChannelOpenRefused } from './errors.js';
import { OutputCollector, OutputLimitError, outputCap } from './output-limit.js';
import { shellQuote } from './quote.js';

/** What {@link runExecChannel} needs from the connection it runs on. */
export interface ExecChannelHooks {
  /** The error to reject with when the channel closes without an exit status. */
  lost(): Error;
  /** Kills the process group `pid` on the worker (best effort). */
  kill(pid: number): void;
}

/** Options for {@link runExecChannel}. */
export interface ExecChannelOptions {
  readonly stdin?: string | Buffer;
  /** Aborting closes the channel, kills the command on the worker, and rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** Output past this (stdout and stderr together; default 16 MiB) does what an abort does, rejecting with an {@link OutputLimitError}. */
  readonly maxOutputBytes?: number;
  /** Names the command in an {@link OutputLimitError}. */
  readonly what?: string;
  /** Streams stdout here as it arrives instead of collecting it (a watcher); the cap then holds for stderr alone. */
  readonly onStdout?: (data: Buffer) => void;
}

/** What the exec request asks the login shell to run: plain words that every shell parses the same way. */
export const EXEC_REQUEST = 'exec sh';

/** The pid line comes first on stderr (after anything the login shell's rc files print): looked for only in this much of it. */
const PID_LINE_WITHIN = 64 * 1024;

/**
 * The script `sh` reads on standard input: report the pid, then run the command line. `exec` keeps the pid
 * of the login shell sshd started, and sshd makes that process a session (and process group) leader, so the
 * pid names the group of everything the command starts. The command line is one quoted word for `eval`, so
 * sh has read all of it before it runs; its standard input is `input` (written into the script, see
 * {@link inputLines}) or /dev/null, never the rest of the script.
 */
export function execScript(commandLine: string, tag: string, input?: string | Buffer): string {
  const report = `printf '%s %s\\n' ${tag} "$$" >&2`;
  const run = `eval ${shellQuote(commandLine)}`;
  if (input === undefined) return `${report}\n${run} </dev/null\n`;
  return `${report}\n{\n${inputLines(input).join('\n')}\n} | ${run}\n`;
}

/** The longest `printf` format one line of {@link inputLines} carries. */
const INPUT_LINE_CHARS = 4096;

/**
 * `printf` lines that write `input` byte for byte. Bytes other than printable ASCII, and `\`, `'`, `%` and a
 * leading `-`, are octal escapes in the format, which dash, bash, zsh and busybox ash all print alike (NUL
 * included), so no decoder (base64, xxd) has to exist on the worker.
 */
export function inputLines(input: string | Buffer): string[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const lines: string[] = [];
  let line = '';
  for (const byte of bytes) {
    // A format starting with `-` would read as an option to some printf builtins.
    const plain = byte >= 0x20 && byte <= 0x7e && byte !== 0x5c && byte !== 0x27 && byte !== 0x25 && !(byte === 0x2d && line === '');
    line += plain ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
    if (line.length >= INPUT_LINE_CHARS) {
      lines.push(`printf '${line}'`);
      line = '';
    }
  }
  if (line !== '' || lines.length === 0) lines.push(`printf '${line}'`);
  return lines;
}

/**
 * Runs `commandLine` on a new exec channel of `client` and collects its output and exit status.
 * Rejects with {@link ChannelOpenRefused} when the server refuses the channel (the caller may retry).
 */
export function runExecChannel(
  client: Client,
  commandLine: string,
  options: ExecChannelOptions,
  hooks: ExecChannelHooks,
): Promise<ExecResult> {
  const tag = `mc-pid-${randomBytes(8).toString('hex')}`;
  return new Promise((resolve, reject) => {
    const { signal } = options;
    let channel: ClientChannel | undefined;
    let settled = false;
    let pid: number | undefined;
    let exit: { code: number | null; signal?: string } | undefined;
    const output = new OutputCollector(outputCap(options.maxOutputBytes));
    let head = '';

    const settle = (error: unknown, result?: ExecResult) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (result) resolve(result);
      else reject(error);
    };
    const stop = (reason: unknown) => {
      if (settled) return;
      channel?.close();
      if (pid !== undefined) hooks.kill(pid);
      settle(reason);
    };
    const onAbort = () => stop(signal.reason);
    const collect = (stream: 'stdout' | 'stderr', data: Buffer) => {
      if (!output.add(stream, data)) stop(new OutputLimitError(options.what ?? 'a command', output.limitBytes));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const onChannel = (error: Error | undefined, opened: ClientChannel) => {
      if (error) return settle(new ChannelOpenRefused(error));
      channel = opened;
      // Aborted while the channel was opening: the command has not reported its pid yet, so it cannot be killed.
      if (settled) return void opened.close();
      const { onStdout } = options;
      opened.on('data', onStdout ? (data: Buffer) => onStdout(data) : (data: Buffer) => collect('stdout', data));
      opened.stderr.on('data', (data: Buffer) => {
        if (pid === undefined && head.length < PID_LINE_WITHIN) {
          head += data.subarray(0, PID_LINE_WITHIN).toString('latin1');
          pid = findPid(head, tag);
        }
        collect('stderr', data);
      });
      opened.on('exit', (code: number | null, signalName?: string) => {
        exit = signalName ? { code: null, signal: signalName } : { code };
      });
      opened.on('error', () => undefined);
      opened.on('close', () => {
        if (!exit) return settle(hooks.lost());
        const text = output.text('stderr');
        settle(undefined, {
          ...exit,
          stdout: output.text('stdout'),
          stderr: pid === undefined ? text : text.replace(`${tag} ${pid}\n`, ''),
        });
      });
      // The whole script, then end of input: sh runs it and exits; the command's own input is inside it.
      opened.end(execScript(commandLine, tag, options.stdin));
    };
    try {
      client.exec(EXEC_REQUEST, onChannel);
    } catch {
      // ssh2 throws synchronously when its socket is already gone.
      settle(hooks.lost());
    }
  });
}

function findPid(stderr: string, tag: string): number | undefined {
  const match = new RegExp(`${tag} (\\d+)\\n`).exec(stderr);
  return match ? Number(match[1]) : undefined;
}
