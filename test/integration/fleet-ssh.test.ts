import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import type { WorkerObserver } from '../../src/providers/types.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { run } from '../harness/process.js';
import { startTestFleet, waitFor, type TestFleet } from '../support/ssh-fleet.js';

describe('a fleet of SSH workers (real sshd, real tmux)', () => {
  let world: TestFleet;
  let fleet: Fleet<WorkerObserver> | undefined;
  const pwned = join('/tmp', `mc-pwned-${process.pid}`);

  beforeAll(async () => {
    world = await startTestFleet(['alpha', 'beta']);
  });
  afterAll(async () => {
    await fleet?.close();
    await world.stop();
  });

  it('scans every worker, keeps hostile session names exact, and executes none of them', async () => {
    const [alpha, beta] = world.workers;
    const names = [
      'mc-plain',
      `mc-$(touch ${pwned})`,
      `mc-\`touch ${pwned}\``,
      "mc-quote's \"double\"",
      'mc-日本語 with spaces',
    ];
    for (const name of names) {
      const created = await alpha!.tmux(['new-session', '-d', '-s', name, 'sleep 300']);
      expect(created.code).toBe(0);
    }
    // tmux would run #(…) in a name it is given: a literal name is created with the # doubled.
    await alpha!.tmux(['new-session', '-d', '-s', `mc-##(touch ${pwned})`, 'sleep 300']);
    await beta!.tmux(['new-session', '-d', '-s', 'mc-on-beta', 'sleep 300']);

    const loaded = await loadConfig(await world.writeConfig());
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    fleet = createFleet(loaded.config, { readOnly: true });
    const results = await fleet.refreshAll();
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const state = fleet.store.getState();
    expect(state.workers.alpha).toMatchObject({ connection: 'up', path: 'direct', lastError: undefined });
    expect(state.workers.beta).toMatchObject({ connection: 'up' });
    const alphaSessions = (state.jobsByWorker.alpha ?? []).map((j) => j.session?.name).sort();
    expect(alphaSessions).toEqual([...names, `mc-#(touch ${pwned})`].sort());
    expect((state.jobsByWorker.beta ?? []).map((j) => j.session?.name)).toEqual(['mc-on-beta']);
    expect(existsSync(pwned)).toBe(false);
    expect(state.workers.alpha!.host?.cpus).toBeGreaterThan(0);
  });

  it('reports a dead worker within a few polls while the other keeps refreshing, and it comes back by itself', async () => {
    if (!fleet) throw new Error('previous test did not create the fleet');
    const f = fleet;
    f.startPolling();
    const [, beta] = world.workers;
    await waitFor('both workers up', () => Object.values(f.store.getState().workers).every((w) => w.connection === 'up'));

    // Counted in alpha's refreshes, not in milliseconds: both loops run on the same poll interval, so a loaded
    // machine slows both alike. (Detection time itself is a figure of the fault benchmark.)
    let alphaRefreshes = 0;
    let alphaSeen = f.store.getState().workers.alpha!.lastRefresh;
    const unsubscribe = f.store.subscribe((state) => {
      const last = state.workers.alpha?.lastRefresh;
      if (last !== alphaSeen) alphaRefreshes++;
      alphaSeen = last;
    });
    try {
      await beta!.sshd.kill();
      await waitFor('beta down', () => f.store.getState().workers.beta!.connection === 'down', 30_000);
      expect(alphaRefreshes).toBeLessThanOrEqual(10);
      expect(f.store.getState().workers.beta!.lastError).toMatch(/beta/);
      expect(selectAllJobs(f.store.getState()).find((j) => j.worker === 'beta')?.state).toBe('unknown');

      // The rest of the fleet keeps updating: a session made on alpha while beta is down reaches the store (pushed,
      // or by alpha's next poll).
      const [alpha] = world.workers;
      await alpha!.tmux(['new-session', '-d', '-s', 'mc-while-beta-down', 'sleep 300']);
      await waitFor('alpha to show its new session while beta is down', () =>
        (f.store.getState().jobsByWorker.alpha ?? []).some((j) => j.session?.name === 'mc-while-beta-down'), 60_000);
      expect(f.store.getState().workers.alpha!.connection).toBe('up');
      expect(f.store.getState().workers.beta!.connection).toBe('down');
    } finally {
      unsubscribe();
    }

    await beta!.sshd.restart();
    await waitFor('beta back', () => f.store.getState().workers.beta!.connection === 'up', 30_000);
    // The tmux server outlived the connection: the session is found again.
    expect((f.store.getState().jobsByWorker.beta ?? []).map((j) => [j.session?.name, j.state])).toEqual([['mc-on-beta', 'running']]);
  });

  it('a config edit that removes a worker closes its connection; the remaining worker keeps its own', async () => {
    if (!fleet) throw new Error('previous test did not create the fleet');
    const f = fleet;
    const [alpha, beta] = world.workers;
    const sessionsOf = async (pid: number | undefined) => (await run('pgrep', ['-P', String(pid)], { allowFailure: true })).stdout.split('\n').filter(Boolean);
    await waitFor('beta connected', async () => (await sessionsOf(beta!.sshd.pid())).length > 0);
    const alphaSessions = await sessionsOf(alpha!.sshd.pid());
    const loaded = await loadConfig(await world.writeConfig());
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    f.applyConfig({ ...loaded.config, workers: loaded.config.workers.filter((w) => w.name === 'alpha') });
    await waitFor('beta connection closed', async () => (await sessionsOf(beta!.sshd.pid())).length === 0);
    expect(f.store.getState().workerOrder).toEqual(['alpha']);
    expect(await sessionsOf(alpha!.sshd.pid())).toEqual(alphaSessions);
  });
});
