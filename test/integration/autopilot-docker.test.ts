import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIdleActor, type IdleDecision } from '../../src/app/autopilot.js';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import type { FleetConfig } from '../../src/config/schema.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { shellQuote } from '../../src/ssh/quote.js';
import { sharedDocker, type TestDocker } from '../harness/docker.js';
import { waitFor } from '../support/ssh-fleet.js';

describe('the idle actor on a real docker worker (private dockerd, tmux in the container)', () => {
  let docker: TestDocker;
  let dir: string;
  let config: FleetConfig;
  let fleet: Fleet<WorkerProvider>;
  const container = 'mc-autopilot-test';
  const status = async () => (await docker.docker(['inspect', '-f', '{{.State.Status}}', container])).stdout.trim();
  const tmux = (script: string) => fleet.provider('idler')!.exec({ script: `tmux -L mission-control ${script}` });

  beforeAll(async () => {
    docker = await sharedDocker();
    const image = await docker.buildWorkerImage();
    dir = await mkdtemp(join(tmpdir(), 'mc-autopilot-'));
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      [
        'workers:',
        '  - name: idler',
        '    provider: docker',
        `    container: { name: ${container} }`,
        `    image: ${image}`,
        `    mounts: [${JSON.stringify(dir)}]`,
        `    dockerHost: ${JSON.stringify(docker.host)}`,
        `    stateDir: ${JSON.stringify(join(dir, 'state'))}`,
        '    pollInterval: 1s',
        '    idle: { after: 2s }',
        '',
      ].join('\n'),
    );
    const loaded = await loadConfig(file);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    config = loaded.config;
    fleet = createFleet(config);
    await fleet.provider('idler')!.provision();
  }, 180_000);

  afterAll(async () => {
    await fleet?.close();
    await docker?.docker(['rm', '-f', container]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps a worker with a quiet live session up, re-checks stale data before acting, and stops it once idle', async () => {
    const decisions: IdleDecision[] = [];
    let skew = 0;
    const actor = createIdleActor(fleet, { report: (d) => decisions.push(d), now: () => Date.now() + skew });
    const round = async () => {
      await fleet.refreshAll();
      await actor.check();
    };

    // A quiet build: a live pane that prints nothing keeps the worker up however long it is quiet.
    expect((await tmux(`new-session -d -s build ${shellQuote('sleep 600')}`)).code).toBe(0);
    skew = 3_600_000;
    await round();
    await round();
    expect(decisions.map((d) => d.decision)).toEqual(['kept-up']);
    expect(decisions[0]!.text).toMatch(/^idler: kept up: \$\d+ running$/);
    expect(await status()).toBe('running');

    // The store says idle and due (the session is gone); a new session appears before the actor acts: the fresh
    // scan sees it and nothing is stopped.
    await tmux('kill-server');
    await fleet.refreshAll();
    expect((await tmux(`new-session -d -s late ${shellQuote('sleep 600')}`)).code).toBe(0);
    // The countdown restarts when the worker stops being kept up: move past it.
    skew += 10_000;
    await actor.check();
    expect(decisions.at(-1)).toMatchObject({ decision: 'cancelled' });
    expect(decisions.at(-1)!.text).toMatch(/not due after a fresh scan: kept up: \$\d+ running/);
    expect(await status()).toBe('running');

    // Nothing left: stopped once the deadline passes (the clock moves past it).
    await tmux('kill-server');
    skew += 10_000;
    await waitFor('the actor to stop the idle worker', async () => {
      await round();
      return decisions.some((d) => d.decision === 'done');
    }, 60_000);
    expect(decisions.slice(-2).map((d) => d.decision)).toEqual(['stop', 'done']);
    expect(decisions.at(-1)!.text).toBe('idler: stopped');
    expect(await status()).toBe('exited');
    // A stopped worker has nothing to count down, said once.
    await round();
    await round();
    expect(decisions.slice(-2).map((d) => [d.decision, d.text])).toEqual([
      ['done', 'idler: stopped'],
      ['asleep', 'idler: nothing to count: the machine is stopped'],
    ]);
  }, 120_000);

  it('mission-control autopilot --once --json: one scan, the idle worker stopped once due, one JSON line per decision', async () => {
    await fleet.provider('idler')!.start();
    expect(await status()).toBe('running');
    const once = async () => {
      const written: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
      try {
        expect(await main(['autopilot', '--once', '--json', '--config', join(dir, 'config.yaml')])).toBe(0);
      } finally {
        spy.mockRestore();
      }
      return written.join('').trim().split('\n').map((line) => JSON.parse(line) as IdleDecision);
    };
    // A container just started gets a full period (its start, not the host's boot, is when it came up).
    const first = await once();
    expect(first.map((d) => [d.worker, d.decision])).toEqual([['idler', 'countdown']]);
    expect(first[0]!.text).toMatch(/^idler: stops in \d+s \(no output\)$/);
    let last: IdleDecision[] = first;
    await waitFor('an autopilot --once to stop the idle worker', async () => {
      last = await once();
      return last.some((d) => d.decision === 'done');
    }, 60_000);
    expect(last.map((d) => [d.worker, d.decision])).toEqual([
      ['idler', 'countdown'],
      ['idler', 'stop'],
      ['idler', 'done'],
    ]);
    expect(last[0]!.text).toBe('idler: stops now (no output)');
    expect(await status()).toBe('exited');
  }, 120_000);
});
