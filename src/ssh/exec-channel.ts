/**
 * One command on its own exec channel. The command runs under `sh` (whatever the login shell is) and
 * first reports its process id on stderr, so a command that times out can be killed on the worker:
 * closing an SSH channel does not stop the process behind it, and OpenSSH ignores signal requests.
 */
import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import type { ExecResult } from '../providers/types.js';
import { ChannelOpenRefused } from './errors.js';
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
}

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
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];

    const settle = (error: unknown, result?: ExecResult) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (result) resolve(result);
      else reject(error);
    };
    const onAbort = () => {
      if (settled) return;
      channel?.close();
      if (pid !== undefined) hooks.kill(pid);
      settle(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const onChannel = (error: Error | undefined, opened: ClientChannel) => {
      if (error) return settle(new ChannelOpenRefused(error));
      channel = opened;
      // Aborted while the channel was opening: the command has not reported its pid yet, so it cannot be killed.
      if (settled) return void opened.close();
      opened.on('data', (data: Buffer) => stdout.push(data));
      opened.stderr.on('data', (data: Buffer) => {
        stderr.push(data);
        if (pid === undefined) pid = findPid(Buffer.concat(stderr).toString('latin1'), tag);
      });
      opened.on('exit', (code: number | null, signalName?: string) => {
        exit = signalName ? { code: null, signal: signalName } : { code };
      });
      opened.on('error', () => undefined);
      opened.on('close', () => {
        if (!exit) return settle(hooks.lost());
        const text = Buffer.concat(stderr).toString('utf8');
        settle(undefined, {
          ...exit,
          stdout: Buffer.concat(stdout).toString('utf8'),
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
