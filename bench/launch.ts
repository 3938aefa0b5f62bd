/**
 * bench:launch — time from `launch` to attach-ready (the tmux session exists and its id is known) and to the job's
 * first output, on a warm SSH worker (real private sshd, real tmux and git), optionally behind a user-space latency
 * proxy. Compared with the prototype's way: a fresh `ssh` process per step (ready check, session check, fetch,
 * worktree add, tmux new-session).
 *
 * "First output" is when the job's first line lands in its log on the worker (read here from the file system: the
 * worker is this machine), so the figure is the launch's cost, not a poller's interval. The target: from the end of
 * the worktree step to first output, under 2 RTT plus the job's own start time.
 *
 *   npm run bench:launch                 # RTT 0 and 50 ms, 10 launches each
 *   RTTS=0,50,100 ITER=20 npm run bench:launch
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createFleet } from '../src/app/fleet.js';
import { loadConfig } from '../src/config/load.js';
import { createJobActions } from '../src/jobs/actions.js';
import { kindsSchema, resolveJobSettings } from '../src/jobs/kinds.js';
import { shellJoin } from '../src/ssh/quote.js';
import { startLatencyProxy, type LatencyProxy } from '../test/harness/latency-proxy.js';
import { run } from '../test/harness/process.js';
import { startSshd } from '../test/harness/sshd.js';

const RTTS = (process.env.RTTS ?? '0,50').split(',').map(Number);
const ITER = Number(process.env.ITER ?? 10);
const JOB_OUTPUT = 'job says hello';

interface Sample {
  attach: number;
  firstOutput: number;
  /** From the end of the worktree step to first output. */
  afterWorktree: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

/** Resolves when `path` holds `text`, checking every 1 ms; returns the time it was seen. */
async function seen(path: string, text: string, timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (existsSync(path) && readFileSync(path, 'utf8').includes(text)) return performance.now();
    if (performance.now() > deadline) throw new Error(`no "${text}" in ${path} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function ssh(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ssh ${args.at(-1)} exited ${code}: ${err.trim()}`))));
  });
}

async function main(): Promise<void> {
  console.log(`bench:launch — launch to attach-ready and to first output on a warm SSH worker, RTT ${RTTS.join('/')} ms, ${ITER} launches each`);
  const dir = await mkdtemp(join(tmpdir(), 'mc-bench-launch-'));
  const sshd = await startSshd();
  const proxies: LatencyProxy[] = [];
  const home = sshd.home;
  const socket = join(home, 'tmux.sock');
  try {
    // A "remote" with a main branch and one pull request ref per launch.
    const remote = join(dir, 'remote.git');
    const src = join(dir, 'src');
    const git = (args: string[], cwd?: string) =>
      run('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.com', '-c', 'init.defaultBranch=main', ...args], cwd ? { cwd } : {});
    await git(['init', '-q', '--bare', remote]);
    await git(['init', '-q', src]);
    await writeFile(join(src, 'README'), 'bench\n');
    await git(['add', '.'], src);
    await git(['commit', '-qm', 'main'], src);
    await git(['push', '-q', remote, 'HEAD:refs/heads/main'], src);
    const total = RTTS.length * ITER * 2;
    for (let pr = 1; pr <= total; pr += 1) await git(['push', '-q', remote, `HEAD:refs/pull/${pr}/head`], src);

    const settings = resolveJobSettings({
      kinds: kindsSchema.parse({
        bench: { params: { pr: { pattern: '^[0-9]+$' } }, command: ['echo', JOB_OUTPUT], worktree: { fetch: 'pull/{pr}/head' } },
      }),
      repo: { url: remote },
    });
    let nextPr = 1;
    // worktree→first output on loopback: the job's own start plus one local exec; later RTTs are compared with it.
    let loopbackAfter: number | undefined;

    for (const rtt of RTTS) {
      for (const p of proxies.splice(0)) await p.stop();
      let port = sshd.port;
      if (rtt > 0) {
        const proxy = await startLatencyProxy({ targetHost: sshd.host, targetPort: sshd.port, oneWayDelayMs: rtt / 2 });
        proxies.push(proxy);
        port = proxy.port;
      }
      const knownHosts = join(dir, `known_hosts_${rtt}`);
      await writeFile(knownHosts, `bench-worker ${sshd.hostPublicKey}\n`);
      const sshConfig = join(dir, `ssh_config_${rtt}`);
      await writeFile(
        sshConfig,
        `Host w\n  HostName 127.0.0.1\n  Port ${port}\n  User ${sshd.user}\n  IdentityFile ${sshd.clientKeyPath}\n` +
          `  HostKeyAlias bench-worker\n  UserKnownHostsFile ${knownHosts}\n  StrictHostKeyChecking yes\n  BatchMode yes\n`,
      );
      const configPath = join(dir, `config_${rtt}.yaml`);
      await writeFile(
        configPath,
        ['workers:', '  - name: w', '    provider: ssh', '    ssh: w', `    sshConfigFile: ${sshConfig}`, `    tmuxSocket: ${socket}`, '    stateDir: ~/.mission-control', ''].join('\n'),
      );
      const loaded = await loadConfig(configPath);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));

      // mission-control: warm worker (set up, connection open), one pipeline per launch.
      const fleet = createFleet(loaded.config);
      const actions = createJobActions(fleet, settings);
      await actions.setup('w');
      await fleet.refreshAll();
      const mc: Sample[] = [];
      const steps: Record<string, number[]> = { ready: [], claim: [], worktree: [], start: [] };
      for (let i = 0; i < ITER; i += 1) {
        const pr = String(nextPr++);
        const marks: Record<string, number> = {};
        const started = performance.now();
        const launched = await actions.launch({ kind: 'bench', params: { pr }, worker: 'w' }, (line) => {
          const step = /making the worker ready/.test(line) ? 'ready' : /claiming/.test(line) ? 'claim' : /preparing worktree/.test(line) ? 'worktree' : /starting tmux/.test(line) ? 'start' : undefined;
          if (step) marks[step] = performance.now();
        });
        const attach = performance.now();
        if (!launched.created || !launched.sessionId) throw new Error(`launch ${pr} did not start a session`);
        const output = await seen(join(home, '.mission-control', 'jobs', launched.id, 'output.log'), JOB_OUTPUT);
        mc.push({ attach: attach - started, firstOutput: output - started, afterWorktree: output - marks.start! });
        steps.ready!.push(marks.claim! - marks.ready!);
        steps.claim!.push(marks.worktree! - marks.claim!);
        steps.worktree!.push(marks.start! - marks.worktree!);
        steps.start!.push(attach - marks.start!);
        await actions.remove(launched.key, { purge: true });
      }
      await fleet.close();

      // The prototype's way: a fresh ssh process per step.
      const proto: Sample[] = [];
      const sshArgs = ['-F', sshConfig, '-o', 'ControlMaster=no', '-o', 'ControlPath=none', 'w'];
      const main = join(home, 'dev', 'main');
      for (let i = 0; i < ITER; i += 1) {
        const pr = String(nextPr++);
        const name = `offload-${pr}-bench`;
        const worktree = join(home, 'dev', 'worktrees', name);
        const log = join(home, 'offload', `${name}.log`);
        const started = performance.now();
        await ssh([...sshArgs, 'true']);
        await ssh([...sshArgs, shellJoin(['sh', '-c', 'tmux -S "$1" has-session -t "=$2" 2>/dev/null; exit 0', 'x', socket, name])]);
        await ssh([...sshArgs, shellJoin(['git', '-C', main, 'fetch', '-q', 'origin', `+pull/${pr}/head:refs/offload/${pr}`])]);
        await ssh([...sshArgs, shellJoin(['git', '-C', main, 'worktree', 'add', '-q', '--detach', worktree, `refs/offload/${pr}`])]);
        const worktreeDone = performance.now();
        await ssh([...sshArgs, shellJoin(['mkdir', '-p', join(home, 'offload')])]);
        await ssh([...sshArgs, shellJoin(['tmux', '-S', socket, 'new-session', '-d', '-s', name, '-c', worktree, `echo ${JOB_OUTPUT} 2>&1 | tee -a ${log}; sleep 1`])]);
        const attach = performance.now();
        const output = await seen(log, JOB_OUTPUT);
        proto.push({ attach: attach - started, firstOutput: output - started, afterWorktree: output - worktreeDone });
        await run('tmux', ['-S', socket, 'kill-session', '-t', `=${name}`], { allowFailure: true });
        await run('git', ['-C', main, 'worktree', 'remove', '--force', worktree], { allowFailure: true });
      }

      const row = (label: string, samples: Sample[]) => {
        const after = median(samples.map((s) => s.afterWorktree));
        const rtts = rtt > 0 ? ` (${(after / rtt).toFixed(1)} RTT)` : '';
        return `  ${label.padEnd(26)} attach-ready ${fmt(median(samples.map((s) => s.attach)))}   first output ${fmt(median(samples.map((s) => s.firstOutput)))}   worktree→first output ${fmt(after)}${rtts}`;
      };
      console.log(`RTT ${rtt} ms (medians of ${ITER})`);
      console.log(row('mission-control (pooled)', mc));
      console.log(row('prototype (ssh per step)', proto));
      console.log(
        `  mission-control steps: ready ${fmt(median(steps.ready!))}, claim ${fmt(median(steps.claim!))}, ` +
          `worktree ${fmt(median(steps.worktree!))}, start ${fmt(median(steps.start!))}`,
      );
      const after = median(mc.map((s) => s.afterWorktree));
      if (rtt === 0) loopbackAfter = after;
      else if (loopbackAfter !== undefined) {
        const added = after - loopbackAfter;
        console.log(
          `  target: worktree→first output under 2 RTT + the job's own start (${fmt(loopbackAfter).trim()} on loopback): ` +
            `${added <= 2 * rtt ? 'met' : 'NOT met'}, ${(added / rtt).toFixed(2)} RTT added`,
        );
      }
      console.log(`  speed-up to first output: ${(median(proto.map((s) => s.firstOutput)) / median(mc.map((s) => s.firstOutput))).toFixed(1)}x\n`);
    }
  } finally {
    for (const p of proxies) await p.stop();
    await run('tmux', ['-S', socket, 'kill-server'], { allowFailure: true });
    await sshd.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
