import { spawn, type ChildProcess } from 'node:child_process';
import { constants, openSync, closeSync } from 'node:fs';
import { access, chmod, copyFile, cp, link, mkdir, mkdtemp, open, readFile, readdir, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild } from './process.js';
import { startSshd, type SshdOptions, type TestSshd } from './sshd.js';

/**
 * A private Docker daemon for tests, and a worker image assembled from this machine's own binaries.
 *
 * The daemon leaves the host alone: its own data root, exec root, pid file, config file, trust key and unix socket
 * (all under one short temp dir), no bridge, no iptables, no ip_forward change, its own containerd (or, if a system
 * containerd is running, its own containerd namespaces). It never touches /var/run/docker.sock. The only host path it
 * creates is the (empty) plugin discovery dir `/run/docker/plugins`, which dockerd hard-codes.
 *
 * Costs measured on the project's machine: start ≈ 0.2 s, worker image build ≈ 0.3 s, stop ≈ 3 s (dockerd waits for
 * its containerd). Prefer {@link sharedDocker} (one daemon per test process, torn down after the process exits, off the
 * test's clock) over {@link startDocker} (explicit `stop()`).
 *
 * Every daemon has a watchdog process: if the test process dies (crash, SIGKILL, Ctrl-C) without `stop()`, the
 * watchdog removes the containers, stops the daemon by pid, kills what is left of its containerd/shims (found by the
 * daemon's unique temp dir on their command lines), unmounts what is mounted under the temp dir and removes it.
 */

/** Result of one docker CLI call; a non-zero exit is not an error (tests check codes such as 126 and 1). */
export interface DockerResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A bind mount of a host directory; `container` defaults to the same path as `host`. */
export interface WorkerMount {
  host: string;
  container?: string;
  readOnly?: boolean;
}

/** Options for {@link TestDocker.runWorker}. */
export interface RunWorkerOptions {
  /** Container name; default `maintainer-worker`. An existing container with this name is removed first. */
  name?: string;
  /** Image; default: {@link TestDocker.buildWorkerImage}'s default image (built on first use). */
  image?: string;
  mounts?: WorkerMount[];
  /** `none` (default: no network at all) or `host` (the host's network namespace, e.g. to reach a test sshd). */
  network?: 'none' | 'host';
  /** Extra environment variables for the container. */
  env?: Record<string, string>;
}

/** A running private dockerd. */
export interface TestDocker {
  /** The daemon's unix socket path. */
  readonly socket: string;
  /** `unix://<socket>`, the value for `DOCKER_HOST` / `docker -H`. */
  readonly host: string;
  /** Environment to give the product (or any docker CLI) so it talks to this daemon. */
  readonly env: { DOCKER_HOST: string };
  /** The temp dir holding everything of this daemon (data root, exec root, log, socket). */
  readonly dir: string;
  /** The daemon's log file (read it when something fails). */
  readonly logFile: string;
  /** dockerd's pid while it runs. */
  pid(): number | undefined;
  /** Runs `docker -H <host> ...args`. Never rejects on a non-zero exit. */
  docker(args: readonly string[], options?: { input?: string | Buffer; timeoutMs?: number }): Promise<DockerResult>;
  /**
   * Builds (once per daemon and tag) an image from this machine's binaries: busybox-static applets, /bin/sh (dash or
   * busybox), bash, tmux and git with the libraries `ldd` lists, terminfo for xterm/screen/tmux, the C.UTF-8 locale,
   * /etc/passwd and /etc/group with root, /tmp (1777), /root. Returns the tag.
   */
  buildWorkerImage(tag?: string): Promise<string>;
  /** `docker run -d --init --name <name> … <image> sleep infinity`; resolves when the container runs. */
  runWorker(options?: RunWorkerOptions): Promise<{ id: string; name: string }>;
  /** Removes all containers, stops the daemon (SIGTERM, SIGKILL after a grace), unmounts and removes its temp dir. */
  stop(): Promise<void>;
}

/** The default worker image tag. */
export const WORKER_IMAGE = 'mc-test/worker';

const STOP_GRACE_MS = 15_000;
const START_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------------------------
// small process helpers (stdin errors handled: a program that exits before reading stdin must not crash the test)

interface ExecOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds a program in PATH (and the sbin dirs, which non-root PATHs often lack). */
async function which(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const d of dirs) {
    if (d && (await isExecutable(join(d, name)))) return join(d, name);
  }
  return undefined;
}

async function need(name: string, pkg: string): Promise<string> {
  const path = await which(name);
  if (!path) throw new Error(`${name} not found: install ${pkg} (see scripts/ensure-test-deps.sh)`);
  return path;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids of processes whose command line mentions `marker` (our daemon's unique temp dir). */
async function pidsMentioning(marker: string, except: readonly number[]): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (except.includes(pid)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`)).toString().replace(/\0/g, ' ');
      if (cmdline.includes(marker)) pids.push(pid);
    } catch {
      // gone
    }
  }
  return pids;
}

/** Mount points at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

// The watchdog: waits on a pipe from the test process. "done" = stop() cleaned up; EOF = the test process died.
const WATCHDOG = `
trap '' INT HUP PIPE
dir=$1; sock=$2; pid=$3; docker=$4
if read -r line && [ "$line" = done ]; then exit 0; fi
ids=$("$docker" -H "unix://$sock" ps -aq 2>/dev/null)
[ -n "$ids" ] && "$docker" -H "unix://$sock" rm -f $ids >/dev/null 2>&1
if [ -r "/proc/$pid/cmdline" ] && tr '\\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$dir/"; then
  kill -TERM "$pid" 2>/dev/null
  i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done
  kill -KILL "$pid" 2>/dev/null
fi
for p in /proc/[0-9]*; do
  n=\${p#/proc/}; [ "$n" = "$$" ] && continue
  tr '\\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF "$dir/" && kill -KILL "$n" 2>/dev/null
done
awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print length($5), $5 }' /proc/self/mountinfo | sort -rn | while read -r _ m; do umount -l "$m" 2>/dev/null; done
rm -rf "$dir"
`;

// ---------------------------------------------------------------------------------------------------------------
// the daemon

/** Starts a private dockerd (root required). Call `stop()` when done, or use {@link sharedDocker}. */
export async function startDocker(): Promise<TestDocker> {
  const dockerd = await need('dockerd', 'docker.io');
  const dockerCli = await need('docker', 'docker.io');
  // unix socket paths are limited to 108 bytes and containerd puts its sockets under the exec root: stay short.
  const base = tmpdir().length <= 20 ? tmpdir() : '/tmp';
  const dir = await mkdtemp(join(base, 'mcd-'));
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const logFile = join(dir, 'dockerd.log');
  const ns = `mc-test-${basename(dir).slice(4).toLowerCase()}`;
  // A private config file: the host's /etc/docker/daemon.json must not apply, and the trust key must not be written
  // to /etc/docker/key.json (there is no command-line flag for that in dockerd 20.10).
  await writeFile(join(dir, 'daemon.json'), `${JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') })}\n`);
  const args = [
    '--config-file', join(dir, 'daemon.json'),
    '--data-root', join(dir, 'd'),
    '--exec-root', join(dir, 'e'),
    '--pidfile', join(dir, 'dockerd.pid'),
    '-H', host,
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '--ip-forward=false',
    '--ip-masq=false',
    '--userland-proxy=false',
    '--containerd-namespace', ns,
    '--containerd-plugins-namespace', `${ns}-plugins`,
    '--shutdown-timeout', '2',
  ];
  const logFd = openSync(logFile, 'a');
  // Detached: a Ctrl-C in the terminal must not reach the daemon before the containers are removed. Output goes to a
  // file, never a pipe: a Go program writing to a closed stdout/stderr pipe dies of SIGPIPE.
  const child = spawn(dockerd, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref();
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: host };
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  delete env.DOCKER_CERT_PATH;

  const watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'mc-docker-watchdog', dir, socket, String(child.pid), dockerCli], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.stdin!.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void }).unref?.();

  const docker = (cliArgs: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}) =>
    exec(dockerCli, ['-H', host, ...cliArgs], { env, ...options });

  const logTail = async () => {
    try {
      return (await readFile(logFile, 'utf8')).trim().split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  };

  let self: TestDocker | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const { stdout } = await docker(['ps', '-aq'], { timeoutMs: 10_000 }).catch(() => ({ stdout: '' }));
      const ids = stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids], { timeoutMs: 30_000 }).catch(() => undefined);
      child.ref();
      await stopChild(child, STOP_GRACE_MS);
      // containerd and shims left behind by a daemon that had to be SIGKILLed: they name our dir on their command line.
      for (const pid of await pidsMentioning(`${dir}/`, [process.pid, watchdog.pid ?? -1])) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      for (const point of await mountsUnder(dir)) {
        await exec('umount', ['-l', point]).catch(() => undefined);
      }
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      watchdog.stdin!.end('done\n');
      const mine = shared;
      if (mine && self && (await mine.catch(() => undefined)) === self) {
        if (shared === mine) shared = undefined;
      }
    })();
    return stopping;
  };

  const exited = new Promise<never>((_, reject) =>
    child.once('exit', async (code, signal) =>
      reject(new Error(`dockerd exited (${code ?? signal}) while starting:\n${await logTail()}`)),
    ),
  );
  exited.catch(() => undefined);
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const r = await Promise.race([docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 5000 }), exited]);
      if (r.code === 0 && r.stdout.trim()) break;
      if (Date.now() > deadline) throw new Error(`dockerd did not answer within ${START_TIMEOUT_MS} ms:\n${await logTail()}`);
      await sleep(50);
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const hasInit = !!(await which('docker-init'));
  const images = new Map<string, Promise<string>>();

  const instance: TestDocker = {
    socket,
    host,
    env: { DOCKER_HOST: host },
    dir,
    logFile,
    pid: () => (child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    docker,
    buildWorkerImage(tag = WORKER_IMAGE) {
      let p = images.get(tag);
      if (!p) {
        p = buildImage(dir, tag, dockerCli, host, env);
        p.catch(() => images.delete(tag));
        images.set(tag, p);
      }
      return p;
    },
    async runWorker(options = {}) {
      const name = options.name ?? 'maintainer-worker';
      const image = options.image ?? (await instance.buildWorkerImage());
      await docker(['rm', '-f', name]);
      const runArgs = ['run', '-d', '--name', name, '--network', options.network ?? 'none'];
      if (hasInit) runArgs.push('--init'); // reaps the orphans of tmux servers and makes signals work
      for (const m of options.mounts ?? []) {
        runArgs.push('-v', `${m.host}:${m.container ?? m.host}${m.readOnly ? ':ro' : ''}`);
      }
      for (const [k, v] of Object.entries(options.env ?? {})) runArgs.push('-e', `${k}=${v}`);
      runArgs.push(image, 'sleep', 'infinity');
      const r = await docker(runArgs, { timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`docker run ${name} failed (${r.code}): ${r.stderr.trim()}`);
      const id = r.stdout.trim();
      const state = await docker(['inspect', '-f', '{{.State.Running}}', id]);
      if (state.stdout.trim() !== 'true') throw new Error(`container ${name} is not running: ${state.stdout}${state.stderr}`);
      return { id, name };
    },
    stop,
  };
  self = instance;
  return instance;
}

let shared: Promise<TestDocker> | undefined;

/**
 * One private dockerd per test process, started on first call. Don't `stop()` it from a test file that other files
 * in the same process may share; it is torn down by its watchdog when the process exits (off the test's clock), or
 * explicitly with {@link stopSharedDocker}. Containers are not shared state: remove the ones a test starts (or rely on
 * `runWorker` replacing a container of the same name).
 *
 * @example
 * let docker: TestDocker;
 * beforeAll(async () => {
 *   docker = await sharedDocker();
 *   await docker.runWorker({ mounts: [{ host: workDir }] }); // `maintainer-worker`, workDir at the same path inside
 * });
 */
export function sharedDocker(): Promise<TestDocker> {
  if (!shared) {
    const p = startDocker();
    shared = p;
    p.catch(() => {
      if (shared === p) shared = undefined;
    });
  }
  return shared;
}

/** Stops the shared daemon now, if one was started in this process. */
export async function stopSharedDocker(): Promise<void> {
  const p = shared;
  shared = undefined;
  const d = await p?.catch(() => undefined);
  await d?.stop();
}

// ---------------------------------------------------------------------------------------------------------------
// the worker image

const TERMINFO_NAMES = ['xterm', 'xterm-256color', 'screen', 'screen-256color', 'tmux', 'tmux-256color'];
const TERMINFO_DIRS = ['/etc/terminfo', '/lib/terminfo', '/usr/share/terminfo'];

async function isElf(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    await fh.read(buf, 0, 4, 0);
    return buf.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function buildImage(dir: string, tag: string, dockerCli: string, host: string, env: NodeJS.ProcessEnv): Promise<string> {
  const rootfs = await mkdtemp(join(dir, 'rootfs-'));
  const at = (p: string) => join(rootfs, p);
  const put = async (hostPath: string, target: string, mode?: number) => {
    await mkdir(dirname(at(target)), { recursive: true });
    await copyFile(await realpath(hostPath), at(target));
    if (mode !== undefined) await chmod(at(target), mode);
  };
  const libs = new Set<string>();
  const withLibs = async (hostPath: string, target: string) => {
    await put(hostPath, target);
    const r = await exec('ldd', [hostPath]);
    if (r.code !== 0) return; // static
    for (const line of r.stdout.split('\n')) {
      if (line.includes('not found')) throw new Error(`ldd ${hostPath}: ${line.trim()}`);
      const m = /(\/\S+) \(0x[0-9a-f]+\)/.exec(line);
      if (m?.[1]) libs.add(m[1]);
    }
  };

  try {
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home', 'proc', 'sys', 'dev', 'run', 'var/tmp', 'tmp']) {
      await mkdir(at(d), { recursive: true });
    }
    await chmod(at('tmp'), 0o1777);
    await chmod(at('var/tmp'), 0o1777);
    await chmod(at('root'), 0o700);

    // busybox applets
    const busybox = await need('busybox', 'busybox-static');
    if ((await exec('ldd', [busybox])).code === 0) throw new Error(`${busybox} is not static: install busybox-static`);
    await put(busybox, 'bin/busybox', 0o755);
    const applets = (await exec(busybox, ['--list'])).stdout.split('\n').filter((a) => /^[\w.[\]-]+$/.test(a));

    // sh: this machine's /bin/sh (dash on Debian), else busybox
    const sh = await realpath('/bin/sh');
    if (basename(sh) === 'busybox' || !(await isElf(sh))) {
      await symlink('busybox', at('bin/sh'));
    } else {
      await withLibs(sh, `bin/${basename(sh)}`);
      await symlink(basename(sh), at('bin/sh'));
    }
    const bash = await which('bash');
    if (bash) await withLibs(bash, 'bin/bash');
    await withLibs(await need('tmux', 'tmux'), 'usr/bin/tmux');
    const git = await need('git', 'git');
    await withLibs(git, 'usr/bin/git');

    for (const applet of applets) {
      if (applet === 'busybox' || (await exists(at(`bin/${applet}`)))) continue;
      await symlink('busybox', at(`bin/${applet}`));
    }
    await symlink('/bin/busybox', at('usr/bin/env')); // for `#!/usr/bin/env` scripts

    // git's helpers: builtins (symlinks to git, or git itself) and scripts; ELF helpers (curl, daemon…) are left out
    const execPath = (await exec(git, ['--exec-path'])).stdout.trim();
    if (execPath && (await exists(execPath))) {
      await mkdir(at(execPath), { recursive: true });
      for (const e of await readdir(execPath, { withFileTypes: true })) {
        const src = join(execPath, e.name);
        const dst = at(join(execPath, e.name));
        if (e.isSymbolicLink()) await symlink(await readlink(src), dst);
        else if (e.isFile() && e.name === 'git') await link(at('usr/bin/git'), dst);
        else if (e.isFile() && !(await isElf(src))) await copyFile(src, dst);
      }
    }
    if (await exists('/usr/share/git-core/templates')) {
      await cp('/usr/share/git-core/templates', at('usr/share/git-core/templates'), { recursive: true, dereference: true });
    }

    for (const lib of libs) await put(lib, lib);

    for (const name of TERMINFO_NAMES) {
      for (const d of TERMINFO_DIRS) {
        const p = join(d, name[0]!, name);
        if (await exists(p)) await put(p, p);
      }
    }
    for (const loc of ['/usr/lib/locale/C.utf8', '/usr/lib/locale/C.UTF-8']) {
      if (await exists(loc)) await cp(loc, at(loc), { recursive: true, dereference: true });
    }

    await writeFile(at('etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    await writeFile(at('etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    await writeFile(at('etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');

    // tar -C rootfs -c . | docker import - TAG
    const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const imp = spawn(dockerCli, ['-H', host, 'import', '-', tag], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let tarErr = '';
    let impErr = '';
    tar.stderr!.on('data', (d: Buffer) => (tarErr += d.toString()));
    imp.stderr!.on('data', (d: Buffer) => (impErr += d.toString()));
    imp.stdout!.resume();
    imp.stdin!.on('error', () => undefined);
    tar.stdout!.pipe(imp.stdin!);
    const done = (c: ChildProcess) =>
      new Promise<number | null>((resolve, reject) => {
        c.once('error', reject);
        c.once('close', (code) => resolve(code));
      });
    const [tarCode, impCode] = await Promise.all([done(tar), done(imp)]);
    if (tarCode !== 0 || impCode !== 0) {
      throw new Error(`building ${tag} failed: tar ${tarCode} ${tarErr.trim()}; docker import ${impCode} ${impErr.trim()}`);
    }
    return tag;
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// SSH hosts whose sessions reach the daemon

/**
 * sshd_config lines (for {@link SshdOptions.extraConfig}) that let {@link exposeDockerToSshd} hand `DOCKER_HOST` to
 * sessions. `SetEnv DOCKER_HOST=…` in `extraConfig` does NOT work with the current sshd harness: OpenSSH keeps only
 * the first `SetEnv` directive, and the harness already has `SetEnv HOME=…` (checked with the real ssh client).
 */
export const SSHD_DOCKER_CONFIG: readonly string[] = ['PermitUserEnvironment DOCKER_HOST'];

/**
 * Makes every session of `sshd` (started with {@link SSHD_DOCKER_CONFIG}) get `DOCKER_HOST` of `docker`, via an
 * `environment="DOCKER_HOST=…"` option on the authorized key. Survives `sshd.restart()`.
 */
export async function exposeDockerToSshd(sshd: Pick<TestSshd, 'dir'>, docker: Pick<TestDocker, 'host'>): Promise<void> {
  const file = join(sshd.dir, 'authorized_keys');
  const keys = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => `environment="DOCKER_HOST=${docker.host}" ${l.replace(/^environment="DOCKER_HOST=[^"]*" /, '')}`);
  await writeFile(file, `${keys.join('\n')}\n`);
}

/**
 * A test sshd whose sessions talk to `docker` (`DOCKER_HOST` set), as on a real SSH worker that runs jobs in the
 * `maintainer-worker` container.
 *
 * @example
 * const docker = await sharedDocker();
 * await docker.runWorker({ mounts: [{ host: workDir }] });
 * const sshd = await startSshdWithDocker(docker);
 * // the product, over SSH: `docker exec -i maintainer-worker tmux …` reaches the private daemon
 * await run('ssh', ['-i', sshd.clientKeyPath, '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-p', String(sshd.port),
 *   `${sshd.user}@${sshd.host}`, 'docker exec -i maintainer-worker git --version']);
 */
export async function startSshdWithDocker(docker: Pick<TestDocker, 'host'>, options: SshdOptions = {}): Promise<TestSshd> {
  const sshd = await startSshd({ ...options, extraConfig: [...SSHD_DOCKER_CONFIG, ...(options.extraConfig ?? [])] });
  try {
    await exposeDockerToSshd(sshd, docker);
  } catch (e) {
    await sshd.stop();
    throw e;
  }
  return sshd;
}

// ---------------------------------------------------------------------------------------------------------------
// a home like Container-Optimized OS's

/**
 * Makes `dir` a mount of its own with `noexec` (a bind mount onto itself, remounted), as Container-Optimized OS
 * mounts /home: a docker bind mount of anything under it keeps `noexec` inside the container. Root required.
 * Returns the undo: unmounts everything mounted at or under `dir` (deepest first, so mounts the product added
 * below it go too), by path.
 */
export async function mountNoexec(dir: string): Promise<() => Promise<void>> {
  const steps = [
    ['--bind', dir, dir],
    ['-o', 'remount,bind,noexec,nosuid,nodev', dir],
  ];
  for (const args of steps) {
    const result = await exec('mount', args);
    if (result.code !== 0) throw new Error(`mount ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  }
  return () => unmountUnder(dir);
}

/** Unmounts everything mounted at or under `dir` (deepest first), by path: what a test's boot script mounted there. */
export async function unmountUnder(dir: string): Promise<void> {
  for (const point of await mountsUnder(dir)) await exec('umount', ['-l', point]);
}
