import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSshG, resolveSshTarget } from '../../src/ssh/target.js';

let dir: string;
let config: string;
let key: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-ssh-target-'));
  key = join(dir, 'id_worker');
  await writeFile(key, 'not really a key; only its existence matters here\n');
  config = join(dir, 'ssh_config');
  await writeFile(join(dir, 'included.conf'), ['Host included', '  HostName 10.9.9.9', '  User inc', ''].join('\n'));
  await writeFile(
    config,
    [
      `Include ${join(dir, 'included.conf')}`,
      'Host box',
      '  HostName Box.Example.COM',
      '  User alice',
      '  Port 2200',
      `  IdentityFile ${key}`,
      `  IdentityFile ${join(dir, 'id_missing')}`,
      `  UserKnownHostsFile ${join(dir, 'kh1')} ${join(dir, 'kh2')}`,
      '  HostKeyAlias box-key',
      'Host *.fleet',
      '  User fleetuser',
      '  Port 2022',
      '  ProxyJump bastion-user@bastion.example:2222',
      'Host piped',
      '  HostName piped.example',
      '  User carol',
      '  ProxyCommand nc -X connect -x proxy:3128 %h %p # as %r',
      'Host nojump',
      '  ProxyJump none',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseSshG', () => {
  it('keeps every value of repeated keys, lowercases keys', () => {
    const parsed = parseSshG('user bob\nIdentityFile ~/.ssh/a\nidentityfile ~/.ssh/b\nport 22\n\n');
    expect(parsed.get('user')).toEqual(['bob']);
    expect(parsed.get('identityfile')).toEqual(['~/.ssh/a', '~/.ssh/b']);
    expect(parsed.get('port')).toEqual(['22']);
  });
});

describe('resolveSshTarget', () => {
  it('resolves an alias with HostName, User, Port, IdentityFile, known_hosts and HostKeyAlias', async () => {
    const target = await resolveSshTarget({ alias: 'box', sshConfigFile: config });
    expect(target).toMatchObject({
      host: 'box.example.com',
      port: 2200,
      user: 'alice',
      identityFiles: [key],
      hostKeyAlias: 'box-key',
      label: 'box',
      sshArgs: ['-F', config, 'box'],
    });
    expect(target.knownHostsFiles.slice(0, 2)).toEqual([join(dir, 'kh1'), join(dir, 'kh2')]);
    expect(target.proxyJump).toBeUndefined();
    expect(target.proxyCommand).toBeUndefined();
  });

  it('applies wildcard Host blocks and ProxyJump', async () => {
    const target = await resolveSshTarget({ alias: 'w1.fleet', sshConfigFile: config });
    expect(target).toMatchObject({ host: 'w1.fleet', user: 'fleetuser', port: 2022, proxyJump: 'bastion-user@bastion.example:2222' });
  });

  it('substitutes %h %p %r in ProxyCommand', async () => {
    const target = await resolveSshTarget({ alias: 'piped', sshConfigFile: config });
    expect(target.proxyCommand).toBe('nc -X connect -x proxy:3128 piped.example 22 # as carol');
  });

  it('treats `none` as unset and follows Include', async () => {
    expect((await resolveSshTarget({ alias: 'nojump', sshConfigFile: config })).proxyJump).toBeUndefined();
    expect(await resolveSshTarget({ alias: 'included', sshConfigFile: config })).toMatchObject({ host: '10.9.9.9', user: 'inc' });
  });

  it('lets explicit user, port and identity file win over the config, with a user@host:port label', async () => {
    const target = await resolveSshTarget({ host: 'box', user: 'bob', port: 2345, identityFile: key, sshConfigFile: config });
    expect(target).toMatchObject({ host: 'box.example.com', user: 'bob', port: 2345, label: 'bob@box.example.com:2345' });
    expect(target.identityFiles[0]).toBe(key);
    expect(target.sshArgs).toEqual(['-F', config, '-p', '2345', '-l', 'bob', '-i', key, 'box']);
  });

  it('uses OpenSSH defaults for a host the config does not mention', async () => {
    const target = await resolveSshTarget({ host: 'plain.example', sshConfigFile: config });
    expect(target).toMatchObject({ host: 'plain.example', port: 22, user: userInfo().username });
    // OpenSSH expands ~ to the account's home from the password database, not $HOME.
    expect(target.knownHostsFiles[0]).toBe(join(userInfo().homedir, '.ssh', 'known_hosts'));
    for (const file of target.identityFiles) expect(file.startsWith('/')).toBe(true);
  });

  it('refuses a missing identity file and option-like host names', async () => {
    await expect(resolveSshTarget({ host: 'box', identityFile: join(dir, 'nope'), sshConfigFile: config })).rejects.toThrow(
      /identity file .*nope for box does not exist/,
    );
    await expect(resolveSshTarget({ host: '-oProxyCommand=touch /tmp/x' })).rejects.toThrow(/invalid SSH host/);
  });

  it('reports a broken config file with ssh\'s own words', async () => {
    const bad = join(dir, 'bad_config');
    await writeFile(bad, 'Host x\n  NoSuchOption yes\n');
    await expect(resolveSshTarget({ alias: 'x', sshConfigFile: bad })).rejects.toThrow(/cannot resolve SSH host x.*NoSuchOption|Bad configuration/);
  });

  it('says to install openssh-client when ssh is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'empty-bin');
    try {
      await expect(resolveSshTarget({ alias: 'box' })).rejects.toThrow(/install openssh-client/);
    } finally {
      process.env.PATH = path;
    }
  });
});
