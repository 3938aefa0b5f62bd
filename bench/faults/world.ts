/**
 * The fault suite's fleet: eight real SSH workers, each set up for the faults it will take, watched by a running
 * fleet (`createFleet` + polling at the default interval), plus the files the built binary needs to act on them.
 *
 *   w0 net     sshd in network namespace mc-fault-0 (link cut by iptables DROP inside it)
 *   w1 stop    sshd on loopback (SIGSTOP / SIGCONT)
 *   w2 slow    sshd behind the loopback latency proxy (2 s RTT)
 *   w3 reboot  jobs in the maintainer-worker container of a private dockerd
 *   w4 clock   sshd sessions and tmux under libfaketime, one hour ahead
 *   w5 launch  a git clone for worktree jobs (launch kills, full disk)
 *   w6 data    oversized records, hostile job directory names
 *   w7 crowd   many sessions, a huge log
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import type { FleetConfig } from '../../src/config/schema.js';
import { createJobActions, type JobActions } from '../../src/jobs/actions.js';
import { startDocker, type TestDocker } from '../../test/harness/docker.js';
import { startLatencyProxy, type LatencyProxy } from '../../test/harness/latency-proxy.js';
import { createNetNamespace, type NetNamespace } from '../../test/harness/netns.js';
import { run } from '../../test/harness/process.js';
import { startSshd, type TestSshd } from '../../test/harness/sshd.js';

/** Where libfaketime lives on Debian (package `faketime`). */
export const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const CLOCK_OFFSET = '+1h';

/** One worker of the suite. */
export interface FaultWorker {
  readonly name: string;
  readonly sshd: TestSshd;
  /** The worker's stateDir, as a path on this machine (the worker is this machine). */
  readonly stateDir: string;
  /** The tmux socket path as the worker sees it (inside the container for w3). */
  readonly socket: string;
  /** Runs tmux on the worker's job server, where the worker runs it (container, faketime). */
  tmux(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** The running suite fleet. */
export interface FaultWorld {
  readonly dir: string;
  readonly configPath: string;
  readonly config: FleetConfig;
  readonly fleet: Fleet;
  readonly actions: JobActions;
  readonly workers: readonly FaultWorker[];
  readonly ns: NetNamespace | undefined;
  readonly proxy: LatencyProxy;
  readonly docker: TestDocker | undefined;
  /** Why the container worker could not be made, if it could not. */
  readonly dockerProblem: string | undefined;
  /** The main clone and worktrees of w5, on this machine. */
  readonly repo: { readonly main: string; readonly worktrees: string; readonly remote: string };
  worker(name: string): FaultWorker;
  stop(): Promise<void>;
}

const git = (args: string[], cwd?: string) =>
  run('git', ['-c', 'user.name=f', '-c', 'user.email=f@example.com', '-c', 'init.defaultBranch=main', ...args], cwd ? { cwd } : {});

/** Builds the fleet; everything made so far is stopped again if a step fails. */
export async function createFaultWorld(log: (line: string) => void): Promise<FaultWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'mc-faults-'));
  const cleanups: (() => Promise<unknown>)[] = [async () => rm(dir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const ns = await createNetNamespace(0).catch((error: unknown) => {
      log(`network namespace: ${String(error)}`);
      return undefined;
    });
    if (ns) cleanups.push(() => ns.remove());
    const faketimeEnv = { LD_PRELOAD: FAKETIME_LIB, FAKETIME: CLOCK_OFFSET };
    let docker: TestDocker | undefined;
    let dockerProblem: string | undefined;
    try {
      docker = await startDocker();
      cleanups.push(() => docker!.stop());
    } catch (error) {
      dockerProblem = `dockerd did not start: ${String(error).split('\n')[0]}`;
    }
    const containerState = join(dir, 'w3');
    await mkdir(containerState, { recursive: true });
    if (docker) await docker.runWorker({ name: 'maintainer-worker', mounts: [{ host: containerState }] });

    const servers: TestSshd[] = [];
    const add = async (s: Promise<TestSshd>) => {
      const server = await s;
      servers.push(server);
      cleanups.push(() => server.stop());
      return server;
    };
    await add(ns ? startSshd({ host: ns.address, port: 2222, launcher: ns.launcher }) : startSshd());
    await add(startSshd());
    await add(startSshd());
    await add(startSshd(docker ? { env: { DOCKER_HOST: docker.host } } : {}));
    await add(startSshd({ env: faketimeEnv }));
    for (let i = 5; i < 8; i += 1) await add(startSshd());
    const proxy = await startLatencyProxy({ targetHost: servers[2]!.host, targetPort: servers[2]!.port, oneWayDelayMs: 0 });
    cleanups.push(() => proxy.stop());

    const workers: FaultWorker[] = servers.map((sshd, i) => {
      const name = `w${i}`;
      const container = i === 3 && docker;
      const socket = container ? '/tmp/mc-fault.sock' : join(sshd.home, 'tmux.sock');
      const env = i === 4 ? { ...process.env, ...faketimeEnv } : process.env;
      return {
        name,
        sshd,
        stateDir: container ? join(containerState, 'state') : join(sshd.home, 'state'),
        socket,
        tmux: (args) =>
          container
            ? docker!.docker(['exec', '-i', 'maintainer-worker', 'tmux', '-u', '-S', socket, ...args])
            : run('tmux', ['-u', '-S', socket, ...args], { allowFailure: true, env }),
      };
    });
    cleanups.push(async () => {
      for (const w of workers) await w.tmux(['kill-server']).catch(() => undefined);
    });

    // The repository worktree jobs use: a bare "remote" and w5's main clone of it.
    const remote = join(dir, 'remote.git');
    const src = join(dir, 'src');
    await git(['init', '-q', '--bare', remote]);
    await git(['init', '-q', src]);
    await writeFile(join(src, 'README'), 'fault suite\n');
    await git(['add', '.'], src);
    await git(['commit', '-qm', 'main'], src);
    await git(['push', '-q', remote, 'HEAD:refs/heads/main'], src);
    const main = join(servers[5]!.home, 'dev', 'main');
    await git(['clone', '-q', remote, main]);
    const worktrees = join(servers[5]!.home, 'dev', 'worktrees');
    // The full-disk case mounts a tmpfs here; if the run is stopped mid-case, unmount it (by its path) first.
    cleanups.push(async () => {
      const mounts = await run('cat', ['/proc/self/mountinfo']);
      if (mounts.stdout.split('\n').some((line) => line.split(' ')[4] === worktrees)) await run('umount', [worktrees], { allowFailure: true });
    });

    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, servers.map((s, i) => `fault-w${i} ${s.hostPublicKey}\n`).join(''));
    const sshConfig = join(dir, 'ssh_config');
    await writeFile(
      sshConfig,
      servers
        .map(
          (s, i) =>
            `Host w${i}\n  HostName ${s.host}\n  Port ${i === 2 ? proxy.port : s.port}\n  User ${s.user}\n  IdentityFile ${s.clientKeyPath}\n` +
            `  HostKeyAlias fault-w${i}\n  UserKnownHostsFile ${knownHosts}\n  StrictHostKeyChecking yes\n  BatchMode yes\n`,
        )
        .join('\n'),
    );
    const configPath = join(dir, 'config.yaml');
    const lines = ['workers:'];
    for (const w of workers) {
      lines.push(`  - name: ${w.name}`, '    provider: ssh', `    ssh: ${w.name}`, `    sshConfigFile: ${sshConfig}`);
      lines.push(`    tmuxSocket: ${w.socket}`, `    stateDir: ${w.stateDir}`, '    maxJobs: 100');
      if (w.name === 'w3' && docker) lines.push('    container:', '      name: maintainer-worker');
    }
    lines.push(
      'kinds:',
      '  sleeper:',
      "    params: { n: { pattern: '^[0-9]+$' } }",
      "    command: [sh, -c, 'echo started; exec sleep 3600']",
      '    worktree: false',
      '  quick:',
      "    params: { n: { pattern: '^[0-9]+$' } }",
      "    command: [sh, -c, 'echo done; exit 3']",
      '    worktree: false',
      '  wt:',
      "    params: { n: { pattern: '^[0-9]+$' } }",
      "    command: [sh, -c, 'exec sleep 3600']",
      '    worktree: { fetch: main }',
      'repo:',
      `  url: ${remote}`,
      '  mainDir: ~/dev/main',
      '  worktreesDir: ~/dev/worktrees',
    );
    await writeFile(configPath, `${lines.join('\n')}\n`);
    const loaded = await loadConfig(configPath);
    if (!loaded.ok) throw new Error(`the suite's config is invalid: ${JSON.stringify(loaded.errors)}`);
    const fleet = createFleet(loaded.config);
    cleanups.push(() => fleet.close());
    const actions = createJobActions(fleet, loaded.config.jobs);
    return {
      dir,
      configPath,
      config: loaded.config,
      fleet,
      actions,
      workers,
      ns,
      proxy,
      docker,
      dockerProblem,
      repo: { main, worktrees, remote },
      worker(name) {
        const found = workers.find((w) => w.name === name);
        if (!found) throw new Error(`no worker ${name}`);
        return found;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** What a run left behind on the workers: launch locks, sessions without a record, worktrees without a job. */
export interface Leftovers {
  readonly locks: string[];
  readonly sessions: string[];
  readonly worktrees: string[];
}

/** Looks for leftovers on every worker (its files are on this machine; its tmux where it runs). */
export async function findLeftovers(world: FaultWorld, ignoreSessions: (name: string) => boolean = () => false): Promise<Leftovers> {
  const locks: string[] = [];
  const sessions: string[] = [];
  for (const w of world.workers) {
    const jobs = join(w.stateDir, 'jobs');
    const ids = existsSync(jobs) ? readdirSync(jobs) : [];
    for (const entry of ids) if (entry.startsWith('.launch-')) locks.push(`${w.name}:${entry}`);
    const listed = await w.tmux(['list-sessions', '-F', '#{session_name}']);
    for (const name of listed.code === 0 ? listed.stdout.split('\n').filter(Boolean) : []) {
      if (ignoreSessions(name)) continue;
      if (!name.startsWith('mc-') || !ids.includes(name.slice(3))) sessions.push(`${w.name}:${name}`);
    }
  }
  const worktrees: string[] = [];
  const jobIds = new Set(existsSync(join(world.worker('w5').stateDir, 'jobs')) ? readdirSync(join(world.worker('w5').stateDir, 'jobs')) : []);
  if (existsSync(world.repo.worktrees)) {
    for (const entry of readdirSync(world.repo.worktrees)) if (!jobIds.has(entry)) worktrees.push(`w5:worktrees/${entry}`);
  }
  const listed = await git(['-C', world.repo.main, 'worktree', 'list', '--porcelain']);
  for (const line of listed.stdout.split('\n')) {
    const path = line.startsWith('worktree ') ? line.slice(9) : undefined;
    if (path && path !== world.repo.main && !jobIds.has(path.split('/').pop() ?? '') && !worktrees.includes(`w5:worktrees/${path.split('/').pop()}`)) {
      worktrees.push(`w5:git worktree ${path}`);
    }
  }
  return { locks, sessions, worktrees };
}

/** The number of leftovers, and a short list of them. */
export function countLeftovers(found: Leftovers): { count: number; text: string } {
  const all = [...found.locks, ...found.sessions, ...found.worktrees];
  return { count: all.length, text: all.slice(0, 3).join(', ') + (all.length > 3 ? ', …' : '') };
}
