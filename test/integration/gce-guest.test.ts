import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshWorker } from '../../src/app/refresh.js';
import { launchJob } from '../../src/jobs/launch.js';
import { createGceProvider, type GceProvider } from '../../src/providers/gce/provider.js';
import { SshPool } from '../../src/ssh/pool.js';
import { createFleetStore } from '../../src/state/store.js';
import { startComputeApi, type ComputeApiFake } from '../harness/compute-api.js';
import { emptySshConfig, gceWorker, testDeps } from '../harness/compute/gce-worker.js';
import { backWithSshd } from '../harness/compute/vm-backing.js';
import { mountNoexec, sharedDocker, startSshdWithDocker, unmountUnder, type TestDocker } from '../harness/docker.js';
import type { TestSshd } from '../harness/sshd.js';
import { waitFor } from '../support/ssh-fleet.js';

/**
 * GCE workers on stand-ins as strict as the real guests: a COS home mounted noexec, an OS Login user that is not in the
 * docker group, a Linux user that gets the docker group only after its first login, an image without tmux, a VM that
 * refuses the key. The boot script that runs is the one mission-control generated, as root, against a private dockerd.
 */

/** Writes an executable shell script. */
async function script(path: string, body: string): Promise<void> {
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The pieces every test here starts; `stop` undoes them in reverse. */
interface Guest {
  readonly docker: TestDocker;
  readonly image: string;
  readonly dir: string;
  readonly fake: ComputeApiFake;
  readonly pool: SshPool;
  stop(): Promise<void>;
}

async function startGuest(sshd: () => TestSshd | undefined): Promise<Guest> {
  const docker = await sharedDocker();
  const image = await docker.buildWorkerImage();
  // A user who is not root reaches the daemon's socket (root:docker, 0660) through its directory.
  await chmod(docker.dir, 0o711);
  const dir = await mkdtemp(join(tmpdir(), 'mc-gce-guest-'));
  await chmod(dir, 0o755);
  const fake = await startComputeApi();
  const pool = new SshPool({ hostKeyPolicy: 'strict', agent: '' });
  return {
    docker,
    image,
    dir,
    fake,
    pool,
    async stop() {
      await pool.close();
      await fake.close();
      await docker.docker(['rm', '-f', 'maintainer-worker']);
      await sshd()?.stop();
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('a COS worker with the defaults, OS Login on, a noexec home (provision end to end)', () => {
  let guest: Guest;
  let sshd: TestSshd | undefined;
  let provider: GceProvider;
  let undoNoexec: (() => Promise<void>) | undefined;
  let sudoLog: string;

  beforeAll(async () => {
    guest = await startGuest(() => sshd);
    // COS has sudo; this machine has none. The stand-in records how it was called and runs the command as the user.
    const bin = join(guest.dir, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    sudoLog = join(guest.dir, 'sudo.log');
    await writeFile(sudoLog, '');
    await chmod(sudoLog, 0o666);
    await script(join(bin, 'sudo'), `printf '%s\\n' "$*" >>${sudoLog}\n[ "$1" = -n ] || { echo "sudo: a password is required" >&2; exit 1; }\nshift\nexec "$@"`);
    // The OS Login user: a user of its own (not root, not in the docker group), logging in with its own HOME.
    sshd = await startSshdWithDocker(guest.docker, { loginShell: '/bin/bash', env: { PATH: `${bin}:${SYSTEM_PATH}` } });
    undoNoexec = await mountNoexec(sshd.home);
    const worker = gceWorker({
      name: 'cos-e2e',
      provider: 'gce-cos',
      // No user: OS Login names it.
      ssh: { port: sshd.port, identityFile: sshd.clientKeyPath },
      iap: { enabled: false },
      sshConfigFile: await emptySshConfig(guest.dir),
      // The default mounts (~/dev, ~/.gemini, ~/.offload) and state dir.
      container: { image: guest.image, command: ['sleep', 'infinity'] },
    });
    const deps = testDeps(guest.fake, guest.pool, guest.dir, { osLogin: async () => ({ enabled: true, user: sshd!.user }) });
    backWithSshd(guest.fake.world, { sshd, bootStateDir: deps.bootStateDir!, env: guest.docker.env });
    provider = createGceProvider(worker, deps);
  });
  afterAll(async () => {
    await undoNoexec?.();
    await guest?.stop();
  });

  it('is ready; a job in the container runs a script from ~/dev; what it writes belongs to the user', async () => {
    const home = sshd!.home;
    // The stand-in is as strict as COS: nothing under the home runs.
    await script(join(home, 'probe.sh'), 'exit 0');
    expect(() => execFileSync(join(home, 'probe.sh'))).toThrow(/EACCES/);

    await provider.provision();
    const host = await provider.exec({ script: 'id -un; id -u; id -g; printf "%s\\n" "$HOME"' }, { target: 'host' });
    const [user, uid, gid, hostHome] = host.stdout.trim().split('\n');
    expect([user, hostHome]).toEqual([sshd!.user, home]);

    // A job launched in the container runs a tool kept in ~/dev (executable there: the boot script's exec mounts).
    await script(join(home, 'dev', 'tool.sh'), 'id -u >"$HOME/dev/out"; printf "%s\\n" "$HOME" >>"$HOME/dev/out"; echo key >"$HOME/.gemini/settings"; exec sleep 300');
    execFileSync('chown', [`${uid}:${gid}`, join(home, 'dev', 'tool.sh')]);
    const kind = { name: 'tool', params: [], command: [join(home, 'dev', 'tool.sh')], worktree: false } as const;
    const launched = await launchJob(
      provider,
      { name: 'cos-e2e', sessionPrefix: 'mc', stateDir: provider.stateDir },
      { kind, params: {}, id: 'e2e', command: kind.command },
      { mainDir: '~/dev/main', worktreesDir: '~/dev/worktrees', sync: [] },
    );
    expect(launched).toMatchObject({ created: true, session: 'mc-e2e' });
    await waitFor('the job to write ~/dev/out', async () => (await readFile(join(home, 'dev', 'out'), 'utf8').catch(() => '')).split('\n').length > 2, 30_000);
    expect(await readFile(join(home, 'dev', 'out'), 'utf8')).toBe(`${uid}\n${home}\n`);
    // What the job wrote, and its record under the state directory (~/.mission-control), belong to the user.
    for (const written of [join(home, 'dev', 'out'), join(home, '.gemini', 'settings'), join(home, '.mission-control', 'jobs', 'e2e')]) {
      expect(await stat(written)).toMatchObject({ uid: Number(uid), gid: Number(gid) });
    }
    // The user is not in the docker group: docker went through `sudo -n`, with the user's ids inside.
    expect(await readFile(sudoLog, 'utf8')).toContain(`-n docker exec -u ${uid}:${gid} -e HOME=${home} -i maintainer-worker`);
    // Attaching (the user's own ssh, through any login shell) enters the container the same way.
    expect(provider.attachCommand(launched.sessionId!).argv.at(-1)).toMatch(/^sh -c 'docker\(\) \{ .*command sudo -n docker .* exec -it maintainer-worker tmux /);
    // The scan enters the container the same way, so it sees the user's tmux server and the job in it.
    const store = createFleetStore();
    store.getState().setWorkers([{ name: 'cos-e2e', provider: 'gce-cos', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' }], undefined);
    await refreshWorker(store, provider, 2000);
    expect(store.getState().workers['cos-e2e']!.container).toMatchObject({ name: 'maintainer-worker', running: true });
    expect((store.getState().jobsByWorker['cos-e2e'] ?? []).map((j) => [j.session?.name, j.state])).toEqual([['mc-e2e', 'running']]);
  });
});

describe('a Linux worker with a container whose user gets the docker group after the first login (as on Debian)', () => {
  let guest: Guest;
  let sshd: TestSshd | undefined;
  let provider: GceProvider;
  let granted: string;
  let waiting: string;

  beforeAll(async () => {
    guest = await startGuest(() => sshd);
    // The boot script's `usermod -aG docker` waits until mission-control has logged in once: the order Debian's
    // startup script (installing docker.io meanwhile) ends up in.
    const bin = join(guest.dir, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    granted = join(guest.dir, 'logged-in');
    waiting = join(guest.dir, 'usermod-waits');
    await script(join(bin, 'usermod'), `: >${waiting}\ni=0\nwhile [ ! -e ${granted} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done\nexec /usr/sbin/usermod "$@"`);
    await script(join(bin, 'systemctl'), 'exit 0');
    sshd = await startSshdWithDocker(guest.docker, { loginShell: '/bin/bash' });
    const worker = gceWorker({
      name: 'linux-group',
      provider: 'gce-linux',
      ssh: { user: sshd.user, port: sshd.port, identityFile: sshd.clientKeyPath },
      iap: { enabled: false },
      sshConfigFile: await emptySshConfig(guest.dir),
      container: { image: guest.image, command: ['sleep', 'infinity'] },
    });
    const deps = testDeps(guest.fake, guest.pool, guest.dir);
    backWithSshd(guest.fake.world, { sshd, bootStateDir: deps.bootStateDir!, env: { ...guest.docker.env, PATH: `${bin}:${process.env.PATH}` } });
    provider = createGceProvider(worker, deps);
  });
  afterAll(() => guest?.stop());

  it('logs in again once the group is there, and becomes ready', async () => {
    const provisioning = provider.provision();
    provisioning.catch(() => undefined);
    // The boot script runs once the VM's sshd is up; a login from then on has no docker group.
    await waitFor('the boot script to reach usermod', () => stat(waiting).then(() => true, () => false), 60_000);
    await waitFor('the first login', () => guest.pool.connections().some((c) => c.state === 'ready'), 60_000);
    const first = guest.pool.connections().find((c) => c.state === 'ready')!;
    const connects = first.connects;
    await writeFile(granted, '');
    await provisioning;
    expect(first.connects).toBeGreaterThan(connects);
    const inside = await provider.exec({ script: 'id -u; printf "%s\\n" "$HOME"' });
    expect(inside.stdout).toBe(`${execFileSync('id', ['-u', sshd!.user]).toString().trim()}\n${sshd!.home}\n`);
  });
});

describe('readiness refuses what cannot work', () => {
  let guest: Guest;
  let sshd: TestSshd | undefined;

  beforeAll(async () => {
    guest = await startGuest(() => sshd);
    sshd = await startSshdWithDocker(guest.docker);
  });
  afterAll(() => guest?.stop());

  it('an image without tmux: fails at once, naming the image', async () => {
    await guest.docker.docker(['rm', '-f', 'mc-no-tmux']);
    expect((await guest.docker.docker(['run', '--name', 'mc-no-tmux', guest.image, 'rm', '/usr/bin/tmux'])).code).toBe(0);
    expect((await guest.docker.docker(['commit', 'mc-no-tmux', 'mc-test/no-tmux'])).code).toBe(0);
    await guest.docker.docker(['rm', '-f', 'mc-no-tmux']);
    const worker = gceWorker({
      name: 'no-tmux',
      provider: 'gce-cos',
      ssh: { user: sshd!.user, port: sshd!.port, identityFile: sshd!.clientKeyPath },
      iap: { enabled: false },
      sshConfigFile: await emptySshConfig(guest.dir),
      container: { image: 'mc-test/no-tmux', command: ['sleep', 'infinity'], mounts: [join(guest.dir, 'dev')] },
    });
    const deps = testDeps(guest.fake, guest.pool, guest.dir, { timeouts: { operation: 10_000, state: 10_000, ssh: 15_000, ready: 60_000 } });
    const backing = backWithSshd(guest.fake.world, { sshd: sshd!, bootStateDir: deps.bootStateDir!, env: guest.docker.env, instance: 'no-tmux' });
    const provider = createGceProvider(worker, deps);
    await expect(provider.provision()).rejects.toThrow(/image mc-test\/no-tmux \(container maintainer-worker\) has no working tmux.*use an image that has tmux/s);
    expect(backing.boots).toMatchObject([{ instance: 'no-tmux', code: 0 }]);
  });

  it('a key the VM keeps refusing: fails with the reason (OS Login) instead of waiting out the ssh stage', async () => {
    const key = join(guest.dir, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const worker = gceWorker({
      name: 'refused',
      provider: 'gce-linux',
      ssh: { port: sshd!.port, identityFile: key },
      iap: { enabled: false },
      sshConfigFile: await emptySshConfig(guest.dir),
    });
    const deps = testDeps(guest.fake, guest.pool, guest.dir, {
      osLogin: async () => ({ enabled: true, user: sshd!.user }),
      refusedLoginGraceMs: 0,
      timeouts: { operation: 10_000, state: 10_000, ssh: 60_000, ready: 30_000 },
    });
    backWithSshd(guest.fake.world, { sshd: sshd!, bootStateDir: deps.bootStateDir!, instance: 'refused' });
    const provider = createGceProvider(worker, deps);
    const error = await provider.provision().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(new RegExp(`refused the login of ${sshd!.user} 5 times`));
    expect(error?.message).toMatch(/OS Login is on for refused.*gcloud compute os-login ssh-keys add/s);
    expect(error?.message).not.toMatch(/stalled/);
  });
});
