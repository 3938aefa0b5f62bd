import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, run } from '../harness/process.js';
import { waitFor } from '../support/ssh-fleet.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';
import { SshError } from '../../src/ssh/errors.js';
import { SshPool, type SshPoolOptions } from '../../src/ssh/pool.js';
import type { SshTarget } from '../../src/ssh/target.js';

let sshd: TestSshd;
let target: SshTarget;
const pools: SshPool[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  target = {
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    identityFiles: [sshd.clientKeyPath],
    knownHostsFiles: [sshd.knownHostsFile],
    label: 'w1',
    sshArgs: ['-p', String(sshd.port), `${sshd.user}@${sshd.host}`],
  };
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
  await sshd.restart();
});

afterAll(async () => {
  await sshd?.stop();
});

function pool(options: SshPoolOptions = {}): SshPool {
  const created = new SshPool({ agent: '', backoff: { initialMs: 300, maxMs: 2000 }, ...options });
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

/** Processes under this test's sshd whose command line is exactly `command`. */
async function remoteProcesses(command: string): Promise<number[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,ppid=,args='], { allowFailure: true });
  const rows = stdout.split('\n').map((line) => /^\s*(\d+)\s+(\d+)\s(.*)$/.exec(line)).filter((m) => m !== null);
  const under = new Set([sshd.pid()]);
  // ps lists parents before children often but not always: repeat until the tree stops growing.
  for (let size = -1; size !== under.size; ) {
    size = under.size;
    for (const [, pid, ppid] of rows) if (under.has(Number(ppid))) under.add(Number(pid));
  }
  return rows.filter(([, pid, , args]) => under.has(Number(pid)) && args === command).map(([, pid]) => Number(pid));
}

async function sessionPids(): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(sshd.pid())], { allowFailure: true });
  return stdout.split('\n').filter(Boolean).map(Number);
}

describe('a worker that dies', () => {
  it('rejects calls in flight, backs off, and reconnects after the server is back', async () => {
    const conn = pool().connection(target);
    expect((await conn.run('echo up')).output).toBe('up\n');
    const inFlight = [conn.exec({ argv: ['sleep', '20.5'] }), conn.run('sleep 20.5')].map((call) => failure(call));
    await waitFor('both calls to be running on the server', async () => (await remoteProcesses('sleep 20.5')).length === 2);
    await sshd.kill();

    for (const call of inFlight) {
      const error = await call;
      expect(['closed', 'unreachable']).toContain(error.kind);
      expect(error.message).toMatch(/^w1: connection lost/);
    }
    expect(conn.lastError?.kind).toBe('closed');

    // The next call tries at once and fails: the server is gone. Then calls fail fast until the backoff ends.
    const refused = await failure(conn.exec({ argv: ['true'] }));
    expect(refused.kind).toBe('unreachable');
    expect(refused.message).toContain(`connection refused at ${sshd.host}:${sshd.port}`);
    expect(conn.state).toBe('backoff');
    // Refused by the backoff itself, without trying the network (a try would say "connection refused" again).
    const fast = await failure(conn.run('true'));
    expect(fast.kind).toBe('unreachable');
    expect(fast.message).toMatch(/next attempt allowed in \d+\.\d s/);

    await sshd.restart();
    while (conn.state === 'backoff') await new Promise((r) => setTimeout(r, 25));
    expect((await conn.exec({ argv: ['echo', 'back'] })).stdout).toBe('back\n');
    expect(await conn.run('echo framed again')).toEqual({ code: 0, output: 'framed again\n' });
    expect(conn.state).toBe('ready');
    expect(conn.lastError).toBeUndefined();
    expect(conn.connects).toBe(2);
  });

  it('notices a server that stops answering through keepalives', async () => {
    const conn = pool({ keepaliveIntervalMs: 200, keepaliveCountMax: 2 }).connection(target);
    await conn.exec({ argv: ['true'] });
    const frozen = await sessionPids();
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    try {
      const error = await failure(conn.exec({ argv: ['sleep', '10'] }, { timeoutMs: 5000 }));
      expect(error.kind).toBe('closed');
      expect(error.message).toContain('no answer to keepalives');
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
    }
    expect((await conn.exec({ argv: ['echo', 'new connection'] })).stdout).toBe('new connection\n');
  });

  it('backs off exponentially from a port nobody listens on, and fails fast in between', async () => {
    const port = await freePort();
    // The jitter's random share at its top: each delay is its ceiling, 100, 200, 400, 400 ms.
    const conn = pool({ backoff: { initialMs: 100, maxMs: 400, random: () => 1 } }).connection({ ...target, port, label: 'nobody' });
    let failedAt = Date.now();
    const first = await failure(conn.exec({ argv: ['true'] }));
    expect(first.kind).toBe('unreachable');
    expect(first.message).toMatch(/^nobody: connection refused at 127\.0\.0\.1:\d+/);
    expect(first.hint).toContain(`sshd listens on port ${port}`);
    const ceilings = [100, 200, 400, 400];
    for (const ceiling of ceilings) {
      const fast = await failure(conn.exec({ argv: ['true'] }));
      const elapsed = Date.now() - failedAt;
      // What is left of the delay: the ceiling less the time since the attempt began (however slow this machine
      // is), rounded to 0.1 s by the message.
      const left = Number(/in (\d+\.\d) s/.exec(fast.message)?.[1]) * 1000;
      expect(left).toBeLessThanOrEqual(ceiling + 50);
      expect(left).toBeGreaterThanOrEqual(ceiling - elapsed - 50);
      while (conn.state === 'backoff') await new Promise((r) => setTimeout(r, 10));
      failedAt = Date.now();
      expect((await failure(conn.exec({ argv: ['true'] }))).message).toMatch(/connection refused/);
    }
  });
});

describe('a server that accepts TCP but never speaks SSH', () => {
  let silent: Server;
  let port: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    port = (silent.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => silent.close(done));
  });

  it('times out the handshake as unreachable', async () => {
    const conn = pool({ connectTimeoutMs: 300 }).connection({ ...target, port, label: 'mute' });
    const error = await failure(conn.exec({ argv: ['true'] }));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain(`no SSH handshake from 127.0.0.1:${port} within 300 ms`);
  });

  it('close() abandons a connect in flight instead of waiting for its timeout', async () => {
    // A handshake time limit past the test's own: only abandoning the connect lets this test end.
    const local = pool({ connectTimeoutMs: 600_000 });
    const accepted = sockets.size;
    const call = failure(local.connection({ ...target, port, label: 'mute' }).exec({ argv: ['true'] }));
    await waitFor('the connect to reach the server', () => sockets.size > accepted);
    await local.close();
    expect((await call).kind).toBe('closed');
  });
});

describe('SshPool.close', () => {
  it('closes everything and rejects later calls', async () => {
    const local = pool();
    const conn = local.connection(target);
    await conn.run('true');
    await conn.exec({ argv: ['true'] });
    await local.close();
    expect(conn.state).toBe('closed');
    expect((await failure(conn.exec({ argv: ['true'] }))).kind).toBe('closed');
    while ((await sessionPids()).length > 0) await new Promise((r) => setTimeout(r, 25));
  });

  it('leaves no handles: a process that used the pool exits by itself after close()', async () => {
    const src = resolve('src/ssh');
    const script = join(sshd.dir, 'uses-pool.mts');
    await writeFile(
      script,
      [
        `import { SshPool } from ${JSON.stringify(join(src, 'pool.ts'))};`,
        // stdout and stderr are pipes here: count them before, so only what the pool leaves behind shows.
        'process.stdout; process.stderr;',
        'const before = process.getActiveResourcesInfo();',
        `const target = ${JSON.stringify(target)};`,
        // Every timer the pool itself sets runs for minutes here: if one outlived close(), the process could not exit
        // before the watchdog below (ssh2's own short timers for closing a socket may still run for a moment).
        `const pool = new SshPool({ agent: '', connectTimeoutMs: 600_000, keepaliveIntervalMs: 600_000, backoff: { initialMs: 600_000 } });`,
        'const conn = pool.connection(target);',
        `await Promise.all([conn.run('echo framed'), conn.exec({ argv: ['echo', 'exec'] }), conn.exec({ argv: ['sleep', '5'] }, { timeoutMs: 100 }).catch(() => 'timed out')]);`,
        'await pool.close();',
        // ssh2 may still be finishing a socket close: wait for that (the waits hold nothing once they fire), then
        // list the sockets and handles active beyond what was there before: none of the pool's may be left.
        `const left = () => { const now = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout'); for (const r of before) { const i = now.indexOf(r); if (i >= 0) now.splice(i, 1); } return now; };`,
        'for (let i = 0; i < 1000 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 10));',
        `console.log('closed', JSON.stringify({ before, left: left() }));`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = await new Promise<number | null | 'hung'>((done) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done('hung');
      }, 30_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        done(code);
      });
    });
    const [, json] = /^closed (.*)$/m.exec(output) ?? [];
    expect(json, output).toBeDefined();
    const { left } = JSON.parse(json!) as { before: string[]; left: string[] };
    // No socket of the pool's is left, and the process exits by itself long before any of the pool's timers would
    // have fired (no keepalive, reconnect or connect timer outlived close()).
    expect(left).toEqual([]);
    expect(exited).toBe(0);
  });
});
