/**
 * The byte stream an SSH connection runs over: a TCP socket (made by ssh2 itself), the stdio of the
 * user's ProxyCommand, or a channel forwarded through a ProxyJump host's own pooled connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { ConnectionPath } from '../providers/types.js';
import { isSshError, SshError } from './errors.js';
import { resolveSshTarget, type SshTarget } from './target.js';

/** An open path to the target's sshd. */
export interface Transport {
  /** The stream for ssh2's `sock` option; undefined for a direct TCP connection. */
  readonly sock?: Duplex;
  readonly path: ConnectionPath;
  /** Extra words for a failure message (e.g. what the ProxyCommand printed before it exited). */
  describeFailure(): string;
  /** Ends the proxy process or the forwarded channel. */
  dispose(): void;
}

/** Something that can open a forwarded channel to host:port: a pooled connection to a jump host. */
export interface JumpHost {
  forwardOut(host: string, port: number): Promise<Duplex>;
}

/** How a connection reaches other pooled connections (for ProxyJump). */
export type JumpHostLookup = (target: SshTarget) => JumpHost;

/** Which path a target's connections take. */
export function connectionPath(target: SshTarget): ConnectionPath {
  if (target.proxyJump) return 'proxy-jump';
  if (target.proxyCommand) return 'proxy-command';
  return 'direct';
}

/** Opens the transport for one connection attempt. */
export async function openTransport(target: SshTarget, jumpHost: JumpHostLookup): Promise<Transport> {
  if (target.proxyJump) return openJump(target, jumpHost);
  if (target.proxyCommand) return openProxyCommand(target.proxyCommand);
  return { path: 'direct', describeFailure: () => '', dispose: () => undefined };
}

/**
 * `ProxyJump a,b,c` means: reach c through b through a. Like OpenSSH, we resolve the last hop with the
 * same ssh config, give it the remaining hops as its own ProxyJump, and forward a channel through it.
 */
export async function resolveJumpHost(target: SshTarget): Promise<SshTarget> {
  const hops = target.proxyJump!.split(',').map((hop) => hop.trim()).filter(Boolean);
  const last = hops.pop();
  const match = last && /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(last);
  if (!match) {
    throw new SshError('unreachable', target.label, `cannot parse ProxyJump ${JSON.stringify(target.proxyJump)}`, {
      hint: 'Write it as [user@]host[:port], several separated by commas',
    });
  }
  const [, user, rawHost, port] = match;
  const resolved = await resolveSshTarget({
    host: rawHost!.replace(/^\[|\]$/g, ''),
    ...(user ? { user } : {}),
    ...(port ? { port: Number(port) } : {}),
    ...(target.sshConfigFile ? { sshConfigFile: target.sshConfigFile } : {}),
  });
  // Labelled as the user wrote the hop, which is how they will recognise it in a message.
  if (hops.length === 0) return { ...resolved, label: last! };
  const { proxyCommand: _ignored, ...rest } = resolved;
  return { ...rest, label: last!, proxyJump: hops.join(',') };
}

async function openJump(target: SshTarget, jumpHost: JumpHostLookup): Promise<Transport> {
  let jumpTarget: SshTarget;
  try {
    jumpTarget = await resolveJumpHost(target);
  } catch (error) {
    if (isSshError(error)) throw error;
    throw new SshError('unreachable', target.label, `cannot resolve its ProxyJump host: ${(error as Error).message}`, { cause: error });
  }
  let channel: Duplex;
  try {
    channel = await jumpHost(jumpTarget).forwardOut(target.host, target.port);
  } catch (error) {
    if (!isSshError(error)) throw error;
    throw new SshError(error.kind, target.label, `cannot go through jump host ${error.target}: ${error.detail}`, {
      hint: error.hint,
      cause: error,
    });
  }
  return {
    sock: channel,
    path: 'proxy-jump',
    describeFailure: () => `through jump host ${jumpTarget.label}`,
    dispose: () => channel.destroy(),
  };
}

function openProxyCommand(command: string): Transport {
  // The command is the user's own ssh config string, so it is run by a shell exactly as ssh would.
  const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let exit = '';
  child.stderr!.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-2000);
  });
  child.on('exit', (code, signal) => {
    exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  });
  child.on('error', (error) => {
    exit = `could not start: ${error.message}`;
  });
  const sock = new ProcessStream(child);
  return {
    sock,
    path: 'proxy-command',
    describeFailure: () => {
      const said = stderr.trim().split('\n').slice(-3).join(' / ');
      // Only the program's name: the rest of a ProxyCommand can hold tokens that do not belong in messages.
      const program = command.trim().split(/\s+/).find((word) => word !== 'exec') ?? 'sh';
      return `ProxyCommand (${program} …) ${exit || 'stopped answering'}${said ? `: ${said}` : ''}`;
    },
    dispose: () => sock.destroy(),
  };
}

/** A child process's stdin and stdout as one Duplex, the shape ssh2 wants for `sock`. */
class ProcessStream extends Duplex {
  constructor(private readonly child: ChildProcess) {
    super();
    child.stdout!.on('data', (data: Buffer) => {
      if (!this.push(data)) child.stdout!.pause();
    });
    child.stdout!.on('end', () => this.push(null));
    // A proxy that exits makes writes fail with EPIPE; the connection notices the end of stdout instead.
    child.stdin!.on('error', () => undefined);
  }

  override _read(): void {
    this.child.stdout!.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.child.stdin!.destroyed) return callback();
    this.child.stdin!.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin!.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    this.child.stdin!.destroy();
    this.child.stdout!.destroy();
    this.child.stderr!.destroy();
    callback(error);
  }
}
