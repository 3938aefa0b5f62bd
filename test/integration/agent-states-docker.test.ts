import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import { createJobActions, type JobActions } from '../../src/jobs/actions.js';
import { kindsSchema, resolveJobSettings } from '../../src/jobs/kinds.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import type { Job } from '../../src/state/types.js';
import { exposeDockerToSshd, sharedDocker, SSHD_DOCKER_CONFIG, type TestDocker } from '../harness/docker.js';
import { startTestFleet, waitFor, type TestFleet } from '../support/ssh-fleet.js';

const exec = promisify(execFile);

// What a hook does inside the container (busybox tools): the adapter reads the JSON on stdin and reports waiting.
const HOOK_INPUT = JSON.stringify({ hook_event_name: 'Notification', message: 'Allow "rm" in /tmp?', notification_type: 'permission_prompt' });

describe('MISSION_CONTROL_STATE in the maintainer-worker container, state directory on a noexec mount (real sshd, docker, tmux)', () => {
  let docker: TestDocker;
  let world: TestFleet;
  let fleet: Fleet;
  let actions: JobActions;
  let home: string;

  const reaches = async (id: string, state: Job['state']): Promise<Job> => {
    let last: Job | undefined;
    await waitFor(`${id} to be ${state}`, async () => {
      await fleet.refreshAll();
      last = selectAllJobs(fleet.store.getState()).find((j) => j.id === id);
      return last?.state === state;
    }, 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; it is ${last?.state} (${last?.reason})`);
    });
    return last!;
  };

  beforeAll(async () => {
    docker = await sharedDocker();
    world = await startTestFleet(['boxed'], { extraConfig: [...SSHD_DOCKER_CONFIG] });
    await exposeDockerToSshd(world.workers[0]!.sshd, docker);
    // The home of Container-Optimized OS: writable, noexec, bind-mounted into the container (which keeps noexec).
    home = join(world.dir, 'home');
    await mkdir(home);
    await exec('mount', ['-t', 'tmpfs', '-o', 'noexec,size=8m', 'tmpfs', home]);
    await docker.runWorker({ mounts: [{ host: world.dir }] });
    const loaded = await loadConfig(await world.writeConfig({ containerFor: 'boxed' }));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const config = {
      ...loaded.config,
      workers: loaded.config.workers.map((w) => ({ ...w, stateDir: join(home, 'state'), tmuxSocket: join(world.dir, 'tmux.sock') })),
    };
    const settings = resolveJobSettings({
      kinds: kindsSchema.parse({
        ask: {
          params: { n: { pattern: '^[0-9]+$' } },
          command: [
            'sh', '-c',
            `printf '%s' '${HOOK_INPUT}' | sh "$MC_JOB_DIR/mc-hook" waiting stdin quiet; echo "asked via $MISSION_CONTROL_STATE"; read a; "$MISSION_CONTROL_STATE" done; read b`,
          ],
        },
      }),
      repo: { mainDir: join(world.dir, 'main'), worktreesDir: join(world.dir, 'worktrees') },
    });
    fleet = createFleet({ ...config, jobs: settings });
    actions = createJobActions(fleet, settings);
  });

  afterAll(async () => {
    await fleet?.close();
    await docker?.docker(['rm', '-f', 'maintainer-worker']);
    await exec('umount', ['-l', home]).catch(() => undefined);
    await world?.stop();
  });

  it('reports waiting through the hook adapter and done through the contract, from a private copy that may run', async () => {
    await actions.launch({ kind: 'ask', params: { n: '1' } });
    const waiting = await reaches('1-ask', 'waiting');
    expect(waiting.reason).toBe('Allow "rm" in /tmp?');
    const log = await readFile(join(home, 'state', 'jobs', '1-ask', 'output.log'), 'utf8');
    const program = /asked via (\S+)/.exec(log)?.[1] ?? '';
    expect(program).toMatch(/^\/tmp\/mission-control-0\/state-1-ask-\d+$/);
    const keys = (...args: string[]) => docker.docker(['exec', 'maintainer-worker', 'tmux', '-S', join(world.dir, 'tmux.sock'), 'send-keys', '-t', waiting.paneId!, ...args]);
    await keys('-l', 'yes');
    await keys('Enter');
    await reaches('1-ask', 'done');
    await keys('Enter');
    await reaches('1-ask', 'exited');
    // The private copy lived in the container's own /tmp, and is gone with the job.
    expect((await docker.docker(['exec', 'maintainer-worker', 'test', '-e', program])).code).not.toBe(0);
  });
});
