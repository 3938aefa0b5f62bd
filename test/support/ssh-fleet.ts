import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, type SshdOptions, type TestSshd } from '../harness/sshd.js';
import { run } from '../harness/process.js';

/** A test worker: a private sshd, an ssh config entry that names it, and a tmux socket path on it. */
export interface TestWorker {
  readonly name: string;
  readonly sshd: TestSshd;
  /** tmux socket path on the worker (inside its private HOME). */
  readonly socket: string;
  /** Runs tmux on the worker's private socket, here (the "worker" is this machine). */
  tmux(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Several SSH workers on loopback and the files that describe them: an ssh config and a mission-control config. */
export interface TestFleet {
  readonly dir: string;
  readonly workers: readonly TestWorker[];
  readonly sshConfigFile: string;
  /** Writes a mission-control config for these workers and returns its path. */
  writeConfig(extra?: { pollInterval?: string; local?: boolean; containerFor?: string }): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `names.length` private sshd servers and writes an ssh config with one `Host` alias for each. */
export async function startTestFleet(names: readonly string[], sshdOptions: SshdOptions = {}): Promise<TestFleet> {
  const dir = await mkdtemp(join(tmpdir(), 'mc-fleet-'));
  const servers = await Promise.all(names.map(() => startSshd(sshdOptions)));
  const workers = names.map((name, i) => {
    const sshd = servers[i]!;
    const socket = join(sshd.home, 'tmux.sock');
    return {
      name,
      sshd,
      socket,
      tmux: (args: readonly string[]) => run('tmux', ['-u', '-S', socket, ...args], { allowFailure: true }),
    };
  });
  const sshConfigFile = join(dir, 'ssh_config');
  await writeFile(
    sshConfigFile,
    workers
      .map(
        (w) =>
          `Host ${w.name}\n  HostName ${w.sshd.host}\n  Port ${w.sshd.port}\n  User ${w.sshd.user}\n` +
          `  IdentityFile ${w.sshd.clientKeyPath}\n  UserKnownHostsFile ${w.sshd.knownHostsFile}\n  StrictHostKeyChecking yes\n`,
      )
      .join('\n'),
  );
  return {
    dir,
    workers,
    sshConfigFile,
    async writeConfig(extra = {}) {
      const lines = ['defaults:', `  pollInterval: ${extra.pollInterval ?? '1s'}`, 'workers:'];
      if (extra.local) lines.push('  - name: local', '    provider: local', `    tmuxSocket: ${join(dir, 'local.sock')}`, `    stateDir: ${join(dir, 'local-state')}`);
      for (const w of workers) {
        lines.push(
          `  - name: ${w.name}`,
          '    provider: ssh',
          `    ssh: ${w.name}`,
          `    sshConfigFile: ${sshConfigFile}`,
          `    tmuxSocket: ${w.socket}`,
          `    stateDir: ${join(w.sshd.home, 'state')}`,
        );
        if (extra.containerFor === w.name) lines.push('    container:', '      name: maintainer-worker');
      }
      const path = join(dir, 'config.yaml');
      await writeFile(path, `${lines.join('\n')}\n`);
      return path;
    },
    async stop() {
      for (const w of workers) await w.tmux(['kill-server']);
      await Promise.all(servers.map((s) => s.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `predicate` holds, checking every 20 ms; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
