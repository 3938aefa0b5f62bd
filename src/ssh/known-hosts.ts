/**
 * known_hosts files, read and written the way OpenSSH does: plain and `[host]:port` names, wildcard and
 * negated patterns, hashed (`|1|salt|hmac`) names, `@revoked` keys. `@cert-authority` lines are skipped:
 * the SSH library we use cannot verify host certificates, so a CA line can never vouch for a key here.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  /** The file it came from and its 1-based line number, for messages. */
  readonly file: string;
  readonly line: number;
  readonly marker?: 'revoked' | 'cert-authority';
  /** The host field as written: comma-separated patterns, or one hashed name. */
  readonly hosts: string;
  /** The key type named inside the key blob (e.g. `ssh-ed25519`, `ssh-rsa`). */
  readonly keyType: string;
  /** The raw public key blob. */
  readonly key: Buffer;
}

/** What a known_hosts lookup concluded about a presented host key. */
export type HostKeyStatus = 'trusted' | 'unknown' | 'changed' | 'revoked';

/** A {@link HostKeyStatus} with the line that decided it (the old key when `changed`, the marker when `revoked`). */
export interface HostKeyVerdict {
  readonly status: HostKeyStatus;
  readonly entry?: KnownHostEntry;
}

/** The name OpenSSH records a host under: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** Parses the text of a known_hosts file; malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file = '<known_hosts>'): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    const [hosts, , base64] = fields;
    if (!hosts || !base64) return;
    const key = Buffer.from(base64, 'base64');
    const keyType = blobKeyType(key);
    if (!keyType) return;
    entries.push({ file, line: index + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  });
  return entries;
}

/** Reads and parses several known_hosts files; missing or unreadable files count as empty. */
export async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    all.push(...parseKnownHosts(text, file));
  }
  return all;
}

/** True when a known_hosts host field matches `hostname` (already in `host` or `[host]:port` form). */
export function hostFieldMatches(hosts: string, hostname: string): boolean {
  const name = hostname.toLowerCase();
  if (hosts.startsWith('|1|')) return hashedNameMatches(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    // A matching negated pattern rules the host out whatever else matches, as in OpenSSH's match_hostname.
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** Looks a presented host key up in known_hosts files, with the entry that decided the outcome. */
export async function inspectHostKey(
  files: readonly string[],
  hostnames: readonly string[],
  keyType: string,
  keyBlob: Buffer,
): Promise<HostKeyVerdict> {
  const entries = (await readKnownHosts(files)).filter(
    (entry) => entry.marker !== 'cert-authority' && hostnames.some((name) => hostFieldMatches(entry.hosts, name)),
  );
  const revoked = entries.find((entry) => entry.marker === 'revoked' && entry.key.equals(keyBlob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = entries.filter((entry) => entry.marker === undefined);
  const same = plain.find((entry) => entry.key.equals(keyBlob));
  if (same) return { status: 'trusted', entry: same };
  // Only a different key *of the same type* means the key changed: a host may have several key types
  // and we may simply not have recorded this one yet (OpenSSH draws the same line).
  const old = plain.find((entry) => entry.keyType === keyType);
  if (old) return { status: 'changed', entry: old };
  return { status: 'unknown' };
}

/** The status of a presented host key for any of `hostnames` in `files`. */
export async function checkHostKey(
  files: readonly string[],
  hostnames: readonly string[],
  keyType: string,
  keyBlob: Buffer,
): Promise<HostKeyStatus> {
  return (await inspectHostKey(files, hostnames, keyType, keyBlob)).status;
}

/** The key types already recorded for any of `hostnames`, in file order, without duplicates. */
export async function knownKeyTypes(files: readonly string[], hostnames: readonly string[]): Promise<string[]> {
  const types = (await readKnownHosts(files))
    .filter((entry) => entry.marker === undefined && hostnames.some((name) => hostFieldMatches(entry.hosts, name)))
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

/**
 * Records a host key, creating the file's directory (0700) and the file (0600) if needed.
 * `host` is written as `[host]:port` unless the port is 22.
 */
export async function appendKnownHost(file: string, host: string, port: number, type: string, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let needsNewline = false;
  try {
    const info = await stat(file);
    if (info.size > 0) {
      const handle = await open(file, 'r');
      try {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, info.size - 1);
        needsNewline = last[0] !== 0x0a;
      } finally {
        await handle.close();
      }
    }
  } catch {
    // no file yet: it is created below
  }
  const handle = await open(file, 'a', 0o600);
  try {
    await handle.write(`${needsNewline ? '\n' : ''}${knownHostsName(host, port)} ${type} ${blob.toString('base64')}\n`);
  } finally {
    await handle.close();
  }
}

/** A key's fingerprint exactly as OpenSSH prints it: `SHA256:` and unpadded base64. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The short name OpenSSH uses for a key type in messages (`ED25519`, `ECDSA`, `RSA`). */
export function keyTypeLabel(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType.startsWith('ecdsa-')) return 'ECDSA';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType === 'ssh-dss') return 'DSA';
  return keyType;
}

/** The key type a public key blob names in its first field, or undefined if it is not a key blob. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  const type = blob.subarray(4, 4 + length).toString('latin1');
  return /^[a-z0-9@.-]+$/.test(type) ? type : undefined;
}

function hashedNameMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** OpenSSH's pattern syntax: `*` is any run of characters, `?` is one character, case-insensitive. */
function globMatches(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(name);
}
