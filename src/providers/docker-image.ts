/**
 * The default image of `provider: docker` workers, built on this machine without any image registry: a root
 * filesystem assembled from this machine's own binaries (sh, tmux, git, the usual command-line tools, each with the
 * libraries `ldd` lists), busybox (when installed) for any tool not found, then `tar | docker import`. It takes
 * seconds and needs no network; the image carries no CMD (the worker's container runs `sleep infinity`).
 */
import { spawn } from 'node:child_process';
import { access, chmod, copyFile, cp, link, mkdir, mkdtemp, open, readdir, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir, userInfo } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { DEFAULT_WORKER_IMAGE } from '../config/schema.js';
import { runChild } from './local.js';
import type { ProgressReporter } from './types.js';


/** Tools copied from this machine when it has them (tmux, git and sh are required). */
const TOOLS = [
  'bash', 'env', 'sleep', 'cat', 'ls', 'mkdir', 'rm', 'rmdir', 'mv', 'cp', 'ln', 'id', 'kill', 'date', 'grep', 'sed',
  'head', 'tail', 'tr', 'wc', 'printf', 'chmod', 'touch', 'stat', 'dirname', 'basename', 'readlink', 'realpath', 'sort',
  'uniq', 'cut', 'mktemp', 'tee', 'find', 'xargs', 'test', 'true', 'false', 'ps', 'diff', 'less', 'awk', 'timeout', 'which',
];
const TERMINFO = ['xterm', 'xterm-256color', 'screen', 'screen-256color', 'tmux', 'tmux-256color'];
const TERMINFO_DIRS = ['/etc/terminfo', '/lib/terminfo', '/usr/share/terminfo'];

/** Options for {@link buildWorkerImage}. */
export interface BuildImageOptions {
  readonly tag?: string;
  /** `DOCKER_HOST` for the `docker import` (default: the environment's). */
  readonly dockerHost?: string;
  readonly progress?: ProgressReporter;
}

/** Builds the worker image and imports it into the docker daemon; resolves to its tag. */
export async function buildWorkerImage(options: BuildImageOptions = {}): Promise<string> {
  const tag = options.tag ?? DEFAULT_WORKER_IMAGE;
  const progress = options.progress ?? (() => undefined);
  const rootfs = await mkdtemp(join(tmpdir(), 'mc-rootfs-'));
  try {
    progress('assembling a root filesystem from this machine’s tmux, git and sh');
    await assembleRootfs(rootfs);
    progress(`importing it into docker as ${tag}`);
    await importRootfs(rootfs, tag, options.dockerHost);
    progress(`built ${tag}`);
    return tag;
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

/** Finds a program on PATH. */
async function which(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const path = join(dir, name);
    if (await exists(path)) return path;
  }
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

async function isElf(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    await file.read(head, 0, 4, 0);
    return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    await file.close();
  }
}

async function assembleRootfs(rootfs: string): Promise<void> {
  const at = (path: string) => join(rootfs, path);
  const libs = new Set<string>();
  const put = async (hostPath: string, target: string) => {
    await mkdir(dirname(at(target)), { recursive: true });
    await copyFile(await realpath(hostPath), at(target));
  };
  const withLibs = async (hostPath: string, target: string) => {
    await put(hostPath, target);
    const result = await runChild(['ldd', hostPath]);
    if (result.code !== 0) return; // static
    for (const line of result.stdout.split('\n')) {
      if (line.includes('not found')) throw new Error(`cannot build the worker image: ${hostPath} needs a library this machine lacks (${line.trim()})`);
      const match = /(\/\S+) \(0x[0-9a-f]+\)/.exec(line);
      if (match?.[1]) libs.add(match[1]);
    }
  };
  const need = async (name: string) => {
    const path = await which(name);
    if (!path) throw new Error(`cannot build the worker image: ${name} is not installed on this machine; install it (apt-get install ${name}) and retry`);
    return path;
  };

  for (const dir of ['bin', 'usr/bin', 'etc', 'root', 'home', 'proc', 'sys', 'dev', 'run', 'tmp', 'var/tmp']) await mkdir(at(dir), { recursive: true });
  await chmod(at('tmp'), 0o1777);
  await chmod(at('var/tmp'), 0o1777);

  const sh = await realpath('/bin/sh');
  await withLibs(sh, `bin/${basename(sh)}`);
  if (basename(sh) !== 'sh') await symlink(basename(sh), at('bin/sh'));
  await withLibs(await need('tmux'), 'usr/bin/tmux');
  const git = await need('git');
  await withLibs(git, 'usr/bin/git');
  for (const tool of TOOLS) {
    const path = await which(tool);
    if (path && (await isElf(await realpath(path)))) await withLibs(path, `usr/bin/${tool}`);
  }
  // busybox (static) stands in for any tool this machine lacks.
  const busybox = await which('busybox');
  if (busybox && (await runChild(['ldd', busybox])).code !== 0) {
    await put(busybox, 'bin/busybox');
    for (const applet of (await runChild([busybox, '--list'])).stdout.split('\n')) {
      if (!/^[\w.[\]-]+$/.test(applet) || (await exists(at(`bin/${applet}`))) || (await exists(at(`usr/bin/${applet}`)))) continue;
      await symlink('busybox', at(`bin/${applet}`));
    }
  }
  await copyGitHelpers(git, at);
  for (const lib of libs) await put(lib, lib);
  for (const name of TERMINFO) {
    for (const dir of TERMINFO_DIRS) {
      const path = join(dir, name[0]!, name);
      if (await exists(path)) await put(path, path);
    }
  }
  for (const locale of ['/usr/lib/locale/C.utf8', '/usr/lib/locale/C.UTF-8']) {
    if (await exists(locale)) await cp(locale, at(locale), { recursive: true, dereference: true });
  }
  if (await exists('/etc/ssl/certs')) await cp('/etc/ssl/certs', at('etc/ssl/certs'), { recursive: true, dereference: true });
  // The user who builds it has an entry, so git and tmux can name the user the container runs as.
  const user = userInfo();
  const self = user.uid === 0 ? '' : `${user.username}:x:${user.uid}:${user.gid}::${homedir()}:/bin/sh\n`;
  await writeFile(at('etc/passwd'), `root:x:0:0:root:/root:/bin/sh\n${self}nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n`);
  await writeFile(at('etc/group'), `root:x:0:\n${user.uid === 0 ? '' : `${user.username}:x:${user.gid}:\n`}nogroup:x:65534:\n`);
  await writeFile(at('etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
}

/** git's helpers: builtins (links to git) and scripts; ELF helpers (remote-https, daemon…) only with their libraries. */
async function copyGitHelpers(git: string, at: (path: string) => string): Promise<void> {
  const execPath = (await runChild([git, '--exec-path'])).stdout.trim();
  if (!execPath || !(await exists(execPath))) return;
  await mkdir(at(execPath), { recursive: true });
  for (const entry of await readdir(execPath, { withFileTypes: true })) {
    const source = join(execPath, entry.name);
    const target = at(join(execPath, entry.name));
    if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
    else if (entry.isFile() && entry.name === 'git') await link(at('usr/bin/git'), target);
    else if (entry.isFile() && !(await isElf(source))) await copyFile(source, target);
  }
  if (await exists('/usr/share/git-core/templates')) {
    await cp('/usr/share/git-core/templates', at('usr/share/git-core/templates'), { recursive: true, dereference: true });
  }
}

/** `tar -C rootfs -c . | docker import - TAG`. */
async function importRootfs(rootfs: string, tag: string, dockerHost: string | undefined): Promise<void> {
  const env = dockerHost ? { ...process.env, DOCKER_HOST: dockerHost } : process.env;
  const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const docker = spawn('docker', ['import', '-', tag], { env, stdio: ['pipe', 'ignore', 'pipe'] });
  const errors = { tar: '', docker: '' };
  tar.stderr.on('data', (chunk: Buffer) => (errors.tar += chunk.toString()));
  docker.stderr.on('data', (chunk: Buffer) => (errors.docker += chunk.toString()));
  docker.stdin.on('error', () => undefined);
  tar.stdout.pipe(docker.stdin);
  const done = (child: ReturnType<typeof spawn>) =>
    new Promise<number | null>((resolve) => {
      child.once('error', (error) => resolve((errors.docker += String(error), -1)));
      child.once('close', resolve);
    });
  const [tarCode, dockerCode] = await Promise.all([done(tar), done(docker)]);
  if (tarCode !== 0 || dockerCode !== 0) {
    throw new Error(`importing the worker image ${tag} failed: tar exited ${tarCode} ${errors.tar.trim()}; docker import exited ${dockerCode} ${errors.docker.trim()}; check that the docker daemon is running and reachable`);
  }
}
