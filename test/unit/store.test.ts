import { describe, expect, it } from 'vitest';
import type { WorkerScan } from '../../src/scanners/worker-scan/types.js';
import { selectAllJobs, summarizeFleet } from '../../src/state/selectors.js';
import { createFleetStore, MAX_PROBLEMS, type WorkerSeed } from '../../src/state/store.js';

const seed = (name: string): WorkerSeed => ({ name, provider: 'ssh', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' });
const NOW = 1_800_000_000_000;

function scanWith(names: string[]): WorkerScan {
  return {
    host: { now: NOW / 1000, uptimeSeconds: 10, load1: 0.5, load5: 0.4, load15: 0.3, cpus: 4 },
    container: undefined,
    tmuxRunning: true,
    tmuxError: undefined,
    sessions: names.map((name, i) => ({
      id: `$${i}`,
      name,
      created: NOW / 1000 - 100,
      activity: NOW / 1000 - 1,
      attached: 0,
      panes: [{ id: `%${i}`, dead: false, deadStatus: undefined, currentCommand: 'sleep', pid: 100 + i }],
    })),
    jobs: [],
  };
}

const success = (names: string[], now = NOW) => ({
  scan: scanWith(names),
  machine: { state: 'running' as const },
  path: 'direct' as const,
  rttMs: 3,
  scanMs: 7,
  now,
});

describe('fleet store', () => {
  it('tracks each worker on its own: one going down leaves the other up with its jobs', () => {
    const store = createFleetStore();
    store.getState().setWorkers([seed('a'), seed('b')], '/etc/config.yaml');
    expect(store.getState().workers.a!.connection).toBe('connecting');
    store.getState().refreshSucceeded('a', success(['mc-1', 'mc-2']));
    store.getState().refreshSucceeded('b', success(['mc-3']));
    store.getState().refreshFailed('b', 'b: connection refused', NOW + 2000);
    const state = store.getState();
    expect(state.workers.a).toMatchObject({ connection: 'up', rttMs: 3, lastError: undefined, failures: 0 });
    expect(state.workers.b).toMatchObject({ connection: 'down', lastError: 'b: connection refused', failures: 1, lastRefresh: NOW });
    expect(selectAllJobs(state).map((j) => [j.key, j.state, j.reason])).toEqual([
      ['a/$0', 'running', 'session alive, recent output'],
      ['a/$1', 'running', 'session alive, recent output'],
      ['b/$0', 'unknown', 'worker unreachable (was running)'],
    ]);
    expect(summarizeFleet(state)).toMatchObject({
      workers: { up: 1, down: 1, connecting: 0, total: 2 },
      jobs: { running: 2, unknown: 1, total: 3 },
    });
  });

  it('recovers a worker on the next good refresh', () => {
    const store = createFleetStore();
    store.getState().setWorkers([seed('a')], undefined);
    store.getState().refreshFailed('a', 'down', NOW);
    store.getState().refreshFailed('a', 'down', NOW + 1);
    expect(store.getState().workers.a!.failures).toBe(2);
    store.getState().refreshSucceeded('a', success(['mc-x'], NOW + 5000));
    expect(store.getState().workers.a).toMatchObject({ connection: 'up', failures: 0, lastError: undefined, lastRefresh: NOW + 5000 });
  });

  it('keeps what it knows about workers that stay across a config change and drops removed ones', () => {
    const store = createFleetStore();
    store.getState().setWorkers([seed('a'), seed('b')], undefined);
    store.getState().refreshSucceeded('a', success(['mc-1']));
    store.getState().setWorkers([seed('a'), { ...seed('c'), maxJobs: 9 }], '/new.yaml');
    const state = store.getState();
    expect(state.workerOrder).toEqual(['a', 'c']);
    expect(state.workers.b).toBeUndefined();
    expect(state.workers.a!.connection).toBe('up');
    expect(state.workers.c!.maxJobs).toBe(9);
    expect(selectAllJobs(state).map((j) => j.key)).toEqual(['a/$0']);
    expect(state.configSource).toBe('/new.yaml');
  });

  it('selectAllJobs returns the same array until jobs change (safe for React selectors)', () => {
    const store = createFleetStore();
    store.getState().setWorkers([seed('a')], undefined);
    store.getState().refreshSucceeded('a', success(['mc-1']));
    const first = selectAllJobs(store.getState());
    store.getState().setConfigErrors(['x']);
    expect(selectAllJobs(store.getState())).toBe(first);
    store.getState().refreshSucceeded('a', success(['mc-1', 'mc-2']));
    expect(selectAllJobs(store.getState())).not.toBe(first);
  });

  it('ignores results for workers it does not know (a late answer after a config change)', () => {
    const store = createFleetStore();
    store.getState().setWorkers([seed('a')], undefined);
    const before = store.getState();
    store.getState().refreshSucceeded('gone', success(['mc-1']));
    store.getState().refreshFailed('gone', 'x', NOW);
    expect(store.getState().workers).toBe(before.workers);
  });

  it("keeps each scan's problems on the worker, bounded, and keeps them while the worker is down", () => {
    const store = createFleetStore();
    store.getState().setWorkers([seed('a')], undefined);
    expect(store.getState().workers.a!.problems).toEqual([]);
    const problems = ['job directory "x\x1b]0;T\x07" is not a safe id: skipped', 'the tmux listing was cut short'];
    store.getState().refreshSucceeded('a', { ...success([]), scan: { ...scanWith([]), problems } });
    expect(store.getState().workers.a!.problems).toEqual(problems);
    store.getState().refreshFailed('a', 'a: connection refused', NOW + 2000);
    expect(store.getState().workers.a!.problems).toEqual(problems);
    store.getState().refreshSucceeded('a', success([], NOW + 4000));
    expect(store.getState().workers.a!.problems).toEqual([]);

    const many = Array.from({ length: 500 }, (_, i) => `problem ${i} ${'x'.repeat(i === 0 ? 10_000 : 0)}`);
    store.getState().refreshSucceeded('a', { ...success([]), scan: { ...scanWith([]), problems: many } });
    const kept = store.getState().workers.a!.problems;
    expect(kept).toHaveLength(MAX_PROBLEMS);
    expect(kept[0]!.length).toBeLessThanOrEqual(200);
    expect(kept[1]).toBe('problem 1 ');
    expect(kept.at(-1)).toBe(`and ${500 - MAX_PROBLEMS + 1} more problems`);
  });

  it("counts the freshness of reachable workers only: a dead worker does not make the fleet look stale", () => {
    const store = createFleetStore();
    store.getState().setWorkers([seed('a'), seed('b')], undefined);
    store.getState().refreshSucceeded('b', success([], NOW - 600_000));
    store.getState().refreshFailed('b', 'b: refused', NOW);
    store.getState().refreshSucceeded('a', success([], NOW - 1000));
    expect(summarizeFleet(store.getState())).toMatchObject({ oldestRefresh: NOW - 1000, downSeenAt: NOW - 600_000 });
  });

  it('keeps the same jobs (objects, lists, map) when a scan finds them as they were', () => {
    // Scans at later times, the worker's clock moving with ours.
    const later = (names: string[], at: number) => {
      const scan = scanWith(names);
      return { ...success(names, at), scan: { ...scan, host: { ...scan.host, now: at / 1000 } } };
    };
    const store = createFleetStore();
    store.getState().setWorkers([seed('a'), seed('b')], undefined);
    store.getState().refreshSucceeded('a', success(['mc-1', 'mc-2']));
    store.getState().refreshSucceeded('b', success(['mc-3']));
    const before = store.getState();
    store.getState().refreshSucceeded('a', later(['mc-1', 'mc-2'], NOW + 2000));
    const after = store.getState();
    expect(after.workers.a!.lastRefresh).toBe(NOW + 2000);
    expect(after.jobsByWorker).toBe(before.jobsByWorker);
    expect(selectAllJobs(after)).toBe(selectAllJobs(before));

    // One job changed: a new list for that worker, with the unchanged job still the same object.
    store.getState().refreshSucceeded('a', later(['mc-1'], NOW + 4000));
    const changed = store.getState();
    expect(changed.jobsByWorker).not.toBe(before.jobsByWorker);
    expect(changed.jobsByWorker.b).toBe(before.jobsByWorker.b);
    expect(changed.jobsByWorker.a).toEqual([before.jobsByWorker.a![0]]);
    expect(changed.jobsByWorker.a![0]).toBe(before.jobsByWorker.a![0]);

    // Down twice: the jobs are marked unknown once, then stay the same.
    store.getState().refreshFailed('a', 'a: refused', NOW + 6000);
    const down = store.getState().jobsByWorker;
    store.getState().refreshFailed('a', 'a: refused', NOW + 8000);
    expect(store.getState().jobsByWorker).toBe(down);
  });
});
