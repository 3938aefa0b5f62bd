/**
 * `logs -f` of a large log keeps memory bounded: a 64 MiB backlog and 64 MiB more appended while following, on a
 * real local worker and over real sshd (the framed shell). Figures are memory, never time.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followLog, writeLogTail } from '../../src/jobs/logs.js';
import { LocalProvider } from '../../src/providers/local.js';
import { SshProvider } from '../../src/providers/ssh.js';
import type { WorkerObserver } from '../../src/providers/types.js';
import { SshPool } from '../../src/ssh/pool.js';
import { resolveSshTarget } from '../../src/ssh/target.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
const PART = 64 * MiB;
/** Memory that may be held while 128 MiB of log goes through: generous, and far below what holding the log would take. */
const HELD = 64 * MiB;
/** RSS growth allowed, garbage not yet collected included: holding one part in one read took over three times the part. */
const RSS = 128 * MiB;

/** A full garbage collection, so what is measured is memory still held, not garbage V8 has yet to collect. */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/**
 * Watches this process's memory over a baseline: `held` is the most held after a collection at each sample (V8 heap
 * and memory outside it, such as Buffers), `rss` the highest resident size seen, garbage included.
 */
async function memoryWatch(): Promise<{ sample(): void; stop(): { held: number; rss: number } }> {
  // Buffers are freed by callbacks after a collection: collect, let them run, collect again.
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 50));
  collectGarbage();
  const base = process.memoryUsage();
  // `external` includes the Buffers and ArrayBuffers.
  const heldOf = (m: NodeJS.MemoryUsage) => m.heapUsed + m.external;
  let held = 0;
  let rss = 0;
  const look = () => (rss = Math.max(rss, process.memoryUsage().rss - base.rss));
  const timer = setInterval(look, 5);
  return {
    sample() {
      look();
      collectGarbage();
      held = Math.max(held, heldOf(process.memoryUsage()) - heldOf(base));
    },
    stop() {
      clearInterval(timer);
      return { held, rss };
    },
  };
}

/** Appends `bytes` of log-like lines to `file` with the shell's own tools (never through this process). */
async function appendLog(file: string, bytes: number): Promise<void> {
  await exec('sh', ['-c', `yes 'a line of job output, 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c ${bytes} >>"$1"`, 'sh', file]);
}

async function sha256(file: string): Promise<string> {
  const { stdout } = await exec('sha256sum', [file]);
  return stdout.split(' ')[0] ?? '';
}

describe('logs -f of a large log', () => {
  let dir: string;
  let sshd: TestSshd;
  let pool: SshPool;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-logs-'));
    sshd = await startSshd();
    pool = new SshPool({ agent: '' });
  });

  afterAll(async () => {
    await pool?.close();
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function followBigLog(provider: WorkerObserver, stateDir: string, id: string): Promise<void> {
    const jobDir = join(stateDir, 'jobs', id);
    await mkdir(jobDir, { recursive: true });
    const log = join(jobDir, 'output.log');
    await appendLog(log, PART);

    const hash = createHash('sha256');
    let written = 0;
    let writes = 0;
    const watch = await memoryWatch();
    const write = (text: string) => {
      written += text.length;
      hash.update(text);
      // A full collection costs time: every fourth piece is enough to see what is held (holding the log shows at once).
      if (writes++ % 4 === 0) watch.sample();
    };
    // The whole backlog first (a tail larger than the log), then what is appended while following.
    const following = followLog(provider, stateDir, id, write, { tailBytes: 4 * PART, intervalMs: 100 });
    await appendLog(log, PART);
    await writeFile(join(jobDir, 'exit'), '0\n');
    expect(await following).toBe(0);
    const peak = watch.stop();

    expect(written).toBe(2 * PART);
    expect(hash.digest('hex')).toBe(await sha256(log));
    console.log(`${provider.name}: held at most ${(peak.held / MiB).toFixed(1)} MiB, RSS grew by at most ${(peak.rss / MiB).toFixed(1)} MiB`);
    expect(peak.held, `held ${(peak.held / MiB).toFixed(1)} MiB`).toBeLessThan(HELD);
    expect(peak.rss, `RSS grew by ${(peak.rss / MiB).toFixed(1)} MiB`).toBeLessThan(RSS);

    // Without -f, a tail larger than one read is written in pieces, exactly.
    let tail = '';
    await writeLogTail(provider, stateDir, id, 3 * MiB, (text) => {
      tail += text;
    });
    expect(tail.length).toBe(3 * MiB);
    const { stdout: lastPart } = await exec('tail', ['-c', String(3 * MiB), log], { maxBuffer: 4 * MiB });
    expect(tail === lastPart).toBe(true);
  }

  it('on this machine', async () => {
    const stateDir = join(dir, 'local-state');
    await followBigLog(new LocalProvider({ name: 'here', tmuxSocket: join(dir, 'tmux.sock'), stateDir }), stateDir, '1-big');
  });

  it('over SSH', async () => {
    const config = join(sshd.dir, 'ssh_config');
    await writeFile(
      config,
      `Host worker\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.clientKeyPath}\n  UserKnownHostsFile ${sshd.knownHostsFile}\n`,
    );
    const stateDir = join(sshd.home, 'state');
    const provider = new SshProvider({
      name: 'remote',
      tmuxSocket: join(sshd.home, 'tmux.sock'),
      stateDir,
      attachArgs: ['worker'],
      connect: async () => pool.connection(await resolveSshTarget({ alias: 'worker', sshConfigFile: config })),
    });
    await followBigLog(provider, stateDir, '2-big');
  });
});
