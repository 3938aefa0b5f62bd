import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet } from '../../src/app/fleet.js';
import { refreshWorker } from '../../src/app/refresh.js';
import { loadConfig } from '../../src/config/load.js';
import { startTestFleet, type TestFleet } from '../support/ssh-fleet.js';

const WORKERS = 40;
/** Longer than the scan deadline of a 2 s poll (3 s): how long resolving a target takes behind a cold start's queue. */
const RESOLVE_SECONDS = 4;

describe(`a cold start of ${WORKERS} SSH workers whose targets resolve slowly`, () => {
  let fleet: TestFleet;
  let config: string;

  beforeAll(async () => {
    fleet = await startTestFleet(Array.from({ length: WORKERS }, (_, i) => `cold${i}`));
    for (const worker of fleet.workers) await worker.tmux(['new-session', '-d', '-s', 'job', 'sleep 600']);
    // Every `ssh -G` of this config runs the Match's command first: resolving a target takes seconds, as it does
    // when hundreds of them are spawned at once on a loaded machine.
    const entries = await readFile(fleet.sshConfigFile, 'utf8');
    await writeFile(fleet.sshConfigFile, `Match exec "sleep ${RESOLVE_SECONDS}"\n  ConnectTimeout 30\n\n${entries}`);
    config = await fleet.writeConfig({ pollInterval: '2s' });
  }, 180_000);

  afterAll(async () => {
    await fleet?.stop();
  });

  it('brings every worker up with no failed scan: resolving and waiting for a handshake place are not its time', async () => {
    const loaded = await loadConfig(config);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const mc = createFleet(loaded.config, { readOnly: true });
    try {
      const names = fleet.workers.map((w) => w.name);
      // All at once, as the dashboard's first round does; the process's handshake gate lets a few through at a time.
      const results = await Promise.allSettled(names.map((name) => refreshWorker(mc.store, mc.provider(name)!, 2000)));
      const failed = results.flatMap((result, i) => (result.status === 'rejected' ? [`${names[i]}: ${(result.reason as Error).message}`] : []));
      expect(failed).toEqual([]);
      const workers = mc.store.getState().workers;
      for (const name of names) {
        expect({ name, connection: workers[name]!.connection, failures: workers[name]!.failures, lastError: workers[name]!.lastError }).toEqual({
          name,
          connection: 'up',
          failures: 0,
          lastError: undefined,
        });
      }
    } finally {
      await mc.close();
    }
  }, 180_000);
});
