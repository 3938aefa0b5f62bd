import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDocker, startSshdWithDocker, stopSharedDocker, WORKER_IMAGE, type TestDocker } from '../harness/docker.js';
import { run } from '../harness/process.js';
import type { TestSshd } from '../harness/sshd.js';

const timings: Record<string, number> = {};
async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings[name] = Math.round(performance.now() - t0);
  }
}

describe('private docker daemon and maintainer-worker container', () => {
  let docker: TestDocker;
  let work: string;
  const hostSockExisted = existsSync('/var/run/docker.sock');
  const hostKeyExisted = existsSync('/etc/docker/key.json');

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mc-work-'));
    await writeFile(join(work, 'from-host.txt'), 'hello from the host\n');
    docker = await timed('daemon start', () => sharedDocker());
  });

  afterAll(async () => {
    await stopSharedDocker();
    if (work) await rm(work, { recursive: true, force: true });
    console.log('docker harness timings (ms):', JSON.stringify(timings));
  });

  it('answers on its own socket and leaves the host daemon paths alone', async () => {
    expect(docker.host).toBe(`unix://${docker.socket}`);
    expect(docker.env).toEqual({ DOCKER_HOST: docker.host });
    expect(docker.socket.startsWith(docker.dir)).toBe(true);
    expect(Buffer.byteLength(join(docker.dir, 'e/containerd/containerd-debug.sock'))).toBeLessThan(100);
    const info = await docker.docker(['info', '--format', '{{.DockerRootDir}} {{.ServerVersion}}']);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain(join(docker.dir, 'd'));
    // the CLI with only the env (as the product will run it) reaches the same daemon
    const viaEnv = await run('docker', ['info', '--format', '{{.DockerRootDir}}'], { env: { ...process.env, ...docker.env } });
    expect(viaEnv.stdout.trim()).toBe(join(docker.dir, 'd'));
    expect(existsSync('/var/run/docker.sock')).toBe(hostSockExisted);
    expect(existsSync('/etc/docker/key.json')).toBe(hostKeyExisted);
    expect(typeof docker.pid()).toBe('number');
  });

  it('builds the worker image from this machine’s binaries', async () => {
    const tag = await timed('image build', () => docker.buildWorkerImage());
    expect(tag).toBe(WORKER_IMAGE);
    const again = await timed('image build (cached)', () => docker.buildWorkerImage());
    expect(again).toBe(tag);
    const inspect = await docker.docker(['image', 'inspect', '-f', '{{.Size}}', tag]);
    expect(inspect.code).toBe(0);
    expect(Number(inspect.stdout.trim())).toBeGreaterThan(1_000_000);
  });

  it('runs maintainer-worker with a mount at the same path as on the host', async () => {
    const { name } = await timed('container run', () => docker.runWorker({ mounts: [{ host: work }] }));
    expect(name).toBe('maintainer-worker');
    const ps = await docker.docker(['ps', '--filter', 'name=^maintainer-worker$', '--format', '{{.Names}} {{.State}}']);
    expect(ps.stdout.trim()).toBe('maintainer-worker running');
    const cat = await docker.docker(['exec', 'maintainer-worker', 'cat', join(work, 'from-host.txt')]);
    expect(cat).toMatchObject({ code: 0, stdout: 'hello from the host\n' });
    const write = await docker.docker(['exec', 'maintainer-worker', 'sh', '-c', `echo from the container > ${join(work, 'from-container.txt')}`]);
    expect(write.code).toBe(0);
    expect(await readFile(join(work, 'from-container.txt'), 'utf8')).toBe('from the container\n');
  });

  it('has a usable shell environment (/tmp 1777, root, coreutils applets)', async () => {
    const r = await docker.docker(['exec', 'maintainer-worker', 'sh', '-c',
      'stat -c %a /tmp; id -un; printf "%s\\n" "$HOME"; date +%Y >/dev/null && echo date-ok; nproc >/dev/null && echo nproc-ok; echo aGk= | base64 -d; echo; bash -c "echo bash-ok"']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['1777', 'root', '/root', 'date-ok', 'nproc-ok', 'hi', 'bash-ok', '']);
  });

  it('runs tmux inside the container', async () => {
    const tmux = (...args: string[]) => docker.docker(['exec', 'maintainer-worker', 'tmux', '-S', '/tmp/mc-test.sock', ...args]);
    expect((await tmux('new-session', '-d', '-s', 'job', '-x', '80', '-y', '24', 'echo tmux-pane-ok; sleep 100')).code).toBe(0);
    const ls = await tmux('list-sessions', '-F', '#{session_name} #{session_windows}');
    expect(ls).toMatchObject({ code: 0, stdout: 'job 1\n' });
    // the pane runs and its output can be captured (terminfo present)
    let captured = '';
    for (let i = 0; i < 100 && !captured.includes('tmux-pane-ok'); i++) {
      captured = (await tmux('capture-pane', '-p', '-t', 'job')).stdout;
    }
    expect(captured).toContain('tmux-pane-ok');
    expect((await tmux('kill-server')).code).toBe(0);
    expect((await tmux('list-sessions')).code).toBe(1);
  });

  it('runs git inside the container on the shared mount', async () => {
    const version = await docker.docker(['exec', 'maintainer-worker', 'git', '--version']);
    expect(version.stdout).toMatch(/^git version \d/);
    const repo = join(work, 'repo');
    const r = await docker.docker(['exec', '-w', work, 'maintainer-worker', 'sh', '-c',
      `git init -q repo && cd repo && echo x > f && git add f && git -c user.name=t -c user.email=t@example.com commit -q -m first && git worktree add -q ../wt -b side && git rev-parse --abbrev-ref HEAD`]);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: 'master\n' });
    // the host sees the same repository at the same path
    const log = await run('git', ['-C', repo, 'log', '--format=%s']);
    expect(log.stdout.trim()).toBe('first');
    expect((await stat(join(work, 'wt', 'f'))).isFile()).toBe(true);
  });

  it('reports the exit codes the product relies on', async () => {
    const missingBinary = await docker.docker(['exec', 'maintainer-worker', 'no-such-program']);
    expect(missingBinary.code).toBe(126);
    const missingContainer = await docker.docker(['exec', 'no-such-container', 'true']);
    expect(missingContainer.code).toBe(1);
    expect(missingContainer.stderr).toMatch(/No such container/i);
    const exitCode = await docker.docker(['exec', 'maintainer-worker', 'sh', '-c', 'exit 7']);
    expect(exitCode.code).toBe(7);
  });

  describe('over SSH, as on a remote worker', () => {
    let sshd: TestSshd;
    beforeAll(async () => {
      sshd = await startSshdWithDocker(docker);
    });
    afterAll(async () => {
      await sshd?.stop();
    });
    const ssh = (command: string, input?: string) =>
      run('ssh', [
        '-i', sshd.clientKeyPath,
        '-o', 'BatchMode=yes',
        '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`,
        '-p', String(sshd.port),
        `${sshd.user}@${sshd.host}`,
        command,
      ], { input });

    it('sessions get DOCKER_HOST (and keep the harness HOME)', async () => {
      const r = await ssh('printf "%s\\n%s\\n" "$DOCKER_HOST" "$HOME"');
      expect(r.stdout).toBe(`${docker.host}\n${sshd.home}\n`);
    });

    it('docker exec -i maintainer-worker works through ssh, with stdin', async () => {
      const r = await ssh('docker exec -i maintainer-worker sh -c "cat; tmux -V; git --version"', 'piped in\n');
      expect(r.stdout).toMatch(/^piped in\ntmux \d.*\ngit version \d.*\n$/);
    });
  });

  it('stop() removes the containers, the daemon, its mounts and its files', async () => {
    const pid = docker.pid()!;
    const dir = docker.dir;
    await timed('daemon stop', () => docker.stop());
    expect(docker.pid()).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(dir)).toBe(false);
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    expect(mounts).not.toContain(dir);
    const left = (await run('pgrep', ['-f', dir], { allowFailure: true })).stdout.trim();
    expect(left).toBe('');
    // a new shared daemon can be started afterwards (the old one is forgotten)
    expect(await sharedDocker()).not.toBe(docker);
    await stopSharedDocker();
  });
});
