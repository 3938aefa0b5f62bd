import { describe, expect, it } from 'vitest';
import { PushStreams } from '../../src/app/push.js';
import { tmuxServer } from '../../src/providers/tmux.js';
import type { ExecResult, WorkerObserver } from '../../src/providers/types.js';
import { createFleetStore } from '../../src/state/store.js';

/** A worker whose watcher streams are only counted: each one stays open until it is aborted. */
function countingWorker(name: string) {
  const opened: number[] = [];
  const view = {
    name,
    kind: 'ssh',
    tmux: tmuxServer('/nonexistent/tmux.sock'),
    containerName: undefined,
    stateDir: '/nonexistent/state',
    getStatus: async () => ({ state: 'running' }),
    observe: async () => ({ code: 0, stdout: '', stderr: '' }),
    stream: (_command: unknown, _onChunk: unknown, options: { signal?: AbortSignal }) =>
      new Promise<ExecResult>((_resolve, reject) => {
        opened.push(opened.length);
        options.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true });
      }),
    connectionPath: () => undefined,
    roundTripMs: () => undefined,
  } as unknown as WorkerObserver;
  return { view, opened };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('push streams at a cold start', () => {
  it("open a worker's stream only once its first scan answered (up or down), so the stream never competes with it", async () => {
    const store = createFleetStore({ readOnly: true });
    const seed = (name: string) => ({ name, provider: 'ssh' as const, maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' });
    store.getState().setWorkers([seed('a'), seed('b')], undefined);
    const a = countingWorker('a');
    const b = countingWorker('b');
    const streams = new PushStreams(store);
    try {
      streams.setWorkers(new Map([['a', a.view], ['b', b.view]]));
      store.getState().refreshStarted('a');
      store.getState().refreshStarted('b');
      await settle();
      expect([a.opened.length, b.opened.length]).toEqual([0, 0]);

      store.getState().refreshFailed('a', 'a: no answer within 3000 ms', Date.now());
      await settle();
      expect([a.opened.length, b.opened.length]).toEqual([1, 0]);
    } finally {
      await streams.close();
    }
    // Closed while still waiting for its first scan: no stream is opened afterwards.
    store.getState().refreshFailed('b', 'b: no answer within 3000 ms', Date.now());
    await settle();
    expect(b.opened.length).toBe(0);
  });
});
