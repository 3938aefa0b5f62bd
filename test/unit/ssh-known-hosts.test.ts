import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../harness/process.js';
import {
  appendKnownHost,
  blobKeyType,
  checkHostKey,
  fingerprintSha256,
  hostFieldMatches,
  inspectHostKey,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
} from '../../src/ssh/known-hosts.js';

interface Key {
  readonly type: string;
  readonly base64: string;
  readonly blob: Buffer;
  readonly pubFile: string;
}

let dir: string;
let ed1: Key;
let ed2: Key;
let ecdsa: Key;

async function makeKey(name: string, type: 'ed25519' | 'ecdsa'): Promise<Key> {
  const file = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const [keyType, base64] = (await readFile(`${file}.pub`, 'utf8')).trim().split(/\s+/);
  return { type: keyType!, base64: base64!, blob: Buffer.from(base64!, 'base64'), pubFile: `${file}.pub` };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-known-hosts-'));
  ed1 = await makeKey('ed1', 'ed25519');
  ed2 = await makeKey('ed2', 'ed25519');
  ecdsa = await makeKey('ec1', 'ecdsa');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('knownHostsName', () => {
  it('uses the bare name on port 22 and [host]:port otherwise', () => {
    expect(knownHostsName('Example.COM', 22)).toBe('example.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });
});

describe('parseKnownHosts', () => {
  it('reads plain, marked and commented lines and skips malformed ones', () => {
    const text = [
      '# comment',
      '',
      `a.example,b.example ${ed1.type} ${ed1.base64} comment words`,
      `@revoked * ${ed2.type} ${ed2.base64}`,
      `@cert-authority *.example ${ecdsa.type} ${ecdsa.base64}`,
      '@bogus x ssh-ed25519 AAAA',
      'half-a-line ssh-ed25519',
      `not-base64 ssh-ed25519 !!!`,
    ].join('\n');
    const entries = parseKnownHosts(text, 'kh');
    expect(entries.map((e) => [e.line, e.marker, e.hosts, e.keyType])).toEqual([
      [3, undefined, 'a.example,b.example', 'ssh-ed25519'],
      [4, 'revoked', '*', 'ssh-ed25519'],
      [5, 'cert-authority', '*.example', 'ecdsa-sha2-nistp256'],
    ]);
    expect(entries[0]!.key.equals(ed1.blob)).toBe(true);
  });
});

describe('hostFieldMatches', () => {
  it.each([
    ['host.example', 'host.example', true],
    ['HOST.example', 'host.EXAMPLE', true],
    ['a,b,host.example', 'host.example', true],
    ['[host.example]:2222', '[host.example]:2222', true],
    ['[host.example]:2222', 'host.example', false],
    ['host.example', '[host.example]:2222', false],
    ['*.example', 'w1.example', true],
    ['w?.example', 'w1.example', true],
    ['w?.example', 'w10.example', false],
    ['*.example,!bad.example', 'bad.example', false],
    ['*.example,!bad.example', 'good.example', true],
    ['[*.example]:*', '[w1.example]:2200', true],
  ])('%s vs %s → %s', (field, name, expected) => {
    expect(hostFieldMatches(field, name)).toBe(expected);
  });
});

describe('checkHostKey', () => {
  it('trusts, detects a changed key of the same type, and calls other types unknown', async () => {
    const file = join(dir, 'kh-plain');
    await writeFile(file, `[10.0.0.1]:2222 ${ed1.type} ${ed1.base64}\nother.example ${ed2.type} ${ed2.base64}\n`);
    expect(await checkHostKey([file], ['[10.0.0.1]:2222'], 'ssh-ed25519', ed1.blob)).toBe('trusted');
    expect(await checkHostKey([file], ['[10.0.0.1]:2222'], 'ssh-ed25519', ed2.blob)).toBe('changed');
    expect(await checkHostKey([file], ['[10.0.0.1]:2222'], ecdsa.type, ecdsa.blob)).toBe('unknown');
    expect(await checkHostKey([file], ['10.0.0.1'], 'ssh-ed25519', ed1.blob)).toBe('unknown');
    expect(await checkHostKey([join(dir, 'missing'), file], ['other.example'], 'ssh-ed25519', ed2.blob)).toBe('trusted');
  });

  it('says where the old key is when it changed', async () => {
    const file = join(dir, 'kh-where');
    await writeFile(file, `# header\nx.example ${ed1.type} ${ed1.base64}\n`);
    const verdict = await inspectHostKey([file], ['x.example'], 'ssh-ed25519', ed2.blob);
    expect(verdict.status).toBe('changed');
    expect(verdict.entry).toMatchObject({ file, line: 2 });
  });

  it('matches entries hashed by ssh-keygen -H', async () => {
    const file = join(dir, 'kh-hashed');
    await writeFile(file, `[127.0.0.1]:2200 ${ed1.type} ${ed1.base64}\nhashed.example ${ecdsa.type} ${ecdsa.base64}\n`);
    await run('ssh-keygen', ['-q', '-H', '-f', file]);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('127.0.0.1');
    expect(text).toMatch(/^\|1\|/);
    expect(await checkHostKey([file], ['[127.0.0.1]:2200'], 'ssh-ed25519', ed1.blob)).toBe('trusted');
    expect(await checkHostKey([file], ['[127.0.0.1]:2200'], 'ssh-ed25519', ed2.blob)).toBe('changed');
    expect(await checkHostKey([file], ['hashed.example'], ecdsa.type, ecdsa.blob)).toBe('trusted');
    expect(await checkHostKey([file], ['[127.0.0.1]:2201'], 'ssh-ed25519', ed1.blob)).toBe('unknown');
  });

  it('refuses @revoked keys even when another line trusts them, and ignores @cert-authority', async () => {
    const file = join(dir, 'kh-revoked');
    await writeFile(
      file,
      `r.example ${ed1.type} ${ed1.base64}\n@revoked * ${ed1.type} ${ed1.base64}\n@cert-authority c.example ${ed2.type} ${ed2.base64}\n`,
    );
    expect(await checkHostKey([file], ['r.example'], 'ssh-ed25519', ed1.blob)).toBe('revoked');
    expect(await checkHostKey([file], ['c.example'], 'ssh-ed25519', ed2.blob)).toBe('unknown');
  });
});

describe('knownKeyTypes', () => {
  it('lists the types recorded for a host, in file order, without markers', async () => {
    const file = join(dir, 'kh-types');
    await writeFile(
      file,
      `h.example ${ecdsa.type} ${ecdsa.base64}\nh.example ${ed1.type} ${ed1.base64}\n@revoked h.example ${ed2.type} ${ed2.base64}\n`,
    );
    expect(await knownKeyTypes([file], ['h.example'])).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(await knownKeyTypes([file], ['other.example'])).toEqual([]);
  });
});

describe('appendKnownHost', () => {
  it('creates the directory 0700 and the file 0600, and OpenSSH finds the entry', async () => {
    const file = join(dir, 'home', '.ssh', 'known_hosts');
    await appendKnownHost(file, '127.0.0.1', 2200, ed1.type, ed1.blob);
    await appendKnownHost(file, 'Plain.Example', 22, ed2.type, ed2.blob);
    expect((await stat(join(dir, 'home', '.ssh'))).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe(`[127.0.0.1]:2200 ${ed1.type} ${ed1.base64}\nplain.example ${ed2.type} ${ed2.base64}\n`);
    const found = await run('ssh-keygen', ['-F', '[127.0.0.1]:2200', '-f', file]);
    expect(found.stdout).toContain(ed1.base64);
    expect(await checkHostKey([file], ['plain.example'], 'ssh-ed25519', ed2.blob)).toBe('trusted');
  });

  it('starts a new line when the file does not end with one', async () => {
    const file = join(dir, 'kh-no-newline');
    await writeFile(file, `a.example ${ed1.type} ${ed1.base64}`);
    await appendKnownHost(file, 'b.example', 22, ed2.type, ed2.blob);
    expect((await readFile(file, 'utf8')).split('\n')).toHaveLength(3);
    expect(await checkHostKey([file], ['a.example'], 'ssh-ed25519', ed1.blob)).toBe('trusted');
    expect(await checkHostKey([file], ['b.example'], 'ssh-ed25519', ed2.blob)).toBe('trusted');
  });
});

describe('fingerprintSha256', () => {
  it('matches ssh-keygen -l exactly', async () => {
    for (const key of [ed1, ecdsa]) {
      const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', key.pubFile]);
      expect(stdout.split(/\s+/)[1]).toBe(fingerprintSha256(key.blob));
    }
  });

  it('reads the key type from the blob', () => {
    expect(blobKeyType(ed1.blob)).toBe('ssh-ed25519');
    expect(blobKeyType(Buffer.from('nonsense'))).toBeUndefined();
  });
});
