/**
 * The hostile-string corpus through an SSH worker (real sshd on loopback, the pooled ssh2 connection, real tmux):
 * hand-made sessions, job records made on the worker, and launch parameters, with everything shown of them and
 * the attach command. Each string's payload would create a file in the canary directory if anything executed it,
 * on either side of the connection: the directory must stay empty.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { FleetConfig } from '../../src/config/schema.js';
import { createJobActions } from '../../src/jobs/actions.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { makeCanary, writeHostileRecords, type Canary } from '../support/hostile-corpus.js';
import { everythingShown, leaksIn } from '../support/hostile-output.js';
import { fleetTracker, launchHostileSays, makeHostileSessions, SAY_KIND } from '../support/hostile-scenarios.js';
import { startTestFleet, type TestFleet } from '../support/ssh-fleet.js';

describe('the hostile corpus on an SSH worker (real sshd, real tmux)', () => {
  let world: TestFleet;
  let config: FleetConfig;
  let canary: Canary;
  let settings: JobSettings;
  const fleets = fleetTracker(() => config);

  beforeAll(async () => {
    canary = makeCanary();
    world = await startTestFleet(['remote']);
    const loaded = await loadConfig(await world.writeConfig());
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    settings = resolveJobSettings({ kinds: kindsSchema.parse(SAY_KIND) });
    config = { ...loaded.config, jobs: settings };
  });

  afterAll(async () => {
    await fleets.closeAll();
    await world?.stop();
    canary?.remove();
  });

  it('hand-made sessions with hostile names: scan over SSH, every view and preview inert; attach names the session id only', async () => {
    const worker = world.workers[0]!;
    const made = await makeHostileSessions(canary, async (args) => (await worker.tmux(args)).code === 0);
    const f = fleets.fleet();
    const shown = await everythingShown(f, config, settings);
    const jobs = selectAllJobs(f.store.getState());
    expect(jobs.filter((j) => j.session !== undefined)).toHaveLength(made);
    for (const job of jobs) {
      const argv = f.provider('remote')!.attachCommand(job.session!.id).argv;
      expect(argv.slice(0, 2)).toEqual(['ssh', '-t']);
      expect(argv.at(-1)).toBe(`tmux -u -S ${worker.socket} set-option -wu -t '${job.session!.id}' window-size ';' attach-session -t '${job.session!.id}'`);
    }
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });

  it('job records made on the worker with hostile names and contents: inert over SSH in every view, logs included', async () => {
    await writeHostileRecords(join(config.workers[0]!.stateDir, 'jobs'), canary);
    const shown = await everythingShown(fleets.fleet(), config, settings);
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });

  it('hostile launch parameters cross SSH as one argv word each and run inert', async () => {
    const f = fleets.fleet();
    await launchHostileSays(createJobActions(f, settings), canary, 'remote', (id) => join(config.workers[0]!.stateDir, 'jobs', id, 'output.log'));
    const shown = await everythingShown(f, config, settings);
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });
});
