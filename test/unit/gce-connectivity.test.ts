import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowsFallback, iapProxyCommand, probeSsh, sshOptions } from '../../src/providers/gce/connectivity.js';
import { hostKeyAliasOf, publishedHostKeys, recordHostKeys } from '../../src/providers/gce/host-keys.js';
import { localStateDir, RouteMemory } from '../../src/providers/gce/local-state.js';
import { SshError } from '../../src/ssh/errors.js';

const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const ED25519_B = 'AAAAC3NzaC1lZDI1NTE5AAAAIHV2kdFHr8sWqcCuJS2Dm0kYkTVpQ8hA0m4bGqN6tTbI';

describe('GCE connectivity pieces', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-gce-conn-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the IAP tunnel command quotes every word', () => {
    expect(iapProxyCommand({ iap: { enabled: true, command: '/opt/my sdk/gcloud' }, instance: 'w1', zone: 'us-central1-a', project: 'p1' })).toBe(
      "'/opt/my sdk/gcloud' compute start-iap-tunnel w1 22 --listen-on-stdin --zone=us-central1-a --project=p1 --verbosity=warning",
    );
  });

  it('ssh arguments reproduce the pool\'s target', () => {
    expect(
      sshOptions({
        host: '10.0.0.2',
        port: 2222,
        user: 'alice',
        identityFiles: ['/k/id'],
        knownHostsFiles: ['/s/known_hosts', '/home/a/.ssh/known_hosts'],
        hostKeyAlias: 'compute.42',
      }),
    ).toEqual(['-o', 'HostKeyAlias=compute.42', '-o', 'UserKnownHostsFile="/s/known_hosts" "/home/a/.ssh/known_hosts"', '-i', '/k/id', '-p', '2222', '-l', 'alice', '10.0.0.2']);
  });

  it('known_hosts paths with spaces, quotes, backslashes and % reach ssh as the same files (real `ssh -G`)', async () => {
    const files = ['/tmp/mc state  dir/known_hosts', '/x/say "hi"\\there/kh', '/p/100%/kh'];
    const args = sshOptions({ host: '10.0.0.2', port: 22, user: 'alice', identityFiles: [], knownHostsFiles: files, hostKeyAlias: 'compute.42' });
    const { stdout } = await promisify(execFile)('ssh', ['-G', '-F', '/dev/null', ...args]);
    // ssh -G prints the list joined by single spaces: the double space shows the first path stayed one word.
    expect(stdout.split('\n')).toContain(`userknownhostsfile ${files.join(' ')}`);
  });

  it('falls back only for network failures, never for host keys or logins', () => {
    expect(allowsFallback(new SshError('unreachable', 'w', 'refused'))).toBe(true);
    expect(allowsFallback(new SshError('timeout', 'w', 'slow'))).toBe(true);
    expect(allowsFallback(new SshError('host-key-changed', 'w', 'changed'))).toBe(false);
    expect(allowsFallback(new SshError('host-key-unknown', 'w', 'unknown'))).toBe(false);
    expect(allowsFallback(new SshError('auth', 'w', 'refused'))).toBe(false);
    expect(allowsFallback(new Error('other'))).toBe(false);
  });

  it('the fast-path probe fails fast on a closed port, a non-SSH server and an unknown name', async () => {
    const server = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await expect(probeSsh('w', '127.0.0.1', port, 1000)).rejects.toThrow(`127.0.0.1:${port} answered, but not with an SSH banner`);
    server.close();
    await expect(probeSsh('w', '127.0.0.1', port, 1000)).rejects.toThrow(`connection refused at 127.0.0.1:${port}`);
    await expect(probeSsh('w', 'no-such-host.invalid', 22, 3000)).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('published host keys are recorded under compute.<id>, replacing the old ones for that VM only', async () => {
    const file = join(dir, 'state', 'known_hosts');
    await recordHostKeys(join(dir, 'state', 'known_hosts'), 'other.host', publishedHostKeys([{ namespace: 'hostkeys', key: 'ssh-ed25519', value: ED25519_B }]));
    const keys = publishedHostKeys([
      { namespace: 'hostkeys', key: 'ssh-ed25519', value: ED25519 },
      { namespace: 'hostkeys', key: 'ssh-rsa', value: ED25519 }, // type and blob disagree: ignored
      { namespace: 'hostkeys', key: 'ssh-ed25519', value: 'not base64 of a key' },
    ]);
    expect(keys).toHaveLength(1);
    expect(await recordHostKeys(file, hostKeyAliasOf('42'), keys)).toBe(true);
    expect(await recordHostKeys(file, hostKeyAliasOf('42'), keys)).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(`other.host ssh-ed25519 ${ED25519_B}\ncompute.42 ssh-ed25519 ${ED25519}\n`);
    await recordHostKeys(file, 'compute.42', publishedHostKeys([{ namespace: 'hostkeys', key: 'ssh-ed25519', value: ED25519_B }]));
    expect(await readFile(file, 'utf8')).toBe(`other.host ssh-ed25519 ${ED25519_B}\ncompute.42 ssh-ed25519 ${ED25519_B}\n`);
  });

  it('remembers the path per VM across runs, under $XDG_STATE_HOME', async () => {
    expect(localStateDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/a' })).toBe('/x/state/mission-control');
    expect(localStateDir({ XDG_STATE_HOME: 'relative', HOME: '/home/a' })).toBe('/home/a/.local/state/mission-control');
    const file = join(dir, 'routes.json');
    const memory = new RouteMemory(file);
    await memory.set('p/z/a', 'iap');
    await memory.set('p/z/b', 'direct');
    expect(await new RouteMemory(file).get('p/z/a')).toBe('iap');
    await writeFile(file, 'not json');
    expect(await new RouteMemory(file).get('p/z/a')).toBeUndefined();
  });
});
