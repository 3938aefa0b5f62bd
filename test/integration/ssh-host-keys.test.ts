import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../harness/process.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';
import { SshError } from '../../src/ssh/errors.js';
import { fingerprintSha256 } from '../../src/ssh/known-hosts.js';
import { SshPool, type SshPoolOptions } from '../../src/ssh/pool.js';
import { resolveSshTarget, type SshTarget } from '../../src/ssh/target.js';

let sshd: TestSshd;
let keys: string | undefined;
let ecdsaPublicKey: string;
let otherKeyLine: string;
let fingerprint: string;
const pools: SshPool[] = [];
let counter = 0;

beforeAll(async () => {
  // A server with two host keys, so the test can see which one we ask for.
  // (sshd re-reads its host keys for every connection, so they stay where they are until afterAll.)
  keys = await mkdtemp(join(tmpdir(), 'mc-hostkeys-'));
  await run('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', join(keys, 'host_ecdsa')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'other_ed25519')]);
  ecdsaPublicKey = (await readFile(join(keys, 'host_ecdsa.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  otherKeyLine = (await readFile(join(keys, 'other_ed25519.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  sshd = await startSshd({ extraConfig: [`HostKey ${join(keys, 'host_ecdsa')}`] });
  fingerprint = fingerprintSha256(Buffer.from(sshd.hostPublicKey.split(' ')[1]!, 'base64'));
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

afterAll(async () => {
  await sshd?.stop();
  if (keys) await rm(keys, { recursive: true, force: true });
});

/** A target for the test server whose known_hosts file holds `knownHosts` (written to a fresh path). */
async function targetWith(knownHosts: string | undefined, extra: string[] = []): Promise<{ target: SshTarget; file: string }> {
  const n = ++counter;
  const file = join(sshd.dir, `case-${n}`, '.ssh', 'known_hosts');
  if (knownHosts !== undefined) {
    await mkdir(join(sshd.dir, `case-${n}`, '.ssh'), { recursive: true });
    await writeFile(file, knownHosts);
  }
  const config = join(sshd.dir, `ssh_config_${n}`);
  const lines = ['Host worker', `  HostName ${sshd.host}`, `  Port ${sshd.port}`, `  User ${sshd.user}`];
  lines.push(`  IdentityFile ${sshd.clientKeyPath}`, `  UserKnownHostsFile ${file}`, '  GlobalKnownHostsFile none', ...extra, '');
  await writeFile(config, lines.join('\n'));
  return { target: await resolveSshTarget({ alias: 'worker', sshConfigFile: config }), file };
}

function pool(options: SshPoolOptions = {}): SshPool {
  const created = new SshPool({ agent: '', ...options });
  pools.push(created);
  return created;
}

async function failure(promise: Promise<unknown>): Promise<SshError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SshError);
  return error as SshError;
}

describe('host key verification', () => {
  it('trusts the key in known_hosts', async () => {
    const { target } = await targetWith(`${sshd.knownHostsLine}\n`);
    expect((await pool().connection(target).exec({ argv: ['echo', 'ok'] })).stdout).toBe('ok\n');
  });

  it('refuses an unknown host under strict, with the fingerprint and what to do', async () => {
    const { target } = await targetWith('');
    const conn = pool().connection(target);
    const error = await failure(conn.exec({ argv: ['true'] }));
    expect(error.kind).toBe('host-key-unknown');
    expect(error.message).toContain(fingerprint);
    expect(error.message).toContain(`[${sshd.host}]:${sshd.port}`);
    expect(error.message).toMatch(/^worker: /);
    expect(error.hint).toContain(`ssh -F ${target.sshConfigFile} worker`);
    expect(error.hint).toContain('hostKeyPolicy: accept-new');
    expect(conn.state).toBe('backoff');
    expect(conn.lastError?.kind).toBe('host-key-unknown');
  });

  it('accept-new records the key (creating ~/.ssh 0700 and the file 0600), then trusts it', async () => {
    const { target, file } = await targetWith(undefined);
    expect((await pool({ hostKeyPolicy: 'accept-new' }).connection(target).run('echo first')).output).toBe('first\n');
    expect(await readFile(file, 'utf8')).toBe(`${sshd.knownHostsLine}\n`);
    expect((await stat(join(file, '..'))).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await pool({ hostKeyPolicy: 'strict' }).connection(target).run('echo second')).output).toBe('second\n');
    expect((await readFile(file, 'utf8')).split('\n')).toHaveLength(2);
  });

  it('refuses a changed key, loudly, even under accept-new', async () => {
    const name = `[${sshd.host}]:${sshd.port}`;
    const { target, file } = await targetWith(`# mine\n${name} ${otherKeyLine}\n`);
    for (const hostKeyPolicy of ['strict', 'accept-new'] as const) {
      const error = await failure(pool({ hostKeyPolicy }).connection(target).exec({ argv: ['true'] }));
      expect(error.kind).toBe('host-key-changed');
      expect(error.message).toContain('CHANGED');
      expect(error.message).toContain('man-in-the-middle');
      expect(error.message).toContain(`${file}:2`);
      expect(error.message).toContain(fingerprint);
      expect(error.hint).toContain(`ssh-keygen -f ${file} -R '${name}'`);
    }
    expect(await readFile(file, 'utf8')).toBe(`# mine\n${name} ${otherKeyLine}\n`);
  });

  it('trusts a hashed entry made by ssh-keygen -H', async () => {
    const { target, file } = await targetWith(`${sshd.knownHostsLine}\n`);
    await run('ssh-keygen', ['-q', '-H', '-f', file]);
    expect(await readFile(file, 'utf8')).not.toContain(sshd.host);
    expect((await pool().connection(target).exec({ argv: ['echo', 'hashed'] })).stdout).toBe('hashed\n');
  });

  it('refuses a @revoked key', async () => {
    const { target } = await targetWith(`${sshd.knownHostsLine}\n@revoked * ${sshd.hostPublicKey}\n`);
    expect((await failure(pool().connection(target).exec({ argv: ['true'] }))).kind).toBe('host-key-revoked');
  });

  it('asks for the key type already known, as OpenSSH does (known by ecdsa only → trusted)', async () => {
    const { target } = await targetWith(`[${sshd.host}]:${sshd.port} ${ecdsaPublicKey}\n`);
    expect((await pool().connection(target).exec({ argv: ['echo', 'ecdsa'] })).stdout).toBe('ecdsa\n');
  });

  it('files keys under HostKeyAlias when set', async () => {
    const { target, file } = await targetWith(`fleet-box ${sshd.hostPublicKey}\n`, ['  HostKeyAlias fleet-box']);
    expect((await pool().connection(target).exec({ argv: ['echo', 'alias'] })).stdout).toBe('alias\n');
    const recorded = await targetWith(undefined, ['  HostKeyAlias other-box']);
    await pool({ hostKeyPolicy: 'accept-new' }).connection(recorded.target).exec({ argv: ['true'] });
    expect(await readFile(recorded.file, 'utf8')).toBe(`other-box ${sshd.hostPublicKey}\n`);
    expect(file).not.toBe(recorded.file);
  });
});

describe('authentication', () => {
  it('fails with kind auth and lists what was tried', async () => {
    const { target } = await targetWith(`${sshd.knownHostsLine}\n`);
    const stranger = join(sshd.dir, 'stranger');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const error = await failure(pool().connection({ ...target, identityFiles: [stranger] }).exec({ argv: ['true'] }));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain(stranger);
    expect(error.message).toMatch(/^worker: login as \S+ was refused/);
  });

  it('explains an encrypted key that cannot be used without an agent', async () => {
    const { target } = await targetWith(`${sshd.knownHostsLine}\n`);
    const locked = join(sshd.dir, 'locked');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret-passphrase', '-f', locked]);
    const error = await failure(pool().connection({ ...target, identityFiles: [locked] }).exec({ argv: ['true'] }));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain(`${locked} (encrypted: load it into ssh-agent with \`ssh-add ${locked}\``);
    expect(error.message).not.toContain('secret-passphrase');
  });
});
