/**
 * The hostile-string corpus through an SSH worker (real sshd on loopback, the pooled ssh2 connection, real tmux):
 * hand-made sessions, job records made on the worker, and launch parameters, with everything shown of them and
 * the attach command. Each string's payload would create a file in the canary directory if anything executed it,
 * on either side of the connection: the directory must stay empty.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import type { FleetConfig } from '../../src/config/schema.js';
import { createJobActions } from '../../src/jobs/actions.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { literalForTmux, makeCanary, writeHostileRecords, type Canary } from '../support/hostile-corpus.js';
import { everythingShown, leaksIn } from '../support/hostile-output.js';
import { startTestFleet, waitFor, type TestFleet } from '../support/ssh-fleet.js';

describe('the hostile corpus on an SSH worker (real sshd, real tmux)', () => {
  let world: TestFleet;
  let config: FleetConfig;
  let canary: Canary;
  let settings: JobSettings;
  const fleets: Fleet<WorkerProvider>[] = [];
  const fleet = () => {
    const created = createFleet(config);
    fleets.push(created);
    return created;
  };

  beforeAll(async () => {
    canary = makeCanary();
    world = await startTestFleet(['remote']);
    const loaded = await loadConfig(await world.writeConfig());
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    config = loaded.config;
    settings = resolveJobSettings({
      kinds: kindsSchema.parse({ say: { params: { msg: { pattern: '^[\\s\\S]*$' } }, command: ['printf', 'said:%s:end\\n', '{msg}'], worktree: false } }),
    });
    config = { ...config, jobs: settings };
  });

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.close()));
    await world?.stop();
    canary?.remove();
  });

  it('hand-made sessions with hostile names: scan over SSH, every view and preview inert; attach names the session id only', async () => {
    const worker = world.workers[0]!;
    let made = 0;
    for (const s of canary.corpus) {
      const result = await worker.tmux(['new-session', '-d', '-x', '120', '-y', '20', '-s', literalForTmux(s.value), 'sh', '-c', 'printf "%s\\n" "$1"; exec sleep 600', 'sh', s.value]);
      if (result.code === 0) made += 1;
    }
    expect(made).toBeGreaterThan(canary.corpus.length / 2);
    const f = fleet();
    const shown = await everythingShown(f, config, settings);
    const jobs = selectAllJobs(f.store.getState());
    expect(jobs.filter((j) => j.session !== undefined)).toHaveLength(made);
    for (const job of jobs) {
      const argv = f.provider('remote')!.attachCommand(job.session!.id).argv;
      const remote = argv.at(-1)!;
      expect(argv.slice(0, 2)).toEqual(['ssh', '-t']);
      expect(remote).toBe(`tmux -u -S ${worker.socket} attach-session -t '${job.session!.id}'`);
    }
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });

  it('job records made on the worker with hostile names and contents: inert over SSH in every view, logs included', async () => {
    await writeHostileRecords(join(config.workers[0]!.stateDir, 'jobs'), canary);
    const shown = await everythingShown(fleet(), config, settings);
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });

  it('hostile launch parameters cross SSH as one argv word each and run inert', async () => {
    const f = fleet();
    const actions = createJobActions(f, settings);
    const logs: { file: string; value: string }[] = [];
    for (const s of canary.corpus) {
      const launched = await actions.launch({ kind: 'say', params: { msg: s.value }, worker: 'remote' });
      expect(launched.session).toMatch(/^mc-[A-Za-z0-9_-]+$/);
      logs.push({ file: join(config.workers[0]!.stateDir, 'jobs', launched.id, 'output.log'), value: s.value });
    }
    for (const { file, value } of logs) {
      await waitFor(`output of ${value.slice(0, 20)}`, async () => (await readFile(file, 'utf8').catch(() => '')).includes(':end'));
      // The log is what the pane's terminal wrote: its line discipline turns each newline into CR LF.
      expect((await readFile(file, 'utf8')).replace(/\r\n/g, '\n')).toContain(`said:${Buffer.from(value).toString('utf8')}:end`);
    }
    const shown = await everythingShown(f, config, settings);
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });
});
