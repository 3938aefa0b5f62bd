import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { main } from '../../src/cli/main.js';
import { HELP } from '../../src/cli/usage.js';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_WORKER_IMAGE, type FleetConfig } from '../../src/config/schema.js';
import { createJobActions } from '../../src/jobs/actions.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { sharedDocker, type TestDocker } from '../harness/docker.js';
import { makeRemote } from '../support/git-remote.js';
import { waitFor } from '../support/ssh-fleet.js';

describe('provider: docker, a sandbox worker on the private dockerd (real docker, tmux, git)', () => {
  let docker: TestDocker;
  let dir: string;
  let config: FleetConfig;
  const fleets: Fleet<WorkerProvider>[] = [];
  const container = 'mc-sandbox-test';
  const fleet = () => {
    const created = createFleet(config);
    fleets.push(created);
    return created;
  };
  const jobFile = (id: string, file: string) => join(dir, 'state', 'jobs', id, file);
  const text = (path: string) => readFile(path, 'utf8').catch(() => '');
  const inspect = async () => (await docker.docker(['inspect', '-f', '{{.State.Status}}', container])).stdout.trim();

  beforeAll(async () => {
    docker = await sharedDocker();
    dir = await mkdtemp(join(tmpdir(), 'mc-docker-worker-'));
    const remote = await makeRemote(dir);
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      [
        'workers:',
        '  - name: sandbox',
        '    provider: docker',
        `    container: { name: ${container} }`,
        `    mounts: [${JSON.stringify(dir)}]`,
        `    dockerHost: ${JSON.stringify(docker.host)}`,
        `    stateDir: ${JSON.stringify(join(dir, 'state'))}`,
        'kinds:',
        '  write:',
        '    params: { n: { pattern: "^[0-9]+$" } }',
        '    command: [sh, -c, "echo hi > written.txt; id -u > uid.txt; echo wrote"]',
        '    worktree: { fetch: HEAD }',
        '  sleepy:',
        '    params: { n: { pattern: "^[0-9]+$" } }',
        '    command: [sh, -c, "echo started; exec sleep 600"]',
        '    worktree: { fetch: HEAD }',
        'repo:',
        `  url: ${JSON.stringify(remote)}`,
        `  mainDir: ${JSON.stringify(join(dir, 'main'))}`,
        `  worktreesDir: ${JSON.stringify(join(dir, 'worktrees'))}`,
        '',
      ].join('\n'),
    );
    const loaded = await loadConfig(file);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    config = loaded.config;
  });

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.close()));
    await docker?.docker(['rm', '-f', container]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resolves the defaults: container mc-<worker>, the locally built image, the home mounts', async () => {
    const file = join(dir, 'defaults.yaml');
    await writeFile(file, 'agent: claude\nworkers:\n  - { name: box, provider: docker }\n');
    const loaded = await loadConfig(file);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    expect(loaded.config.workers[0]).toMatchObject({
      provider: 'docker',
      container: { name: 'mc-box' },
      image: DEFAULT_WORKER_IMAGE,
      mounts: ['~/dev', '~/.gemini', '~/.offload', '~/.claude'],
    });
  });

  it('provisions (building the default image), launches a job whose files belong to the user, stops, rebuilds and destroys', async () => {
    const f = fleet();
    const provider = f.provider('sandbox')!;
    expect(await provider.getStatus()).toMatchObject({ state: 'missing' });

    const steps: string[] = [];
    await provider.provision((step) => steps.push(step));
    expect(steps.join('\n')).toMatch(/building it/);
    expect(steps.at(-1)).toMatch(/is ready/);
    expect(await inspect()).toBe('running');
    const user = (await docker.docker(['inspect', '-f', '{{.Config.User}} {{range .Config.Env}}{{.}} {{end}}', container])).stdout;
    expect(user).toContain(`${process.getuid!()}:${process.getgid!()}`);
    expect(user).toContain(`HOME=${process.env.HOME}`);

    const actions = createJobActions(f, config.jobs);
    await actions.setup('sandbox');
    const launched = await actions.launch({ kind: 'write', params: { n: '1' } });
    const worktree = join(dir, 'worktrees', '1-write');
    expect(launched).toMatchObject({ worker: 'sandbox', created: true, worktree });
    await waitFor('the job to exit', () => existsSync(jobFile('1-write', 'exit')), 60_000);
    // The pane reaches the log through tmux's pipe, which may still be writing when the exit code is recorded.
    await waitFor('the job output in its log', async () => (await text(jobFile('1-write', 'output.log'))).includes('wrote'), 30_000);
    expect((await text(join(worktree, 'uid.txt'))).trim()).toBe(String(process.getuid!()));
    const written = await stat(join(worktree, 'written.txt'));
    expect([written.uid, written.gid]).toEqual([process.getuid!(), process.getgid!()]);

    const sleepy = await actions.launch({ kind: 'sleepy', params: { n: '2' } });
    const attach = provider.attachCommand(sleepy.sessionId!);
    expect(attach.argv.slice(0, 4)).toEqual(['docker', 'exec', '-it', container]);
    expect(attach.env).toEqual({ DOCKER_HOST: docker.host });
    await waitFor('the job to start', async () => (await text(jobFile('2-sleepy', 'output.log'))).includes('started'), 60_000);

    await provider.stop();
    expect(await inspect()).toBe('exited');
    expect(await provider.getStatus()).toMatchObject({ state: 'stopped' });
    await provider.start();
    expect(await inspect()).toBe('running');

    const rebuildSteps: string[] = [];
    await provider.rebuild((step) => rebuildSteps.push(step));
    expect(rebuildSteps.join('\n')).toMatch(/removing container[\s\S]*creating container/);
    await f.refreshAll();
    const jobs = selectAllJobs(f.store.getState());
    expect(jobs.find((j) => j.id === '2-sleepy')).toMatchObject({ state: 'lost' });
    expect(existsSync(join(worktree, 'written.txt'))).toBe(true);
    expect(existsSync(join(dir, 'worktrees', '2-sleepy'))).toBe(true);

    await provider.destroy();
    expect(await provider.getStatus()).toMatchObject({ state: 'missing' });
  });

  it('mission-control image build makes an image with sh, tmux and git, without a registry', async () => {
    const tag = 'mc-test/cli-built:1';
    await docker.docker(['image', 'rm', '-f', tag]);
    expect(await main(['image', 'build', '--tag', tag, '--docker-host', docker.host])).toBe(0);
    const ran = await docker.docker(['run', '--rm', '--network', 'none', tag, 'sh', '-c', 'tmux -V && git --version && id -u'], { timeoutMs: 60_000 });
    expect(ran.stdout).toMatch(/^tmux \d[\s\S]*git version/);
    expect(await main(['image', '--help'])).toBe(0);
    expect(HELP).toContain('mission-control image build');
    expect(await main(['image', 'frob'])).toBe(2);
    await docker.docker(['image', 'rm', '-f', tag]);
  });

  it('runs as the configured user: files written in a mount belong to that uid and gid, HOME is theirs', async () => {
    const { DockerProvider } = await import('../../src/providers/docker.js');
    const worker = config.workers[0]!;
    if (worker.provider !== 'docker') throw new Error('expected the docker worker');
    const home = join(dir, 'home-4321');
    // The home is that user's own, as a real one is (mission-control creates missing mounts as the user running it).
    await mkdir(home);
    await chown(home, 4321, 4322);
    const provider = new DockerProvider({ ...worker, name: 'other', container: { name: 'mc-other-test', runtime: 'docker' }, mounts: [home], stateDir: join(home, '.mission-control') }, { uid: 4321, gid: 4322, home });
    try {
      await provider.provision();
      const result = await provider.exec({ script: 'echo hi > "$HOME/mine.txt" && echo "$(id -u):$(id -g) $HOME"' });
      expect(result).toMatchObject({ code: 0, stdout: `4321:4322 ${home}\n` });
      const written = await stat(join(home, 'mine.txt'));
      expect([written.uid, written.gid]).toEqual([4321, 4322]);
    } finally {
      await provider.destroy();
    }
  });

  it('names the image when it has no tmux', async () => {
    const bare = join(dir, 'bare');
    await docker.docker(['image', 'rm', '-f', 'mc-test/no-tmux']);
    const imported = await docker.docker(['import', '-', 'mc-test/no-tmux'], {
      input: await tarOfBusybox(bare),
    });
    expect(imported.code).toBe(0);
    const provider = fleet().provider('sandbox')!;
    const { DockerProvider } = await import('../../src/providers/docker.js');
    const worker = config.workers[0]!;
    if (worker.provider !== 'docker') throw new Error('expected the docker worker');
    const noTmux = new DockerProvider({ ...worker, name: 'bare', container: { name: 'mc-bare-test', runtime: 'docker' }, image: 'mc-test/no-tmux' });
    try {
      await expect(noTmux.provision()).rejects.toThrow(/image mc-test\/no-tmux cannot run jobs \(no tmux/);
    } finally {
      await docker.docker(['rm', '-f', 'mc-bare-test']);
    }
    expect(provider.kind).toBe('docker');
  });
});

/** A tar of a root filesystem that has busybox's sh but no tmux. */
async function tarOfBusybox(root: string): Promise<Buffer> {
  const { execFileSync } = await import('node:child_process');
  execFileSync('sh', ['-c', 'mkdir -p "$1/bin" "$1/tmp" && cp "$(command -v busybox)" "$1/bin/busybox" && ln -s busybox "$1/bin/sh" && ln -s busybox "$1/bin/sleep"', 'sh', root]);
  return execFileSync('tar', ['--numeric-owner', '-C', root, '-c', '.'], { maxBuffer: 64 << 20 });
}
