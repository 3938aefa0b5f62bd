/**
 * The hostile-string corpus through a worker whose jobs run in its `maintainer-worker` container (real sshd, real
 * dockerd, tmux inside the container): hand-made sessions in the container's tmux, job records, and launch
 * parameters through `docker exec`, with everything shown of them and the attach command. The canary directory
 * is mounted into the container at its own path, so a payload run inside the container would show too.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { FleetConfig } from '../../src/config/schema.js';
import { createJobActions } from '../../src/jobs/actions.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { exposeDockerToSshd, sharedDocker, SSHD_DOCKER_CONFIG, type TestDocker } from '../harness/docker.js';
import { makeCanary, writeHostileRecords, type Canary } from '../support/hostile-corpus.js';
import { everythingShown, leaksIn } from '../support/hostile-output.js';
import { fleetTracker, launchHostileSays, makeHostileSessions, SAY_KIND } from '../support/hostile-scenarios.js';
import { startTestFleet, type TestFleet } from '../support/ssh-fleet.js';

describe('the hostile corpus on a worker with a container (real sshd, docker, tmux in the container)', () => {
  let docker: TestDocker;
  let world: TestFleet;
  let config: FleetConfig;
  let canary: Canary;
  let settings: JobSettings;
  let dir: string;
  const fleets = fleetTracker(() => config);

  beforeAll(async () => {
    canary = makeCanary();
    docker = await sharedDocker();
    world = await startTestFleet(['boxed'], { extraConfig: [...SSHD_DOCKER_CONFIG] });
    await exposeDockerToSshd(world.workers[0]!.sshd, docker);
    dir = world.dir;
    await docker.runWorker({ mounts: [{ host: dir }, { host: canary.dir }] });
    const loaded = await loadConfig(await world.writeConfig({ containerFor: 'boxed' }));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    settings = resolveJobSettings({ kinds: kindsSchema.parse(SAY_KIND) });
    config = {
      ...loaded.config,
      jobs: settings,
      workers: loaded.config.workers.map((w) => ({ ...w, stateDir: join(dir, 'state'), tmuxSocket: join(dir, 'tmux.sock') })),
    };
  });

  afterAll(async () => {
    await fleets.closeAll();
    await docker?.docker(['rm', '-f', 'maintainer-worker']);
    await world?.stop();
    canary?.remove();
  });

  it('hand-made sessions in the container with hostile names: inert in every view; attach goes through docker exec by session id', async () => {
    const made = await makeHostileSessions(canary, async (args) => (await docker.docker(['exec', 'maintainer-worker', 'tmux', '-u', '-S', join(dir, 'tmux.sock'), ...args])).code === 0);
    const f = fleets.fleet();
    const shown = await everythingShown(f, config, settings);
    const jobs = selectAllJobs(f.store.getState());
    expect(jobs.filter((j) => j.session !== undefined)).toHaveLength(made);
    for (const job of jobs) {
      const remote = f.provider('boxed')!.attachCommand(job.session!.id).argv.at(-1)!;
      const id = `'\\${job.session!.id}'`;
      expect(remote).toMatch(new RegExp(`^docker exec -it maintainer-worker tmux -u -S \\S+ set-option -wu -t ${id} window-size ';' attach-session -t ${id}$`));
    }
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });

  it('job records with hostile names and contents, read through docker exec: inert in every view, logs included', async () => {
    await writeHostileRecords(join(dir, 'state', 'jobs'), canary);
    const shown = await everythingShown(fleets.fleet(), config, settings);
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });

  it('hostile launch parameters reach the command inside the container as one argv word each', async () => {
    const f = fleets.fleet();
    await launchHostileSays(createJobActions(f, settings), canary, 'boxed', (id) => join(dir, 'state', 'jobs', id, 'output.log'));
    const shown = await everythingShown(f, config, settings);
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });
});
