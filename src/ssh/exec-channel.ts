/**
 * One command on its own exec channel. The command runs under `sh` (whatever the login shell is) and
 * first reports its process id on stderr, so a command that times out can be killed on the worker:
 * closing an SSH channel does not stop the process behind it, and OpenSSH ignores signal requests.
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
}

/** The pid line comes first on stderr (after anything the login shell's rc files print): looked for only in this much of it. */
const PID_LINE_WITHIN = 64 * 1024;

/**
 * Wraps a command line so it runs under `sh -c` and reports its pid first. `exec` keeps the pid of the
 * login shell sshd started, and sshd makes that process a session (and process group) leader, so the pid
 * names the group of everything the command starts.
 */
export function wrapForPid(commandLine: string, tag: string): string {
  return `exec sh -c ${shellQuote(`printf '%s %s\\n' ${tag} "$$" >&2\n${commandLine}`)}`;
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
      opened.on('data', (data: Buffer) => collect('stdout', data));
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
      // No stdin means end of input at once, so a command that reads stdin sees EOF rather than hanging.
      if (options.stdin !== undefined) opened.end(options.stdin);
      else opened.end();
    };
    try {
      client.exec(wrapForPid(commandLine, tag), onChannel);
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
