import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { stateScript } from '../../src/agents/state-script.js';
import { loadConfig } from '../../src/config/load.js';
import type { WorkerObserver } from '../../src/providers/types.js';
import { PUSH_CHANNEL } from '../../src/scanners/worker-events/command.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { sharedDocker, type TestDocker } from '../harness/docker.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';
import { waitFor } from '../support/ssh-fleet.js';

/** Polled once a minute: what reaches the store within the waits (15 s) after the first scan was pushed. */
describe('pushed changes from inside a container (real dockerd, real sshd, real tmux)', () => {
  let docker: TestDocker;
  let sshd: TestSshd;
  let dir: string;
  let fleet: Fleet<WorkerObserver> | undefined;
  const container = 'mc-push-box';
  const sockets = { box: '/tmp/mc-push-box.sock', sandbox: '/tmp/mc-push-sandbox.sock' } as const;
  const tmux = (worker: keyof typeof sockets, args: readonly string[]) =>
    docker.docker(['exec', '-i', container, 'tmux', '-u', '-S', sockets[worker], ...args]);
  const sessions = (worker: string) =>
    selectAllJobs(fleet!.store.getState())
      .filter((j) => j.worker === worker && j.session)
      .map((j) => j.session!.name);
  const armed = async (worker: keyof typeof sockets) => (await tmux(worker, ['show-hooks', '-g'])).stdout.includes(PUSH_CHANNEL);

  beforeAll(async () => {
    docker = await sharedDocker();
    dir = await mkdtemp(join(tmpdir(), 'mc-push-docker-'));
    await docker.runWorker({ name: container, mounts: [{ host: dir }] });
    sshd = await startSshd({ env: { DOCKER_HOST: docker.host } });
    await writeFile(
      join(dir, 'ssh_config'),
      `Host box\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.clientKeyPath}\n  UserKnownHostsFile ${sshd.knownHostsFile}\n`,
    );
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'defaults:',
        '  pollInterval: 60s',
        'workers:',
        '  - name: box',
        '    provider: ssh',
        '    ssh: box',
        `    sshConfigFile: ${join(dir, 'ssh_config')}`,
        `    tmuxSocket: ${sockets.box}`,
        `    stateDir: ${join(dir, 'state')}`,
        '    container:',
        `      name: ${container}`,
        '  - name: sandbox',
        '    provider: docker',
        `    container: { name: ${container} }`,
        `    dockerHost: ${JSON.stringify(docker.host)}`,
        `    tmuxSocket: ${sockets.sandbox}`,
        `    stateDir: ${join(dir, 'sandbox-state')}`,
      ].join('\n'),
    );
    for (const worker of ['box', 'sandbox'] as const) expect((await tmux(worker, ['new-session', '-d', '-s', 'mc-base', 'sleep 600'])).code).toBe(0);
    const loaded = await loadConfig(join(dir, 'config.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    fleet = createFleet(loaded.config, { readOnly: true });
    fleet.startPolling();
    await waitFor('the first scans', () => sessions('box').includes('mc-base') && sessions('sandbox').includes('mc-base'), 30_000);
    await waitFor('hooks armed in the container', async () => (await armed('box')) && (await armed('sandbox')), 30_000);
  });
  afterAll(async () => {
    await fleet?.close();
    await docker?.docker(['rm', '-f', container]);
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a new session in the container reaches the store, over SSH and from the local daemon', async () => {
    for (const worker of ['box', 'sandbox'] as const) expect((await tmux(worker, ['new-session', '-d', '-s', 'mc-new', 'sleep 600'])).code).toBe(0);
    await waitFor('mc-new on both', () => sessions('box').includes('mc-new') && sessions('sandbox').includes('mc-new'));
  });

  it('an agent state write inside the container reaches the store', async () => {
    const jobDir = join(dir, 'state', 'jobs', '9-probe');
    await mkdir(jobDir, { recursive: true });
    const meta = { id: '9-probe', kind: 'probe', params: {}, command: ['probe'], session: 'mc-9-probe', createdAt: new Date().toISOString() };
    await writeFile(join(jobDir, 'meta.json'), JSON.stringify(meta));
    await writeFile(join(jobDir, 'mc-state'), stateScript(jobDir));
    await tmux('box', ['new-session', '-d', '-s', 'mc-9-probe', `read x; sh ${jobDir}/mc-state waiting 'in the box'; sleep 600`]);
    const probe = () => selectAllJobs(fleet!.store.getState()).find((j) => j.worker === 'box' && j.id === '9-probe');
    await waitFor('the probe job', () => probe()?.session !== undefined);
    await tmux('box', ['send-keys', '-t', '=mc-9-probe:', 'Enter']);
    await waitFor('the probe waiting', () => probe()?.state === 'waiting');
    expect(probe()?.reason).toBe('in the box');
  });

  it('a tmux server in the container killed and started again gets its hooks back', async () => {
    await tmux('box', ['kill-server']);
    await waitFor('box without sessions', () => sessions('box').length === 0);
    await tmux('box', ['new-session', '-d', '-s', 'mc-again', 'sleep 600']);
    await waitFor('mc-again', () => sessions('box').includes('mc-again'));
    // The worker is polled at once when its stream loses the server: the hooks come back within the watcher's retry.
    await waitFor('hooks armed again', () => armed('box'));
    await tmux('box', ['new-session', '-d', '-s', 'mc-again-2', 'sleep 600']);
    await waitFor('mc-again-2', () => sessions('box').includes('mc-again-2'));
  });
});
