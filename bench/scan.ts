/**
 * bench:scan — one fleet refresh of W workers x S sessions, over real private sshd servers on loopback,
 * optionally behind a user-space latency proxy. Compares mission-control (pooled ssh2 connections, one framed
 * scan per worker on a long-lived channel) with (a) a fresh `ssh` process per command, as the prototype did,
 * and (b) OpenSSH ControlMaster reuse. The same scan script runs in all three.
 *
 *   npm run bench:scan                       # 20 x 20 at 0 and 50 ms RTT
 *   W=5 S=10 RTTS=0,50,100 ITER=30 npm run bench:scan
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createFleet } from '../src/app/fleet.js';
import { loadConfig } from '../src/config/load.js';
import { buildScanCommand, newScanNonce } from '../src/scanners/worker-scan/command.js';
import { parseScan } from '../src/scanners/worker-scan/parse.js';
import { run } from '../test/harness/process.js';
import { type TestSshd } from '../test/harness/sshd.js';
import { percentile, startProxies, startServers, stateDirOf, stopServers, tmuxSocketOf, writeFleetFiles, type FleetProxies } from './fleet.js';

const W = Number(process.env.W ?? 20);
const S = Number(process.env.S ?? 20);
const RTTS = (process.env.RTTS ?? '0,50').split(',').map(Number);
const ITER = Number(process.env.ITER ?? 20);
const BASELINE_ITER = Number(process.env.BASELINE_ITER ?? 5);

interface Figures {
  p50: number;
  p95: number;
  cpuMsPerRefresh: number;
}

const ticksPerSecond = 100;

/** CPU time (ms) of this process plus its reaped children, from /proc. */
function cpuMs(): number {
  const own = process.cpuUsage();
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  const children = (Number(fields[13]) + Number(fields[14])) * (1000 / ticksPerSecond);
  return (own.user + own.system) / 1000 + children;
}

async function measure(iterations: number, refresh: () => Promise<void>): Promise<Figures> {
  const times: number[] = [];
  const cpuBefore = cpuMs();
  for (let i = 0; i < iterations; i += 1) {
    const started = performance.now();
    await refresh();
    times.push(performance.now() - started);
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95), cpuMsPerRefresh: (cpuMs() - cpuBefore) / iterations };
}

function ssh(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && out.length > 0 ? resolve(out) : reject(new Error(`ssh ${args.at(-2)} exited ${code}: ${err}`))));
  });
}

const fmt = (n: number) => `${n.toFixed(1).padStart(7)} ms`;

async function main(): Promise<void> {
  console.log(`bench:scan — ${W} workers x ${S} sessions, RTT ${RTTS.join('/')} ms, ${ITER} refreshes (baselines ${BASELINE_ITER})`);
  const dir = await mkdtemp(join(tmpdir(), 'mc-bench-'));
  const servers: TestSshd[] = [];
  const proxies: FleetProxies[] = [];
  try {
    const started = performance.now();
    servers.push(...(await startServers(W)));
    await Promise.all(
      servers.map((s) => {
        const socket = tmuxSocketOf(s);
        const args: string[] = [];
        for (let j = 0; j < S; j += 1) args.push(...(j ? [';'] : []), 'new-session', '-d', '-s', `mc-job-${j}`, 'sleep 3600');
        return run('tmux', ['-S', socket, ...args]);
      }),
    );
    console.log(`setup: ${W} sshd + ${W * S} tmux sessions in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

    for (const rtt of RTTS) {
      for (const p of proxies.splice(0)) await p.stop();
      const proxied = await startProxies(servers, rtt);
      proxies.push(proxied);
      const { configPath, sshConfig } = await writeFleetFiles(servers, dir, rtt, proxied.ports);
      const loaded = await loadConfig(configPath);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));

      // mission-control
      const rssBefore = process.memoryUsage().rss;
      const fleet = createFleet(loaded.config, { readOnly: true });
      const coldStart = performance.now();
      const cold = await fleet.refreshAll();
      const coldMs = performance.now() - coldStart;
      const failures = cold.filter((r) => r.status === 'rejected');
      if (failures.length > 0) throw new Error(`cold refresh failed: ${String((failures[0] as PromiseRejectedResult).reason)}`);
      const sessions = Object.values(fleet.store.getState().jobsByWorker).reduce((n, jobs) => n + jobs.length, 0);
      if (sessions !== W * S) throw new Error(`expected ${W * S} sessions, saw ${sessions}`);
      const mc = await measure(ITER, async () => {
        const results = await fleet.refreshAll();
        if (results.some((r) => r.status === 'rejected')) throw new Error('a refresh failed');
      });
      const rss = process.memoryUsage().rss;
      // One worker alone: the protocol's own cost, without 20 workers' scans competing for this machine's cores.
      const first = fleet.provider('w0')!;
      const single = await measure(ITER, async () => {
        const { refreshWorker } = await import('../src/app/refresh.js');
        await refreshWorker(fleet.store, first, 2000);
      });
      await fleet.close();

      // The same scan script, run by the system ssh.
      const script = (i: number) => {
        const nonce = newScanNonce();
        const command = buildScanCommand({ tmuxSocketArgs: ['-S', tmuxSocketOf(servers[i]!)], stateDir: stateDirOf(servers[i]!), nonce });
        return { script: 'script' in command ? command.script : '', nonce };
      };
      const checked = (i: number, args: string[]) => {
        const { script: text, nonce } = script(i);
        return ssh([...args, `w${i}`, text]).then((out) => {
          const sessions = parseScan(out, nonce).sessions.length;
          if (sessions !== S) throw new Error(`w${i}: expected ${S} sessions, saw ${sessions}`);
        });
      };
      const fresh = await measure(BASELINE_ITER, async () => {
        await Promise.all(servers.map((_, i) => checked(i, ['-F', sshConfig, '-o', 'ControlMaster=no', '-o', 'ControlPath=none'])));
      });
      await Promise.all(
        servers.map((_, i) => run('ssh', ['-F', sshConfig, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=60', '-fN', `w${i}`])),
      );
      const master = await measure(BASELINE_ITER * 2, async () => {
        await Promise.all(servers.map((_, i) => checked(i, ['-F', sshConfig, '-o', 'ControlMaster=no'])));
      });
      await Promise.all(servers.map((_, i) => run('ssh', ['-F', sshConfig, '-O', 'exit', `w${i}`], { allowFailure: true })));

      const target = 1.3 * rtt + 20;
      console.log(`RTT ${rtt} ms (${W} x ${S}, ${sessions} sessions per refresh)`);
      console.log(`  mission-control   p50 ${fmt(mc.p50)}  p95 ${fmt(mc.p95)}  cpu/refresh ${fmt(mc.cpuMsPerRefresh)}  rss ${(rss / 2 ** 20).toFixed(0)} MiB (+${((rss - rssBefore) / 2 ** 20).toFixed(0)})`);
      console.log(`  one worker alone  p50 ${fmt(single.p50)}  p95 ${fmt(single.p95)}  (${rtt ? `${(single.p50 / rtt).toFixed(2)} RTT` : 'no added latency'})`);
      console.log(`  cold start (connect + first refresh)            ${fmt(coldMs)}`);
      console.log(`  (a) fresh ssh     p50 ${fmt(fresh.p50)}  p95 ${fmt(fresh.p95)}  cpu/refresh ${fmt(fresh.cpuMsPerRefresh)}   ${(fresh.p50 / mc.p50).toFixed(1)}x slower than mission-control`);
      console.log(`  (b) ControlMaster p50 ${fmt(master.p50)}  p95 ${fmt(master.p95)}  cpu/refresh ${fmt(master.cpuMsPerRefresh)}   ${(master.p50 / mc.p50).toFixed(1)}x slower than mission-control`);
      console.log(
        `  target 1.3 RTT + 20 ms = ${target.toFixed(0)} ms: fleet p50 ${mc.p50 <= target ? 'met' : 'NOT met'}, one worker ${single.p50 <= target ? 'met' : 'NOT met'}; ` +
          `>= 5x faster than (a): ${fresh.p50 / mc.p50 >= 5 ? 'met' : 'NOT met'}`,
      );
      console.log(`  this machine: ${availableParallelism()} cores shared by all ${W} workers' sshd, tmux and scan scripts\n`);
    }
  } finally {
    for (const p of proxies) await p.stop();
    await stopServers(servers);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
