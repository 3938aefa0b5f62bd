import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import { statusJson } from '../../src/cli/status-report.js';
import { createJobActions, type JobActions } from '../../src/jobs/actions.js';
import { runJobs, type CliIo } from '../../src/jobs/cli.js';
import { kindsSchema, resolveJobSettings } from '../../src/jobs/kinds.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import type { Job } from '../../src/state/types.js';
import { installFakeAgents } from '../support/fake-agents.js';
import { git, makeRemote } from '../support/git-remote.js';
import { startTestFleet, waitFor, type TestFleet } from '../support/ssh-fleet.js';

describe('agent states on an SSH worker (real sshd, real tmux, fake claude in a git worktree)', () => {
  let world: TestFleet;
  let fleet: Fleet;
  let actions: JobActions;
  let home: string;

  const job = async (id: string): Promise<Job | undefined> => {
    await fleet.refreshAll();
    return selectAllJobs(fleet.store.getState()).find((j) => j.id === id);
  };
  const reaches = async (id: string, state: Job['state']): Promise<Job> => {
    let last: Job | undefined;
    await waitFor(`${id} to be ${state}`, async () => (last = await job(id))?.state === state, 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; it is ${last?.state} (${last?.reason})`);
    });
    return last!;
  };
  const keys = (target: Job, ...args: string[]) => world.workers[0]!.tmux(['send-keys', '-t', target.paneId!, ...args]);

  beforeAll(async () => {
    world = await startTestFleet(['remote']);
    home = world.workers[0]!.sshd.home;
    const remote = await makeRemote(world.dir);
    // The worker is this machine: the fake agent is named by its absolute path, as a kind's command may name it.
    const bin = await installFakeAgents(world.dir);
    const loaded = await loadConfig(await world.writeConfig());
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const config = { ...loaded.config, workers: loaded.config.workers.map((w) => ({ ...w, stateDir: '~/.mission-control' })) };
    const settings = resolveJobSettings({
      kinds: kindsSchema.parse({
        review: {
          params: { pr: { pattern: '^[0-9]+$' } },
          command: [join(bin, 'claude'), 'Review pull request #{pr}'],
          agent: 'claude',
          worktree: { fetch: 'pull/{pr}/head' },
        },
      }),
      repo: { url: remote },
    });
    fleet = createFleet({ ...config, jobs: settings });
    actions = createJobActions(fleet, settings);
    await actions.setup('remote');
  });

  afterAll(async () => {
    await fleet?.close();
    await world?.workers[0]?.tmux(['kill-server']);
    await world?.stop();
  });

  it('waiting with the reason → reply by send-keys → done, reported in status --json; the worktree stays clean', async () => {
    await actions.launch({ kind: 'review', params: { pr: '12' } });
    const waiting = await reaches('12-review', 'waiting');
    expect(waiting).toMatchObject({ agent: 'claude', reason: 'Claude needs your permission to use Bash' });
    const doc = statusJson(fleet.store.getState());
    expect(doc.schemaVersion).toBe(2);
    expect(doc.summary.jobs).toMatchObject({ waiting: 1, total: 1 });
    expect(doc.jobs[0]).toMatchObject({ key: 'remote/12-review', agent: 'claude', state: 'waiting', reason: 'Claude needs your permission to use Bash' });
    // `jobs --waiting --json` prints the same job objects as status --json, only the waiting ones.
    let out = '';
    const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true }, confirm: async () => false };
    expect(await runJobs(fleet, ['--waiting', '--json'], io)).toBe(0);
    expect(JSON.parse(out)).toEqual([{ ...doc.jobs[0], stateSince: expect.any(String), lastOutputAt: expect.anything() }]);
    await keys(waiting, 'Enter');
    await reaches('12-review', 'done');
    // The hook settings live in the record directory, never in the worktree: its diff stays empty.
    const worktree = join(home, 'dev', 'worktrees', '12-review');
    expect((await git(['-C', worktree, 'status', '--porcelain'])).stdout).toBe('');
    expect(JSON.parse(await readFile(join(home, '.mission-control', 'jobs', '12-review', 'claude-settings.json'), 'utf8')).hooks.Stop).toHaveLength(1);
    const done = (await job('12-review'))!;
    await keys(done, '-l', 'exit');
    await keys(done, 'Enter');
    expect(await reaches('12-review', 'exited')).toMatchObject({ exitCode: 0 });
  });
});
