/**
 * The host key decision for one connection attempt: which key algorithms to ask for, and whether the key
 * the server presents is trusted, may be recorded (accept-new), or must be refused with an explanation.
 */
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { shellJoin } from './quote.js';
import { SshError } from './errors.js';
import {
  appendKnownHost,
  blobKeyType,
  fingerprintSha256,
  inspectHostKey,
  keyTypeLabel,
  knownHostsName,
  knownKeyTypes,
} from './known-hosts.js';
import type { SshTarget } from './target.js';

/** What to do with a host key that no known_hosts file mentions. */
export type HostKeyPolicy = 'strict' | 'accept-new';

/** ssh2's default host key algorithms, strongest first (ssh2 1.17 on Node 20). */
const DEFAULT_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** The names a target's host key is filed under: the HostKeyAlias alone when set (as OpenSSH does). */
export function hostKeyNames(target: SshTarget): string[] {
  return target.hostKeyAlias ? [target.hostKeyAlias.toLowerCase()] : [knownHostsName(target.host, target.port)];
}

/**
 * Host key algorithms with the types already recorded for this host first. Without this a host known by
 * its ed25519 key could be asked for (and offer) its ecdsa key, which we would then have to call unknown.
 */
export async function hostKeyAlgorithms(target: SshTarget): Promise<ServerHostKeyAlgorithm[]> {
  const known = new Set(await knownKeyTypes(target.knownHostsFiles, hostKeyNames(target)));
  // RSA keys have one key type and three signature algorithms.
  const keyTypeOf = (algorithm: string) => (algorithm.startsWith('rsa-sha2-') ? 'ssh-rsa' : algorithm);
  const preferred = DEFAULT_ALGORITHMS.filter((algorithm) => known.has(keyTypeOf(algorithm)));
  return [...preferred, ...DEFAULT_ALGORITHMS.filter((algorithm) => !preferred.includes(algorithm))];
}

/** Options for {@link verifyHostKey}. */
export interface HostKeyCheckOptions {
  readonly policy: HostKeyPolicy;
  /** Where accept-new records keys; default the target's first known_hosts file. */
  readonly acceptNewFile?: string;
}

/** Checks the presented key; resolves to undefined when the connection may proceed, else to the refusal. */
export async function verifyHostKey(
  target: SshTarget,
  blob: Buffer,
  options: HostKeyCheckOptions,
): Promise<SshError | undefined> {
  const keyType = blobKeyType(blob) ?? 'unknown';
  const fingerprint = `${keyTypeLabel(keyType)} key fingerprint ${fingerprintSha256(blob)}`;
  const names = hostKeyNames(target);
  const name = names[0]!;
  const verdict = await inspectHostKey(target.knownHostsFiles, names, keyType, blob);
  const where = verdict.entry ? `${verdict.entry.file}:${verdict.entry.line}` : '';

  switch (verdict.status) {
    case 'trusted':
      return undefined;
    case 'revoked':
      return new SshError('host-key-revoked', target.label, `the host key of ${name} (${fingerprint}) is marked @revoked in ${where}; refusing to connect`, {
        hint: 'Ask the worker\'s administrator for its current host key; do not remove the @revoked line unless you know why it is there',
      });
    case 'changed':
      return new SshError(
        'host-key-changed',
        target.label,
        `WARNING: the host key of ${name} has CHANGED (now ${fingerprint}). Someone could be intercepting the ` +
          `connection (man-in-the-middle), or the host was reinstalled; the old key is at ${where}`,
        {
          hint:
            'Confirm the new fingerprint with the host\'s administrator before trusting it; then remove the old key with ' +
            `\`${shellJoin(['ssh-keygen', '-f', verdict.entry!.file, '-R', name])}\` and connect again`,
        },
      );
    case 'unknown': {
      const file = options.acceptNewFile ?? target.knownHostsFiles[0];
      if (options.policy === 'accept-new' && file) {
        // OpenSSH records a HostKeyAlias without a port; port 22 makes knownHostsName write the bare name.
        const [host, port] = target.hostKeyAlias ? [target.hostKeyAlias, 22] : [target.host, target.port];
        try {
          await appendKnownHost(file, host, port, keyType, blob);
        } catch (error) {
          return new SshError('host-key-unknown', target.label, `cannot record the host key of ${name} in ${file}: ${(error as Error).message}`, {
            hint: 'Make that file writable, or set acceptNewKnownHostsFile to a writable path',
            cause: error,
          });
        }
        return undefined;
      }
      return new SshError(
        'host-key-unknown',
        target.label,
        `the host key of ${name} is not known (${fingerprint}); refusing to connect without checking it`,
        {
          hint:
            `Check the fingerprint with the host's administrator, then run \`${shellJoin(['ssh', ...target.sshArgs])}\` once and answer yes, ` +
            'or set hostKeyPolicy: accept-new for this worker to record it on first connect',
        },
      );
    }
  }
}
