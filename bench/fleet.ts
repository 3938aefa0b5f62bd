/**
 * The benches' fleet: W private sshd servers on loopback (each with its own HOME and tmux socket), and for one
 * round-trip time the files a fleet of them needs: latency proxies in front of each server (none at 0 ms), an ssh
 * config and known_hosts naming them `w0`…`wN`, and a mission-control config. Everything is stopped by pid,
 * private socket or temporary directory.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { startLatencyProxy, type LatencyProxy } from '../test/harness/latency-proxy.js';
import { run } from '../test/harness/process.js';
import { startSshd, type TestSshd } from '../test/harness/sshd.js';

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** The tmux socket of a bench worker (inside its private HOME). */
export const tmuxSocketOf = (server: TestSshd): string => join(server.home, 'tmux.sock');

/** The job-record directory of a bench worker (inside its private HOME). */
export const stateDirOf = (server: TestSshd): string => join(server.home, 'state');

/** Starts `count` private sshd servers, one after another (starting them together overloads a small machine). */
export async function startServers(count: number): Promise<TestSshd[]> {
  const servers: TestSshd[] = [];
  for (let i = 0; i < count; i += 1) servers.push(await startSshd());
  return servers;
}

/**
 * Starts `count` sessions (`exec sleep 3600`, named `<prefix>-0`…) on each server's private tmux server, one tmux
 * command per server.
 */
export async function startSessions(servers: readonly TestSshd[], count: number, prefix = 'mc-job'): Promise<void> {
  for (const s of servers) {
    const args: string[] = [];
    for (let j = 0; j < count; j += 1) args.push(...(j ? [';'] : []), 'new-session', '-d', '-s', `${prefix}-${j}`, 'exec sleep 3600');
    await run('tmux', ['-f', '/dev/null', '-S', tmuxSocketOf(s), ...args]);
  }
}

/**
 * Writes `count` records of jobs that ended (exit 0, their sessions gone) into each server's state directory: jobs
 * the dashboard lists without a tmux pane (and so without a pseudo-terminal) each.
 */
export async function writeEndedRecords(servers: readonly TestSshd[], count: number): Promise<void> {
  for (const s of servers) {
    for (let j = 0; j < count; j += 1) {
      const id = `ended-${j}`;
      const dir = join(stateDirOf(s), 'jobs', id);
      await mkdir(dir, { recursive: true });
      const meta = { id, kind: 'review', session: `mc-${id}`, createdAt: new Date(Date.now() - 3_600_000).toISOString(), command: ['true'], params: {} };
      await writeFile(join(dir, 'meta.json'), `${JSON.stringify(meta)}\n`);
      await writeFile(join(dir, 'exit'), '0\n');
    }
  }
}

/** Pseudo-terminals this machine can still hand out (each tmux pane takes one), keeping `margin` for others. */
export function freePtys(margin = 64): number {
  const read = (name: string) => Number(readFileSync(`/proc/sys/kernel/pty/${name}`, 'utf8'));
  return Math.max(0, read('max') - read('reserve') - read('nr') - margin);
}

const CLOCK_TICKS_PER_SECOND = 100;

/** A process's CPU time so far (user + system, ms) and resident memory (MB), from /proc. */
export function procFigures(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const cpuMs = (Number(stat[11]) + Number(stat[12])) * (1000 / CLOCK_TICKS_PER_SECOND);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs, rssMb: Number(rss?.[1] ?? 0) / 1024 };
}

/** Stops each server's tmux server (by its private socket), then the sshd. */
export async function stopServers(servers: readonly TestSshd[]): Promise<void> {
  for (const s of servers) {
    await run('tmux', ['-S', tmuxSocketOf(s), 'kill-server'], { allowFailure: true });
    await s.stop();
  }
}

/** The files of a fleet at one round-trip time. */
export interface FleetFiles {
  /** The mission-control config. */
  readonly configPath: string;
  /** The ssh config (hosts `w0`…`wN`, ControlPath set for ControlMaster baselines). */
  readonly sshConfig: string;
}

/** Latency proxies in front of servers: the port to dial for each, and how to stop them all. */
export interface FleetProxies {
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

/** Puts a proxy of `rtt` ms round trip in front of each server, in this process (none at 0 ms: the servers' own ports). */
export async function startProxies(servers: readonly TestSshd[], rtt: number): Promise<FleetProxies> {
  const proxies: LatencyProxy[] = [];
  try {
    for (const s of servers) if (rtt > 0) proxies.push(await startLatencyProxy({ targetHost: s.host, targetPort: s.port, oneWayDelayMs: rtt / 2 }));
  } catch (error) {
    for (const p of proxies) await p.stop();
    throw error;
  }
  return {
    ports: rtt > 0 ? proxies.map((p) => p.port) : servers.map((s) => s.port),
    stop: async () => {
      for (const p of proxies) await p.stop();
    },
  };
}

/**
 * Like {@link startProxies}, but the proxies run in a child process (bench/proxy-host.ts): their forwarding then
 * neither waits on nor delays the measuring process's event loop. The child is stopped by closing its input.
 */
export async function startProxiesInChild(servers: readonly TestSshd[], rtt: number): Promise<FleetProxies> {
  if (rtt === 0) return startProxies(servers, 0);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'proxy-host.ts'), String(rtt), ...servers.map((s) => `${s.host}:${s.port}`)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const [line] = await Promise.race([
      once(createInterface({ input: child.stdout }), 'line') as Promise<[string]>,
      exited.then(() => Promise.reject(new Error(`the latency proxies' process exited before listening (exit ${child.exitCode})`))),
    ]);
    return { ports: JSON.parse(line) as number[], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Writes the fleet's files into `dir`, each worker dialled at `ports[i]` (its server's port, or a proxy's).
 * `defaults` are extra lines under `defaults:` of the mission-control config (e.g. `  pollInterval: 1s`).
 */
export async function writeFleetFiles(
  servers: readonly TestSshd[],
  dir: string,
  rtt: number,
  ports: readonly number[],
  defaults: readonly string[] = [],
): Promise<FleetFiles> {
  const knownHosts = join(dir, `known_hosts_${rtt}`);
  await writeFile(knownHosts, servers.map((s, i) => `bench-w${i} ${s.hostPublicKey}\n`).join(''));
  const sshConfig = join(dir, `ssh_config_${rtt}`);
  await writeFile(
    sshConfig,
    servers
      .map(
        (s, i) =>
          `Host w${i}\n  HostName 127.0.0.1\n  Port ${ports[i]}\n  User ${s.user}\n  IdentityFile ${s.clientKeyPath}\n` +
          `  HostKeyAlias bench-w${i}\n  UserKnownHostsFile ${knownHosts}\n  StrictHostKeyChecking yes\n  BatchMode yes\n` +
          `  ControlPath ${join(dir, `cm-${rtt}-${i}`)}\n`,
      )
      .join('\n'),
  );
  const configPath = join(dir, `config_${rtt}.yaml`);
  await writeFile(
    configPath,
    [
      ...(defaults.length > 0 ? ['defaults:', ...defaults] : []),
      'workers:',
      ...servers.flatMap((s, i) => [
        `  - name: w${i}`, '    provider: ssh', `    ssh: w${i}`, `    sshConfigFile: ${sshConfig}`,
        `    tmuxSocket: ${tmuxSocketOf(s)}`, `    stateDir: ${stateDirOf(s)}`,
      ]),
    ].join('\n'),
  );
  return { configPath, sshConfig };
}
