import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runProcess } from '../harness/process.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';
import { waitFor } from '../support/ssh-fleet.js';
import { SshError } from '../../src/ssh/errors.js';
import { SshPool } from '../../src/ssh/pool.js';
import { shellQuote } from '../../src/ssh/quote.js';
import { resolveSshTarget, type SshTarget } from '../../src/ssh/target.js';

let sshd: TestSshd;
let pool: SshPool;
let target: SshTarget;

/** Per-connection sshd processes under the listener: one per TCP connection. */
async function sshConnections(server: TestSshd): Promise<number> {
  const { stdout } = await runProcess('pgrep', ['-P', String(server.pid())], { allowFailure: true });
  return stdout.split('\n').filter(Boolean).length;
}

async function remoteProcesses(pattern: string): Promise<string[]> {
  const { stdout } = await runProcess('pgrep', ['-f', pattern], { allowFailure: true });
  return stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  sshd = await startSshd();
  const config = join(sshd.dir, 'ssh_config');
  await writeFile(
    config,
    [
      'Host worker',
      `  HostName ${sshd.host}`,
      `  Port ${sshd.port}`,
      `  User ${sshd.user}`,
      `  IdentityFile ${sshd.clientKeyPath}`,
      `  UserKnownHostsFile ${sshd.knownHostsFile}`,
      '',
    ].join('\n'),
  );
  target = await resolveSshTarget({ alias: 'worker', sshConfigFile: config });
  pool = new SshPool({ agent: '' });
});

afterAll(async () => {
  await pool?.close();
  await sshd?.stop();
});

describe('SshConnection.exec', () => {
  it('runs argv with hostile arguments literally and reports stdout, stderr and the exit code', async () => {
    const conn = pool.connection(target);
    expect(conn.state).toBe('idle');
    const weird = ["it's", '$(touch /tmp/pwned)', '`id`', 'a b\nc', '*', '-n', ''];
    const result = await conn.exec({ argv: ['printf', '%s|', ...weird] });
    expect(result).toEqual({ code: 0, stdout: weird.map((w) => `${w}|`).join(''), stderr: '' });
    expect(conn.state).toBe('ready');
    expect(conn.path).toBe('direct');

    const failed = await conn.exec({ script: 'echo out; echo err >&2; exit 3' });
    expect(failed).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('feeds stdin, and closes it when there is none', async () => {
    const conn = pool.connection(target);
    const input = Buffer.from('line one\nzwei ✓\n\0binary\xff');
    const echoed = await conn.exec({ argv: ['sh', '-c', 'cat; echo done >&2'] }, { stdin: input });
    expect(echoed.stdout).toBe(input.toString('utf8'));
    expect(echoed.stderr).toBe('done\n');
    expect((await conn.exec({ argv: ['cat'] }, { timeoutMs: 5000 })).stdout).toBe('');
  });

  it('reports a command ended by a signal', async () => {
    const result = await pool.connection(target).exec({ script: 'kill -s TERM $$' });
    expect(result.code).toBeNull();
    expect(result.signal).toBe('SIGTERM');
  });

  it('runs 20 concurrent commands over one TCP connection, queueing past the channel cap', async () => {
    const conn = pool.connection(target);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => conn.exec({ script: `sleep 0.2; echo ${i}` })),
    );
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    expect(conn.connects).toBe(1);
    expect(await sshConnections(sshd)).toBe(1);
    expect(pool.connection(target)).toBe(conn);
  });

  it('times out only the slow command, kills it on the worker, and keeps the connection', async () => {
    const conn = pool.connection(target);
    const slow = conn.exec({ script: 'sleep 47.5; echo never' }, { timeoutMs: 400 });
    const fast = conn.exec({ script: 'sleep 0.6; echo fine' });
    await expect(slow).rejects.toMatchObject({ kind: 'timeout' });
    await expect(slow).rejects.toThrow(/^worker: .*did not finish within 400 ms/);
    expect((await fast).stdout).toBe('fine\n');
    // The kill runs on its own channel right after the timeout.
    await waitFor('the timed-out command to be killed on the worker', async () => (await remoteProcesses('sleep 47.5')).length === 0);
    expect(conn.connects).toBe(1);
    expect((await conn.exec({ argv: ['echo', 'still here'] })).stdout).toBe('still here\n');
  });

  it('aborts a command with an AbortSignal', async () => {
    const controller = new AbortController();
    const call = pool.connection(target).exec({ argv: ['sleep', '30'] }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user cancelled')), 200);
    await expect(call).rejects.toThrow('user cancelled');
  });
});

describe('SshConnection.run', () => {
  it('frames scripts on one long-lived shell: output, exit status, merged stderr', async () => {
    const conn = pool.connection(target);
    expect(await conn.run('echo hello')).toEqual({ code: 0, output: 'hello\n' });
    expect(await conn.run('printf no-newline')).toEqual({ code: 0, output: 'no-newline' });
    expect(await conn.run('printf "\\n\\n"')).toEqual({ code: 0, output: '\n\n' });
    expect(await conn.run('echo a; echo b >&2; exit 7')).toEqual({ code: 7, output: 'a\nb\n' });
    expect(await conn.run('')).toEqual({ code: 0, output: '' });
    expect(conn.rttMs).toBeGreaterThan(0);
  });

  it('contains syntax errors, exit, cd and stdin reads to the one call', async () => {
    const conn = pool.connection(target);
    const before = await conn.run('echo $$; pwd');
    expect((await conn.run('if then fi')).code).not.toBe(0);
    await conn.run('cd /; exit 4');
    expect(await conn.run('cat; echo read-nothing')).toEqual({ code: 0, output: 'read-nothing\n' });
    expect(await conn.run('echo $$; pwd')).toEqual(before);
  });

  it('serializes concurrent calls on one shell channel', async () => {
    const conn = pool.connection(target);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => conn.run(`sleep 0.0${i}; echo ${i}`)));
    expect(results.map((r) => r.output)).toEqual(Array.from({ length: 10 }, (_, i) => `${i}\n`));
    expect(await sshConnections(sshd)).toBe(1);
  });

  it('returns any string byte for byte (property)', async () => {
    const conn = pool.connection(target);
    const text = fc
      .oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'binary-ascii', maxLength: 200 }))
      .filter((s) => !s.includes('\0'));
    await fc.assert(
      fc.asyncProperty(text, async (s) => {
        const result = await conn.run(`printf %s ${shellQuote(s)}`);
        expect(result).toEqual({ code: 0, output: s });
      }),
      { numRuns: 200 },
    );
  });

  it('on timeout kills that script and opens a fresh shell for the next call', async () => {
    const conn = pool.connection(target);
    const pid = (await conn.run('echo $$')).output;
    const slow = conn.run('sleep 48.5', { timeoutMs: 300 });
    const queued = conn.run('echo after');
    await expect(slow).rejects.toMatchObject({ kind: 'timeout' });
    expect(await queued).toEqual({ code: 0, output: 'after\n' });
    expect((await conn.run('echo $$')).output).not.toBe(pid);
    await waitFor('the timed-out command to be killed on the worker', async () => (await remoteProcesses('sleep 48.5')).length === 0);
    expect(conn.connects).toBe(1);
  });
});

describe('proxies', () => {
  it('connects through ProxyCommand (the user\'s shell string, tokens substituted)', async () => {
    const config = join(sshd.dir, 'ssh_config_proxy');
    const nodeRelay = `require('net').connect(+process.argv[2],process.argv[1]).on('connect',function(){process.stdin.pipe(this).pipe(process.stdout)})`;
    await writeFile(
      config,
      [
        'Host piped',
        `  HostName ${sshd.host}`,
        `  Port ${sshd.port}`,
        `  IdentityFile ${sshd.clientKeyPath}`,
        `  UserKnownHostsFile ${sshd.knownHostsFile}`,
        `  ProxyCommand exec ${process.execPath} -e "${nodeRelay}" %h %p`,
        '',
      ].join('\n'),
    );
    const piped = await resolveSshTarget({ alias: 'piped', sshConfigFile: config });
    const local = new SshPool({ agent: '' });
    try {
      const conn = local.connection(piped);
      expect(conn.path).toBe('proxy-command');
      expect(await conn.run('echo via proxy')).toEqual({ code: 0, output: 'via proxy\n' });
    } finally {
      await local.close();
    }
  });

  it('reports a ProxyCommand that fails, with what it printed', async () => {
    const broken: SshTarget = { ...target, label: 'broken', proxyCommand: 'echo no route to bastion >&2; exit 9' };
    const local = new SshPool({ agent: '', connectTimeoutMs: 3000 });
    try {
      const error = await local.connection(broken).exec({ argv: ['true'] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SshError);
      expect(error).toMatchObject({ kind: 'unreachable' });
      expect((error as Error).message).toMatch(/^broken: .*no route to bastion/);
    } finally {
      await local.close();
    }
  });

  it('connects through ProxyJump, sharing the jump host\'s pooled connection', async () => {
    const config = join(sshd.dir, 'ssh_config_jump');
    const common = [`  IdentityFile ${sshd.clientKeyPath}`, `  UserKnownHostsFile ${sshd.knownHostsFile}`];
    await writeFile(
      config,
      [
        'Host bastion',
        `  HostName ${sshd.host}`,
        `  Port ${sshd.port}`,
        ...common,
        'Host inner',
        `  HostName ${sshd.host}`,
        `  Port ${sshd.port}`,
        '  ProxyJump bastion',
        ...common,
        '',
      ].join('\n'),
    );
    const inner = await resolveSshTarget({ alias: 'inner', sshConfigFile: config });
    expect(inner.proxyJump).toBe('bastion');
    const local = new SshPool({ agent: '' });
    try {
      const conn = local.connection(inner);
      expect(conn.path).toBe('proxy-jump');
      expect((await conn.exec({ argv: ['echo', 'jumped'] })).stdout).toBe('jumped\n');
      expect(await conn.run('echo framed')).toEqual({ code: 0, output: 'framed\n' });
      const jump = local.connections().find((c) => c.path === 'direct');
      expect(jump?.state).toBe('ready');
    } finally {
      await local.close();
    }
  });
});
