import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLatencyProxy, type LatencyProxy } from '../harness/latency-proxy.js';
import { run } from '../harness/process.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';

/** A TCP echo server on loopback. */
async function startEcho(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** Sends `data`, half-closes, and collects everything echoed back until the far end closes. */
function echoAll(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', reject);
    s.on('end', () => {
      s.end();
      resolve(Buffer.concat(chunks));
    });
    // in pieces, so the proxy sees many chunks
    for (let i = 0; i < data.length; i += 64 * 1024) s.write(data.subarray(i, i + 64 * 1024));
    s.end();
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('latency proxy (50 ms RTT)', () => {
  let echo: { server: Server; port: number };
  let proxy: LatencyProxy;

  beforeAll(async () => {
    echo = await startEcho();
    proxy = await startLatencyProxy({ targetHost: '127.0.0.1', targetPort: echo.port, oneWayDelayMs: 25 });
  });
  afterAll(async () => {
    await proxy?.stop();
    await new Promise((resolve) => echo?.server.close(resolve));
  });

  it('every round trip takes at least 50 ms (and not much more)', async () => {
    const s = await open(proxy.port);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const msg = `ping ${i}\n`;
      const t0 = performance.now();
      const got = await new Promise<string>((resolve) => {
        let acc = '';
        const onData = (d: Buffer) => {
          acc += d.toString();
          if (acc.length >= msg.length) {
            s.off('data', onData);
            resolve(acc);
          }
        };
        s.on('data', onData);
        s.write(msg);
      });
      times.push(performance.now() - t0);
      expect(got).toBe(msg);
    }
    s.destroy();
    expect(Math.min(...times)).toBeGreaterThanOrEqual(50);
    const sorted = [...times].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(90);
  });

  it('a direct connection is fast (the delay is the proxy)', async () => {
    const s = await open(echo.port);
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      s.once('data', () => resolve());
      s.write('x');
    });
    expect(performance.now() - t0).toBeLessThan(20);
    s.destroy();
  });

  it('a 16 MiB transfer arrives intact and in order', async () => {
    const data = randomBytes(16 * 1024 * 1024);
    const got = await echoAll(proxy.port, data);
    expect(got.length).toBe(data.length);
    expect(sha(got)).toBe(sha(data));
  });

  it('handles many concurrent connections', async () => {
    const payloads = Array.from({ length: 60 }, (_, i) => randomBytes(32 * 1024 + i));
    const t0 = performance.now();
    const results = await Promise.all(payloads.map((p) => echoAll(proxy.port, p)));
    const elapsed = performance.now() - t0;
    results.forEach((r, i) => expect(sha(r)).toBe(sha(payloads[i]!)));
    // concurrent, not serialised: 60 connections take far less than 60 round trips
    expect(elapsed).toBeLessThan(60 * 50);
    // every proxied connection is closed and forgotten
    const deadline = Date.now() + 2000;
    while (proxy.connections() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(proxy.connections()).toBe(0);
  });

  it('setOneWayDelay changes the RTT', async () => {
    const p = await startLatencyProxy({ targetPort: echo.port, oneWayDelayMs: 5 });
    try {
      const rtt = async () => {
        const s = await open(p.port);
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          s.once('data', () => resolve());
          s.write('x');
        });
        s.destroy();
        return performance.now() - t0;
      };
      const fast = await rtt();
      p.setOneWayDelay(60);
      const slow = await rtt();
      expect(fast).toBeGreaterThanOrEqual(10);
      expect(slow).toBeGreaterThanOrEqual(120);
    } finally {
      await p.stop();
    }
  });

  it('stop() closes open connections and the port', async () => {
    const p = await startLatencyProxy({ targetPort: echo.port, oneWayDelayMs: 25 });
    const s = await open(p.port);
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    s.on('error', () => undefined);
    await p.stop();
    await closed;
    expect(p.connections()).toBe(0);
    await expect(open(p.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a closed target makes the client connection close too', async () => {
    const { server, port } = await startEcho();
    await new Promise((resolve) => server.close(resolve)); // nothing listens on `port` now
    const p = await startLatencyProxy({ targetPort: port, oneWayDelayMs: 10 });
    try {
      const s = await open(p.port);
      s.on('error', () => undefined);
      await new Promise<void>((resolve) => s.once('close', () => resolve()));
    } finally {
      await p.stop();
    }
  });
});

describe('latency proxy in front of a real sshd', () => {
  let sshd: TestSshd;
  let proxy: LatencyProxy;

  beforeAll(async () => {
    sshd = await startSshd();
    proxy = await startLatencyProxy({ targetHost: sshd.host, targetPort: sshd.port, oneWayDelayMs: 25 });
  });
  afterAll(async () => {
    await proxy?.stop();
    await sshd?.stop();
  });

  it('the SSH banner arrives after the one-way delay', async () => {
    const t0 = performance.now();
    const s = await open(proxy.port);
    const banner = await new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
    const elapsed = performance.now() - t0;
    s.destroy();
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
    expect(elapsed).toBeGreaterThanOrEqual(25);
  });

  it('the real ssh client works through it, several round trips slower', async () => {
    const ssh = (port: number) =>
      run('ssh', [
        '-i', sshd.clientKeyPath,
        '-o', 'BatchMode=yes',
        '-o', 'StrictHostKeyChecking=yes',
        '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`,
        '-o', `HostKeyAlias=[${sshd.host}]:${sshd.port}`,
        '-p', String(port),
        `${sshd.user}@${sshd.host}`,
        'echo ok',
      ]);
    let t0 = performance.now();
    expect((await ssh(sshd.port)).stdout.trim()).toBe('ok');
    const direct = performance.now() - t0;
    t0 = performance.now();
    expect((await ssh(proxy.port)).stdout.trim()).toBe('ok');
    const proxied = performance.now() - t0;
    // connect + key exchange + auth + exec is at least 5 round trips
    expect(proxied - direct).toBeGreaterThanOrEqual(5 * 50);
  });
});
