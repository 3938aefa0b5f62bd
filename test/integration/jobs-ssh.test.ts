import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import type { FleetConfig } from '../../src/config/schema.js';
import { createJobActions } from '../../src/jobs/actions.js';
import { runLogs, type CliIo } from '../../src/jobs/cli.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { makeRemote } from '../support/git-remote.js';
import { startTestFleet, waitFor, type TestFleet } from '../support/ssh-fleet.js';

const exec = promisify(execFile);

/** Ends the jobs of tmux servers (their wrappers record the hangup) and waits for the wrappers under `marker` to finish. */
async function endJobs(sockets: readonly string[], marker: string): Promise<void> {
  for (const socket of sockets) await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
  const running = async () => {
    for (const pid of await readdir('/proc').catch(() => [] as string[])) {
      if (!/^\d+$/.test(pid)) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(marker) && cmdline.includes('run.sh')) return true;
    }
    return false;
  };
  await waitFor('job wrappers to finish', async () => !(await running()), 10_000).catch(() => undefined);
}

describe('jobs on an SSH worker (real sshd, pooled connection, real tmux and git)', () => {
  let world: TestFleet;
  let config: FleetConfig;
  let settings: JobSettings;
  let home: string;
  const fleets: Fleet<WorkerProvider>[] = [];
  const fleet = () => {
    const created = createFleet(config);
    fleets.push(created);
    return created;
  };
  const jobFile = (id: string, file: string) => join(home, '.mission-control', 'jobs', id, file);
  const text = (path: string) => readFile(path, 'utf8').catch(() => '');

  beforeAll(async () => {
    world = await startTestFleet(['remote']);
    home = world.workers[0]!.sshd.home;
    const remote = await makeRemote(world.dir);
    await writeFile(join(world.dir, 'settings.json'), '{"apiKey":"never-in-argv"}\n');

    const loaded = await loadConfig(await world.writeConfig());
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    // Tilde paths: expanded on the worker, in the SSH session's HOME.
    config = { ...loaded.config, workers: loaded.config.workers.map((w) => ({ ...w, stateDir: '~/.mission-control' })) };
    settings = resolveJobSettings({
      kinds: kindsSchema.parse({
        show: {
          params: { pr: { pattern: '^[0-9]+$' } },
          command: ['sh', '-c', 'echo "hello from PR $1 in $PWD"; cat pr.txt', 'job', '{pr}'],
          worktree: { fetch: 'pull/{pr}/head' },
        },
        fail: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'echo failing; exit 3'] },
        ticks: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'i=0; while [ $i -lt 15 ]; do i=$((i+1)); echo tick $i; sleep 0.2; done'] },
        sleepy: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'echo started; exec sleep 60'] },
      }),
      repo: { url: remote, sync: [{ from: join(world.dir, 'settings.json'), to: '~/.agent/settings.json' }] },
    });
  });

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.close()));
    if (world) await endJobs([world.workers[0]!.socket], home);
    await world?.stop();
  });

  it('sets the worker up over the pooled connection: clone in ~/dev/main, synced file 0600, idempotent', async () => {
    const actions = createJobActions(fleet(), settings);
    const first = await actions.setup('remote');
    expect(first.changed).toEqual(expect.arrayContaining([expect.stringMatching(/^cloned .*\/dev\/main$/), expect.stringContaining('settings.json copied')]));
    expect(existsSync(join(home, 'dev', 'main', 'README'))).toBe(true);
    const synced = join(home, '.agent', 'settings.json');
    expect(await readFile(synced, 'utf8')).toBe('{"apiKey":"never-in-argv"}\n');
    expect((await stat(synced)).mode & 0o777).toBe(0o600);
    expect((await actions.setup('remote')).changed).toEqual([]);
  });

  it('launches in a worktree under ~/dev/worktrees, records output and exit codes, and the scan derives the states', async () => {
    const f = fleet();
    const actions = createJobActions(f, settings);
    const launched = await actions.launch({ kind: 'show', params: { pr: '12' } });
    expect(launched).toMatchObject({ worker: 'remote', created: true, worktree: join(home, 'dev', 'worktrees', '12-show') });
    await actions.launch({ kind: 'fail', params: { n: '1' } });
    await waitFor('exit codes', () => existsSync(jobFile('12-show', 'exit')) && existsSync(jobFile('1-fail', 'exit')));
    expect(await text(jobFile('12-show', 'output.log'))).toContain(`hello from PR 12 in ${join(home, 'dev', 'worktrees', '12-show')}`);
    await f.refreshAll();
    const jobs = selectAllJobs(f.store.getState());
    expect(jobs.find((j) => j.id === '12-show')).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(jobs.find((j) => j.id === '1-fail')).toMatchObject({ state: 'failed', exitCode: 3 });
  });

  it('two launches at the same moment from two fleets (two connections) end with one session', async () => {
    const [a, b] = await Promise.all([
      createJobActions(fleet(), settings).launch({ kind: 'sleepy', params: { n: '2' } }),
      createJobActions(fleet(), settings).launch({ kind: 'sleepy', params: { n: '2' } }),
    ]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.sessionId).toBe(b.sessionId);
    const listed = await world.workers[0]!.tmux(['list-sessions', '-F', '#{session_name}']);
    expect(listed.stdout.split('\n').filter((name) => name === 'mc-2-sleepy')).toHaveLength(1);
    expect(await createJobActions(fleet(), settings).stop('remote/2-sleepy', { graceMs: 3000 })).toBe('interrupted');
  });

  it('kill the SSH connection mid-job: the job keeps running and finishes; a new fleet finds it and reads its log', async () => {
    const f = fleet();
    await createJobActions(f, settings).launch({ kind: 'ticks', params: { n: '1' } });
    await waitFor('first tick', async () => (await text(jobFile('1-ticks', 'output.log'))).includes('tick 1'));
    const sshd = world.workers[0]!.sshd;
    await sshd.kill();
    const before = (await text(jobFile('1-ticks', 'output.log'))).length;
    await waitFor('more ticks while disconnected', async () => (await text(jobFile('1-ticks', 'output.log'))).length > before + 10);
    await waitFor('the job ends on its own', () => existsSync(jobFile('1-ticks', 'exit')), 10_000);
    expect((await text(jobFile('1-ticks', 'exit'))).trim()).toBe('0');
    expect(await text(jobFile('1-ticks', 'output.log'))).toContain('tick 15');

    await sshd.restart();
    const again = fleet();
    await again.refreshAll();
    expect(selectAllJobs(again.store.getState()).find((j) => j.id === '1-ticks')).toMatchObject({ state: 'exited', exitCode: 0 });
    let out = '';
    const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true }, confirm: async () => false };
    expect(await runLogs(again, ['1-ticks', '-f'], io, settings)).toBe(0);
    expect(out).toContain('tick 15');
  });
});
