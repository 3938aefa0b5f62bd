import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import { readContainerLog } from '../../src/app/container-log.js';
import { workerStateLabel } from '../../src/cli/status-report.js';
import { workerDetailLines } from '../../src/cli/worker-detail.js';
import type { WorkerObserver } from '../../src/providers/types.js';
import { sharedDocker, type TestDocker } from '../harness/docker.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';

describe('an SSH worker whose jobs live in the maintainer-worker container (real sshd, real dockerd, real tmux)', () => {
  let docker: TestDocker;
  let sshd: TestSshd;
  let dir: string;
  let fleet: Fleet<WorkerObserver> | undefined;
  const socket = '/tmp/mc-test.sock';

  beforeAll(async () => {
    docker = await sharedDocker();
    dir = await mkdtemp(join(tmpdir(), 'mc-container-'));
    await docker.runWorker({ name: 'maintainer-worker', mounts: [{ host: dir }] });
    sshd = await startSshd({ env: { DOCKER_HOST: docker.host } });
    const inside = (args: string[], input?: string) =>
      docker.docker(['exec', '-i', 'maintainer-worker', ...args], input === undefined ? {} : { input });
    expect((await inside(['tmux', '-S', socket, 'new-session', '-d', '-s', 'mc-7-fix', 'sleep 300'])).code).toBe(0);
    expect((await inside(['tmux', '-S', socket, 'new-session', '-d', '-s', 'mc-8-review', 'exit 3'])).code).toBe(0);
    const meta = (id: string, kind: string) =>
      JSON.stringify({ id, kind, params: { pr: id.split('-')[0] }, command: [kind, id], session: `mc-${id}`, createdAt: '2026-11-23T00:00:00.000Z' });
    const jobs = join(dir, 'state', 'jobs');
    await inside(['sh', '-c', `mkdir -p ${jobs}/7-fix ${jobs}/8-review && cat > ${jobs}/7-fix/meta.json`], meta('7-fix', 'fix'));
    await inside(['sh', '-c', `cat > ${jobs}/8-review/meta.json && printf 3 > ${jobs}/8-review/exit`], meta('8-review', 'review'));
    await writeFile(
      join(dir, 'ssh_config'),
      `Host box\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.clientKeyPath}\n  UserKnownHostsFile ${sshd.knownHostsFile}\n`,
    );
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'workers:',
        '  - name: box',
        '    provider: ssh',
        '    ssh: box',
        `    sshConfigFile: ${join(dir, 'ssh_config')}`,
        `    tmuxSocket: ${socket}`,
        `    stateDir: ${join(dir, 'state')}`,
        '    container:',
        '      name: maintainer-worker',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await fleet?.close();
    await docker?.docker(['rm', '-f', 'maintainer-worker']);
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('scans tmux and job records inside the container and the container state from the host, in one command', async () => {
    const loaded = await loadConfig(join(dir, 'config.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    fleet = createFleet(loaded.config, { readOnly: true });
    await fleet.refreshAll();
    const state = fleet.store.getState();
    const box = state.workers.box!;
    expect(box.lastError).toBeUndefined();
    expect(box.container).toMatchObject({ name: 'maintainer-worker', exists: true, running: true, status: 'running', image: 'mc-test/worker' });
    expect(workerStateLabel(box)).toBe('up');
    const jobs = (state.jobsByWorker.box ?? []).map((j) => [j.id, j.kind, j.state, j.exitCode]);
    expect(jobs).toEqual([
      ['7-fix', 'fix', 'running', undefined],
      ['8-review', 'review', 'failed', 3],
    ]);
  });

  it('reads the container log on the host and describes the worker as `status WORKER` does', async () => {
    if (!fleet) throw new Error('previous test did not create the fleet');
    const loaded = await loadConfig(join(dir, 'config.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const log = await readContainerLog(fleet.provider('box')!, 'maintainer-worker');
    expect(log).toEqual({ lines: [] });
    const missing = await readContainerLog(fleet.provider('box')!, 'no-such-container');
    expect('error' in missing && missing.error).toMatch(/docker logs exited 1: .*no-such-container/i);
    const state = fleet.store.getState();
    const text = workerDetailLines({ worker: state.workers.box!, jobs: state.jobsByWorker.box ?? [], config: loaded.config.workers[0], containerLog: log, now: Date.now(), width: 100 }).join('\n');
    expect(text).toContain('Container  maintainer-worker: running, started ');
    expect(text).toContain(`to ssh alias box (host, port and user from ${join(dir, 'ssh_config')})`);
    expect(text).toContain('Jobs       1/4 live of 2');
    expect(text).toContain('Container log (last 20 lines):\n  (empty)');
  });

  it('shows a stopped container as such, while the host stays reachable', async () => {
    if (!fleet) throw new Error('previous test did not create the fleet');
    await docker.docker(['stop', '-t', '1', 'maintainer-worker']);
    await fleet.refreshAll();
    const box = fleet.store.getState().workers.box!;
    expect(box.connection).toBe('up');
    expect(box.container).toMatchObject({ exists: true, running: false, status: 'exited' });
    expect(workerStateLabel(box)).toBe('container exited');
    expect((fleet.store.getState().jobsByWorker.box ?? []).map((j) => [j.id, j.state, j.reason])).toEqual([
      ['7-fix', 'unknown', 'container exited (was running)'],
      ['8-review', 'unknown', 'container exited (was failed)'],
    ]);
  });

  it('shows a missing container as missing', async () => {
    if (!fleet) throw new Error('previous test did not create the fleet');
    await docker.docker(['rm', '-f', 'maintainer-worker']);
    await fleet.refreshAll();
    const box = fleet.store.getState().workers.box!;
    expect(box.container).toMatchObject({ exists: false, running: false });
    expect(workerStateLabel(box)).toBe('container missing');
  });
});
