import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import type { FleetConfig } from '../../src/config/schema.js';
import { createJobActions } from '../../src/jobs/actions.js';
import { runJobs, type CliIo } from '../../src/jobs/cli.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { exposeDockerToSshd, sharedDocker, SSHD_DOCKER_CONFIG, type TestDocker } from '../harness/docker.js';
import { makeRemote } from '../support/git-remote.js';
import { startTestFleet, waitFor, type TestFleet } from '../support/ssh-fleet.js';


describe('jobs on an SSH worker whose jobs run in the maintainer-worker container (real sshd, docker, tmux, git)', () => {
  let docker: TestDocker;
  let world: TestFleet;
  let config: FleetConfig;
  let settings: JobSettings;
  let dir: string;
  const fleets: Fleet<WorkerProvider>[] = [];
  const fleet = () => {
    const created = createFleet(config);
    fleets.push(created);
    return created;
  };
  const jobFile = (id: string, file: string) => join(dir, 'state', 'jobs', id, file);
  const text = (path: string) => readFile(path, 'utf8').catch(() => '');

  beforeAll(async () => {
    docker = await sharedDocker();
    world = await startTestFleet(['boxed'], { extraConfig: [...SSHD_DOCKER_CONFIG] });
    await exposeDockerToSshd(world.workers[0]!.sshd, docker);
    dir = world.dir;
    // Host and container see the same paths: the work directory is mounted at its own path.
    await docker.runWorker({ mounts: [{ host: dir }] });

    const remote = await makeRemote(dir);

    const loaded = await loadConfig(await world.writeConfig({ containerFor: 'boxed' }));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    config = {
      ...loaded.config,
      workers: loaded.config.workers.map((w) => ({ ...w, stateDir: join(dir, 'state'), tmuxSocket: join(dir, 'tmux.sock') })),
    };
    settings = resolveJobSettings({
      kinds: kindsSchema.parse({
        show: {
          params: { pr: { pattern: '^[0-9]+$' } },
          command: ['sh', '-c', 'echo "PR $1, in a container: $(test -f /.dockerenv && echo yes)"; cat pr.txt', 'job', '{pr}'],
          worktree: { fetch: 'pull/{pr}/head' },
        },
        fail: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'echo failing; exit 3'] },
        sleepy: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'echo started; exec sleep 60'] },
      }),
      repo: { url: remote, mainDir: join(dir, 'main'), worktreesDir: join(dir, 'worktrees') },
    });
  });

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.close()));
    await docker?.docker(['rm', '-f', 'maintainer-worker']);
    await world?.stop();
  });

  it('sets up, launches in the container, records output and exit codes, and derives failed (exit 3)', async () => {
    const f = fleet();
    const actions = createJobActions(f, settings);
    const setup = await actions.setup('boxed');
    expect(setup.changed).toEqual(expect.arrayContaining([expect.stringMatching(/^cloned /)]));
    expect((await actions.setup('boxed')).changed).toEqual([]);

    const launched = await actions.launch({ kind: 'show', params: { pr: '12' } });
    expect(launched).toMatchObject({ worker: 'boxed', created: true, worktree: join(dir, 'worktrees', '12-show') });
    await actions.launch({ kind: 'fail', params: { n: '1' } });
    await waitFor('exit codes', () => existsSync(jobFile('12-show', 'exit')) && existsSync(jobFile('1-fail', 'exit')));
    const log = await text(jobFile('12-show', 'output.log'));
    expect(log).toContain('PR 12, in a container: yes');
    expect(log).toContain('the change of PR 12');

    await f.refreshAll();
    const jobs = selectAllJobs(f.store.getState());
    expect(jobs.find((j) => j.id === '12-show')).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(jobs.find((j) => j.id === '1-fail')).toMatchObject({ state: 'failed', exitCode: 3 });
    let out = '';
    const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true }, confirm: async () => false };
    expect(await runJobs(f, [], io, settings)).toBe(0);
    expect(out).toMatch(/boxed\/1-fail\s+failed \(exit 3\)/);
  });

  it('runs the tmux server inside the container, attaches through docker exec, and stops the job there', async () => {
    const f = fleet();
    const actions = createJobActions(f, settings);
    const launched = await actions.launch({ kind: 'sleepy', params: { n: '3' } });
    const inside = await docker.docker(['exec', 'maintainer-worker', 'tmux', '-S', join(dir, 'tmux.sock'), 'list-sessions', '-F', '#{session_name}']);
    expect(inside.stdout.split('\n')).toContain('mc-3-sleepy');
    expect(f.provider('boxed')!.attachCommand(launched.sessionId!).argv.at(-1)).toMatch(/docker exec -it maintainer-worker tmux -u -S .* attach-session -t '\$\d+'/);
    await waitFor('started', async () => (await text(jobFile('3-sleepy', 'output.log'))).includes('started'));
    expect(await actions.stop(launched.key, { graceMs: 3000 })).toBe('interrupted');
    await waitFor('exit', () => existsSync(jobFile('3-sleepy', 'exit')));
    expect((await text(jobFile('3-sleepy', 'exit'))).trim()).toBe('130');
  });
});
