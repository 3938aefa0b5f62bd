/**
 * SSH host keys that GCE VMs publish as guest attributes (`hostkeys/ssh-ed25519` …, written by the guest agent
 * when `enable-guest-attributes` is on). They come over the authenticated Compute API, so they are trusted the way
 * gcloud trusts them: recorded under the VM's host key alias `compute.<instance id>` in a known_hosts file of
 * mission-control's own, replacing what was recorded for that alias before.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { blobKeyType, parseKnownHosts } from '../../ssh/known-hosts.js';
import type { GuestAttribute } from './compute-api.js';

/** The guest attribute path the guest agent publishes host keys under. */
export const HOST_KEYS_QUERY_PATH = 'hostkeys/';

/** The host key alias gcloud uses for an instance. */
export function hostKeyAliasOf(instanceId: string): string {
  return `compute.${instanceId}`;
}

/** A published host key. */
export interface PublishedHostKey {
  readonly type: string;
  readonly blob: Buffer;
}

/** The well-formed host keys among guest attributes (the key type must match the blob). */
export function publishedHostKeys(attributes: readonly GuestAttribute[]): PublishedHostKey[] {
  const keys: PublishedHostKey[] = [];
  for (const attribute of attributes) {
    if (attribute.namespace && attribute.namespace !== 'hostkeys') continue;
    const blob = Buffer.from(attribute.value.trim(), 'base64');
    if (blobKeyType(blob) !== attribute.key) continue;
    keys.push({ type: attribute.key, blob });
  }
  return keys;
}

/**
 * Makes `file` hold exactly `keys` for `alias` (other lines are kept). Returns whether the file changed.
 * Written atomically, 0600, in a 0700 directory.
 */
export function recordHostKeys(file: string, alias: string, keys: readonly PublishedHostKey[]): Promise<boolean> {
  // Read-modify-write: serialized per file, so workers recording at the same time keep each other's lines.
  const previous = writes.get(file) ?? Promise.resolve();
  const next = previous.then(() => rewrite(file, alias, keys));
  const settled = next.catch(() => undefined);
  writes.set(file, settled);
  void settled.then(() => {
    if (writes.get(file) === settled) writes.delete(file);
  });
  return next;
}

const writes = new Map<string, Promise<unknown>>();

async function rewrite(file: string, alias: string, keys: readonly PublishedHostKey[]): Promise<boolean> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    // created below
  }
  const name = alias.toLowerCase();
  const entries = parseKnownHosts(text, file).filter((entry) => entry.marker === undefined && entry.hosts === name);
  const same =
    entries.length === keys.length && keys.every((key) => entries.some((entry) => entry.keyType === key.type && entry.key.equals(key.blob)));
  if (same) return false;
  const kept = text.split('\n').filter((line) => {
    const fields = line.trim().split(/\s+/);
    return line.trim() !== '' && fields[0] !== name;
  });
  const lines = [...kept, ...keys.map((key) => `${name} ${key.type} ${key.blob.toString('base64')}`)];
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(temp, `${lines.join('\n')}\n`, { mode: 0o600 });
  await rename(temp, file);
  return true;
}

/** Whether `file` holds keys for `alias`: recorded by an earlier run from the same VM's guest attributes. */
export async function hasRecordedHostKeys(file: string, alias: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const name = alias.toLowerCase();
  return parseKnownHosts(text, file).some((entry) => entry.marker === undefined && entry.hosts === name);
}
