/**
 * The two ways to a GCE worker's sshd: the fast path (the user's SSH alias, or the VM's address from the Compute
 * API) and the IAP fallback (`gcloud compute start-iap-tunnel … --listen-on-stdin` as the connection's transport).
 * Both are plain {@link SshTarget}s for the shared pool, with the same user, keys and host key checks.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GceWorkerFields } from '../../config/gce-schema.js';
import { isSshError, SshError } from '../../ssh/errors.js';
import { shellJoin } from '../../ssh/quote.js';
import { fileExists, resolveSshTarget, type SshTarget, type SshTargetSpec } from '../../ssh/target.js';

/** What the Compute API says about where a VM is. */
export interface InstanceAddress {
  readonly id: string;
  readonly internalIp?: string;
  readonly externalIp?: string;
}

/** The private key gcloud itself uses for Compute Engine (offered after the configured ones). */
export const GCLOUD_KEY = join(homedir(), '.ssh', 'google_compute_engine');
/** The known_hosts file gcloud itself writes Compute Engine host keys to. */
export const GCLOUD_KNOWN_HOSTS = join(homedir(), '.ssh', 'google_compute_known_hosts');

/** The host the fast path connects to when the config names none: the external IP if it has one, else the internal. */
export function addressFor(worker: Pick<GceWorkerFields, 'externalIp'>, address: InstanceAddress): string | undefined {
  return worker.externalIp ? (address.externalIp ?? address.internalIp) : address.internalIp;
}

/**
 * The fast-path target: the alias as the user's ssh config resolves it, or the configured / looked-up address.
 * mission-control's known_hosts file comes first (published keys), then the target's own, then gcloud's.
 */
export async function fastPathTarget(
  worker: Pick<GceWorkerFields, 'ssh' | 'sshConfigFile' | 'externalIp' | 'instance'>,
  address: InstanceAddress | undefined,
  options: { readonly username: string; readonly knownHostsFile: string; readonly hostKeyAlias?: string },
): Promise<SshTarget> {
  const file = worker.sshConfigFile ? { sshConfigFile: worker.sshConfigFile } : {};
  const ssh = worker.ssh;
  let spec: SshTargetSpec;
  if ('alias' in ssh) {
    spec = { alias: ssh.alias, ...file };
  } else {
    const host = ssh.host ?? (address ? addressFor(worker, address) : undefined) ?? worker.instance;
    spec = {
      host,
      user: ssh.user ?? options.username,
      ...(ssh.port !== undefined ? { port: ssh.port } : {}),
      ...(ssh.identityFile !== undefined ? { identityFile: ssh.identityFile } : {}),
      ...file,
    };
  }
  const target = await resolveSshTarget(spec);
  const identityFiles = [...target.identityFiles];
  const explicitKey = !('alias' in ssh) && ssh.identityFile !== undefined;
  if (!explicitKey && !identityFiles.includes(GCLOUD_KEY) && (await fileExists(GCLOUD_KEY))) identityFiles.push(GCLOUD_KEY);
  const hostKeyAlias = target.hostKeyAlias ?? options.hostKeyAlias;
  return {
    ...target,
    identityFiles,
    knownHostsFiles: [...new Set([options.knownHostsFile, ...target.knownHostsFiles, GCLOUD_KNOWN_HOSTS])],
    ...(hostKeyAlias ? { hostKeyAlias } : {}),
  };
}

/**
 * The public key of the first identity the fast path would offer (`<key>.pub`), to publish in the VM's `ssh-keys`
 * metadata at creation; empty for an alias (the user's ssh config decides) or when there is none.
 */
export async function publicKeyFor(
  worker: Pick<GceWorkerFields, 'ssh' | 'sshConfigFile' | 'externalIp' | 'instance'>,
  user: string,
  knownHostsFile: string,
): Promise<{ sshPublicKey?: string }> {
  if ('alias' in worker.ssh) return {};
  let target: SshTarget;
  try {
    target = await fastPathTarget(worker, undefined, { username: user, knownHostsFile });
  } catch {
    return {};
  }
  for (const file of target.identityFiles) {
    try {
      const text = (await readFile(`${file}.pub`, 'utf8')).trim();
      if (/^(ssh-|ecdsa-)\S+ \S+/.test(text)) return { sshPublicKey: text.split('\n')[0]! };
    } catch {
      // no .pub beside this key
    }
  }
  return {};
}

/** The IAP tunnel command, for `sh -c`: every word quoted. */
export function iapProxyCommand(worker: Pick<GceWorkerFields, 'iap' | 'instance' | 'zone' | 'project'>): string {
  return shellJoin([
    worker.iap.command,
    'compute',
    'start-iap-tunnel',
    worker.instance,
    '22',
    '--listen-on-stdin',
    `--zone=${worker.zone}`,
    `--project=${worker.project}`,
    '--verbosity=warning',
  ]);
}

/** The IAP target: the fast path's user, keys and host key names, through the tunnel to the VM's port 22. */
export function iapTarget(worker: Pick<GceWorkerFields, 'iap' | 'instance' | 'zone' | 'project'>, base: SshTarget): SshTarget {
  const proxyCommand = iapProxyCommand(worker);
  const { proxyJump: _jump, proxyCommand: _command, sshArgs: _args, ...rest } = base;
  return {
    ...rest,
    host: worker.instance,
    port: 22,
    proxyCommand,
    label: `${worker.instance} (IAP)`,
    sshArgs: sshOptions({ ...rest, proxyCommand, host: worker.instance, port: 22 }),
  };
}

/** `ssh` arguments that reach `target` exactly as the pool does (proxy, user, keys, host key names). */
export function sshOptions(target: Omit<SshTarget, 'sshArgs' | 'label'>): string[] {
  const args: string[] = [];
  if (target.sshConfigFile) args.push('-F', target.sshConfigFile);
  if (target.proxyCommand) args.push('-o', `ProxyCommand=${target.proxyCommand}`);
  if (target.proxyJump) args.push('-J', target.proxyJump);
  if (target.hostKeyAlias) args.push('-o', `HostKeyAlias=${target.hostKeyAlias}`);
  if (target.knownHostsFiles.length > 0) args.push(...knownHostsOption(target.knownHostsFiles));
  for (const key of target.identityFiles) args.push('-i', key);
  if (target.port !== 22) args.push('-p', String(target.port));
  args.push('-l', target.user, target.host);
  return args;
}

/**
 * `-o UserKnownHostsFile=…` naming exactly `files`. ssh splits the value into words as ssh_config does and expands
 * `%` tokens in each, so every path is one double-quoted word (`\\` and `"` escaped) with `%` written `%%`: a path
 * with spaces stays one file.
 */
export function knownHostsOption(files: readonly string[]): string[] {
  const word = (path: string) => `"${path.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%')}"`;
  return ['-o', `UserKnownHostsFile=${files.map(word).join(' ')}`];
}

/**
 * Checks that something speaking SSH answers at host:port within `timeoutMs` (a TCP connect and the server's banner),
 * so an unroutable address fails fast instead of after the pool's full handshake timeout.
 */
export async function probeSsh(label: string, host: string, port: number, timeoutMs: number): Promise<void> {
  // Loaded here, not with the program: node:net's module facade reads every export it has (BlockList and the
  // internals behind it), tens of ms before the dashboard's first frame that only a GCE route choice needs.
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let settled = false;
    const done = (error?: SshError) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new SshError('unreachable', label, `no answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('data', (data: Buffer) =>
      data.toString('latin1').startsWith('SSH-')
        ? done()
        : done(new SshError('unreachable', label, `${host}:${port} answered, but not with an SSH banner`)),
    );
    socket.once('close', () => done(new SshError('unreachable', label, `${host}:${port} closed the connection without an SSH banner`)));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(new SshError('unreachable', label, `${describeSocketError(error.code)} at ${host}:${port}`, { cause: error })),
    );
  });
}

/**
 * Whether a failed fast path may fall back to IAP: only when the network is the problem (name resolution, routing,
 * firewall, timeouts). Host key problems and refused logins are never worked around by switching paths.
 */
export function allowsFallback(error: unknown): boolean {
  return isSshError(error, 'unreachable', 'timeout', 'closed');
}

function describeSocketError(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'host name not found';
    case 'EAI_AGAIN':
      return 'host name lookup failed';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ETIMEDOUT':
      return 'no answer';
    default:
      return `cannot connect (${code ?? 'unknown error'})`;
  }
}
