import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { freePort, run, stopChild, waitForBanner } from './process.js';

/** A private OpenSSH server on loopback, with generated keys and its own HOME for the login user. */
export interface TestSshd {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The HOME that sessions on this server get (empty rc files). */
  readonly home: string;
  /** The directory holding this server's keys and config. */
  readonly dir: string;
  /** A private key the server accepts. */
  readonly clientKeyPath: string;
  /** The server's public host key, `type base64`. */
  readonly hostPublicKey: string;
  /** A known_hosts file that trusts this server (and nothing else). */
  readonly knownHostsFile: string;
  /** The line of that file. */
  readonly knownHostsLine: string;
  /** The sshd process id (the listener), while it runs. */
  pid(): number | undefined;
  /** Kills the listener and every session it started (SIGKILL): a worker dying. */
  kill(): Promise<void>;
  /** Starts the listener again on the same port with the same keys. */
  restart(): Promise<void>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/** Options for {@link startSshd}. */
export interface SshdOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Extra sshd_config lines. */
  extraConfig?: string[];
  /** Environment for sessions (one `SetEnv` line: OpenSSH keeps only the first SetEnv it reads). */
  env?: Record<string, string>;
  /** Listen port; default a free port on `host` (give one when `host` lives in another network namespace). */
  port?: number;
  /**
   * A command the listener runs under, e.g. `['nsenter', '--net=/var/run/netns/NAME']`; it must exec sshd in place
   * (keep the pid), so the listener's pid is still the one {@link TestSshd.pid} reports.
   */
  launcher?: readonly string[];
  /**
   * Log sessions in as a throwaway user whose login shell is this program (e.g. `/usr/bin/fish`) instead of the
   * current user: made with `useradd`, given the server's HOME (empty rc files for sh, bash, zsh, fish, tcsh),
   * authorized for the client key, and removed (`userdel`, after its processes are killed by pid) by `stop()`.
   */
  loginShell?: string;
}

/** Empty rc files of every shell a test user may have, so nothing but the product runs at login. */
const RC_FILES = ['.bashrc', '.profile', '.zshenv', '.zshrc', '.tcshrc', '.cshrc', '.login', '.config/fish/config.fish'];

/** A user made for one test server. */
interface TestUser {
  readonly name: string;
  readonly uid: number;
}

/** Creates a locked-password (but key-login) user with `shell` as its login shell and `home` as its home. */
async function createUser(shell: string, home: string): Promise<TestUser> {
  const name = `mc-${basename(shell).slice(0, 8)}-${randomBytes(3).toString('hex')}`;
  // `*`, not useradd's default `!`: with UsePAM off, sshd refuses accounts whose password starts with `!`.
  await withPasswdLock(() => run('useradd', ['-M', '-d', home, '-s', shell, '-p', '*', name], { allowFailure: true }));
  const uid = Number((await run('id', ['-u', name])).stdout.trim());
  return { name, uid };
}

/** Kills every process of `user` (found by uid in /proc, killed by pid), then removes the user and its group. */
async function removeUser(user: TestUser): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const pids: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
      if (new RegExp(`^Uid:\\s+${user.uid}\\s`, 'm').test(status)) pids.push(Number(entry));
    }
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await withPasswdLock(() => run('userdel', [user.name], { allowFailure: true }));
}

/** Runs useradd or userdel, again while another process holds the lock of /etc/passwd (tests run in parallel). */
async function withPasswdLock(command: () => Promise<{ code: number | null; stderr: string }>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const result = await command();
    if (result.code === 0) return;
    if (!/lock/i.test(result.stderr) || attempt >= 20) throw new Error(`user account change failed: ${result.stderr.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 100 + 50 * attempt));
  }
}

const SSHD = '/usr/sbin/sshd';

/** Raised when the chosen port turned out to be someone else's listener (it was taken between choosing and binding). */
class PortTakenError extends Error {
  override readonly name = 'PortTakenError';
}

/** Starts a private sshd on a free loopback port. Requires root (it logs sessions in as the current user). */
export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  // A free port is only free until someone binds it: test files start sshd in parallel, and another one may take
  // the port between `freePort` and this sshd's bind. Its banner would then pass for ours, with another host key.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSshdOnce(options);
    } catch (error) {
      if (!(error instanceof PortTakenError) || options.port !== undefined || attempt >= 5) throw error;
    }
  }
}

/** Whether the process `pid` is the one listening on `host:port`. */
async function listensOn(pid: number, port: number): Promise<boolean> {
  const { stdout } = await run('ss', ['-Hltnp', `sport = :${port}`], { allowFailure: true });
  return stdout.includes(`pid=${pid},`);
}

async function startSshdOnce(options: SshdOptions): Promise<TestSshd> {
  const host = options.host ?? '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'mc-sshd-'));
  const home = join(dir, 'home');
  await mkdir(join(home, '.ssh'), { recursive: true });
  await writeFile(join(home, '.bashrc'), '');
  await writeFile(join(home, '.profile'), '');
  await mkdir('/run/sshd', { recursive: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mc-test-host', '-f', join(dir, 'host_ed25519')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mc-test-client', '-f', join(dir, 'client_ed25519')]);
  const clientPub = await readFile(join(dir, 'client_ed25519.pub'), 'utf8');
  await writeFile(join(dir, 'authorized_keys'), clientPub);
  await chmod(join(dir, 'authorized_keys'), 0o600);
  const hostPublicKey = (await readFile(join(dir, 'host_ed25519.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const port = options.port ?? (await freePort(host));
  const testUser = options.loginShell ? await createUser(options.loginShell, home) : undefined;
  if (testUser) {
    try {
      for (const file of RC_FILES) {
        await mkdir(join(home, file, '..'), { recursive: true });
        await writeFile(join(home, file), '');
      }
      // sshd reads the authorized keys as the user; the user needs to reach its HOME inside this directory.
      await chmod(dir, 0o755);
      await run('chown', ['-R', `${testUser.name}:`, home, join(dir, 'authorized_keys')]);
    } catch (error) {
      await removeUser(testUser);
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }
  const user = testUser?.name ?? (await run('id', ['-un'])).stdout.trim();
  const knownHostsLine = `[${host}]:${port} ${hostPublicKey}`;
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, `${knownHostsLine}\n`);
  const config = [
    `Port ${port}`,
    `ListenAddress ${host}`,
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'AllowTcpForwarding yes',
    'LogLevel ERROR',
    `SetEnv ${Object.entries({ HOME: home, ...options.env }).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    ...(options.extraConfig ?? []),
  ];
  await writeFile(join(dir, 'sshd_config'), `${config.join('\n')}\n`);

  let child: ChildProcess | undefined;
  const launch = async () => {
    const [program = SSHD, ...prefix] = [...(options.launcher ?? []), SSHD];
    child = spawn(program, [...prefix, '-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const failed = new Promise<never>((_, reject) =>
      child!.once('exit', (code) => reject(new Error(`sshd exited ${code}: ${stderr.trim()}`))),
    );
    try {
      await Promise.race([waitForBanner(host, port), failed]);
    } catch (error) {
      if (/Address already in use|Cannot bind any address/.test(stderr)) throw new PortTakenError(`port ${port} is taken`);
      throw error;
    }
    failed.catch(() => undefined);
    // Only a port chosen here can be someone else's (a given one may be in another network namespace, out of sight).
    if (options.port === undefined && !(await listensOn(child.pid!, port))) {
      child.kill('SIGKILL');
      throw new PortTakenError(`port ${port} answers, but not from this sshd (pid ${child.pid})`);
    }
  };
  try {
    await launch();
  } catch (error) {
    if (testUser) await removeUser(testUser);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  // Sessions are children of per-connection sshd processes, which outlive the listener; kill them by
  // their parent: the listener's pid.
  const killSessions = async () => {
    const pid = child?.pid;
    if (!pid) return;
    const { stdout } = await run('pgrep', ['-P', String(pid)], { allowFailure: true });
    for (const line of stdout.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(line), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  return {
    host,
    port,
    user,
    home,
    dir,
    clientKeyPath: join(dir, 'client_ed25519'),
    hostPublicKey,
    knownHostsFile,
    knownHostsLine,
    pid: () => child?.pid,
    async kill() {
      await killSessions();
      if (child) await stopChild(child, 0);
    },
    async restart() {
      if (child && child.exitCode === null && child.signalCode === null) return;
      await launch();
    },
    async stop() {
      await killSessions();
      if (child) await stopChild(child);
      try {
        if (testUser) await removeUser(testUser);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
