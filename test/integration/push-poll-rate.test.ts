import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import type { FleetConfig } from '../../src/config/schema.js';
import type { WorkerObserver } from '../../src/providers/types.js';
import { PUSH_CHANNEL } from '../../src/scanners/worker-events/command.js';
import { run } from '../harness/process.js';
import { waitFor } from '../support/ssh-fleet.js';

/** Counts the scans the store receives for `worker` over `ms` milliseconds of an idle worker. */
async function scansDuring(fleet: Fleet<WorkerObserver>, worker: string, ms: number): Promise<number> {
  let scans = 0;
  let last = fleet.store.getState().workers[worker]?.lastRefresh;
  const unsubscribe = fleet.store.subscribe((state) => {
    const now = state.workers[worker]?.lastRefresh;
    if (now !== last) scans += 1;
    last = now;
  });
  await new Promise((resolve) => setTimeout(resolve, ms));
  unsubscribe();
  return scans;
}

describe('the poll slows down while a push stream holds (real tmux, this machine; poll every second)', () => {
  let dir: string;
  let fleet: Fleet<WorkerObserver> | undefined;
  let config: FleetConfig;
  const socket = () => join(dir, 'tmux.sock');
  const tmux = (args: readonly string[]) => run('tmux', ['-u', '-S', socket(), ...args], { allowFailure: true });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-push-rate-'));
    await writeFile(
      join(dir, 'config.yaml'),
      ['defaults:', '  pollInterval: 1s', 'workers:', '  - name: here', '    provider: local', `    tmuxSocket: ${socket()}`, `    stateDir: ${join(dir, 'state')}`].join('\n'),
    );
    await tmux(['new-session', '-d', '-s', 'mc-idle', 'sleep 600']);
    const loaded = await loadConfig(join(dir, 'config.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    config = loaded.config;
    fleet = createFleet(loaded.config, { readOnly: true });
    fleet.startPolling();
    await waitFor('hooks armed', async () => (await tmux(['show-hooks', '-g'])).stdout.includes(PUSH_CHANNEL));
  });
  afterAll(async () => {
    await fleet?.close();
    await tmux(['kill-server']);
    await rm(dir, { recursive: true, force: true });
  });

  it('an idle worker with its stream up is not scanned every second; with the stream down it is again', async () => {
    // A poll already waiting when the stream came up ends its wait first.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await scansDuring(fleet!, 'here', 6000)).toBeLessThanOrEqual(1);
    // A config reload that changes nothing keeps the stream (a new one would push a scan, and its loss poll one).
    const scans = scansDuring(fleet!, 'here', 3000);
    fleet!.applyConfig(config);
    expect(await scans).toBe(0);
    // No tmux server: the watcher reports it has nothing to watch, and the worker is polled at its own interval.
    await tmux(['kill-server']);
    expect(await scansDuring(fleet!, 'here', 6000)).toBeGreaterThanOrEqual(3);
  });
});
