import { describe, expect, it, vi } from 'vitest';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { resolveCursor, scrollTop } from '../../src/ui/state/selection.js';
import type { FleetState } from '../../src/state/store.js';
import { createClock, createFrameTicker, type FrameTicker } from '../../src/ui/state/throttled-store.js';
import { createUiStore } from '../../src/ui/state/ui-store.js';
import { attentionReason, createJobRowsCache } from '../../src/ui/state/job-rows.js';
import { computeLayout } from '../../src/ui/layout.js';
import { job, NOW, smallFleet } from './fixtures.js';

describe('selection', () => {
  it('follows the selected key, else keeps the row', () => {
    expect(resolveCursor(['a', 'b', 'c'], 'c', 0)).toBe(2);
    expect(resolveCursor(['a', 'c'], 'b', 1)).toBe(1);
    expect(resolveCursor(['a'], 'b', 5)).toBe(0);
    expect(resolveCursor([], 'b', 5)).toBe(0);
  });

  it('scrolls as little as needed and never past the end', () => {
    expect(scrollTop(0, 5, 10, 100)).toBe(0);
    expect(scrollTop(0, 10, 10, 100)).toBe(1);
    expect(scrollTop(50, 20, 10, 100)).toBe(20);
    expect(scrollTop(95, 99, 10, 100)).toBe(90);
    expect(scrollTop(7, 3, 10, 5)).toBe(0);
  });
});

describe('the UI store', () => {
  it('keeps running operations and only the last three finished ones', () => {
    const ui = createUiStore();
    const ids = Array.from({ length: 6 }, (_, i) => ui.getState().startOperation(`op ${i}`, NOW));
    for (const id of ids.slice(0, 5)) ui.getState().finishOperation(id);
    expect(ui.getState().operations.map((op) => `${op.label}:${op.status}`)).toEqual(['op 2:done', 'op 3:done', 'op 4:done', 'op 5:running']);
    ui.getState().reportOperation(ids[5]!, 'waiting for ssh');
    ui.getState().finishOperation(ids[5]!, 'refused');
    expect(ui.getState().operations.at(-1)).toMatchObject({ step: 'waiting for ssh', status: 'failed', error: 'refused' });
    expect(ui.getState().operations).toHaveLength(3);
  });

  it('drops marks of jobs that are gone', () => {
    const ui = createUiStore();
    ui.getState().toggleMark('a');
    ui.getState().toggleMark('b');
    const before = ui.getState().marks;
    ui.getState().pruneMarks(new Set(['a', 'b', 'c']));
    expect(ui.getState().marks).toBe(before);
    ui.getState().pruneMarks(new Set(['b']));
    expect([...ui.getState().marks]).toEqual(['b']);
  });

  it('pages by the rows the table shows', () => {
    const ui = createUiStore();
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    ui.getState().setViewport('jobs', 10);
    ui.getState().moveJobCursor(keys, (c, page) => c + page - 1);
    expect(ui.getState()).toMatchObject({ jobCursor: 9, selectedJobKey: 'k9', jobsTop: 0 });
    ui.getState().moveJobCursor(keys, (c) => c + 1);
    expect(ui.getState()).toMatchObject({ jobCursor: 10, jobsTop: 1 });
    ui.getState().moveJobCursor(keys, () => 1000);
    expect(ui.getState()).toMatchObject({ jobCursor: 99, selectedJobKey: 'k99', jobsTop: 90 });
  });
});

describe('the frame ticker', () => {
  it('publishes the fleet with the clock once a beat, however many updates came in between', () => {
    vi.useFakeTimers();
    try {
      const source = createStore<FleetState>()(() => smallFleet());
      const ticker = createFrameTicker(source, 1000, 50);
      vi.setSystemTime(NOW);
      ticker.start();
      const seen: string[] = [];
      ticker.fleet.subscribe(() => seen.push(`fleet@${ticker.clock.getState() - NOW}`));
      ticker.clock.subscribe((now) => seen.push(`clock@${now - NOW}`));
      source.setState({ configErrors: ['first'] });
      vi.advanceTimersByTime(50);
      expect(seen).toEqual(['clock@50', 'fleet@50']);
      for (let n = 0; n < 20; n += 1) source.setState({ configErrors: [`e${n}`] });
      vi.advanceTimersByTime(949);
      expect(seen).toHaveLength(2);
      vi.advanceTimersByTime(1);
      expect(seen.slice(2)).toEqual(['clock@1000', 'fleet@1000']);
      expect(ticker.fleet.getState().configErrors).toEqual(['e19']);
      vi.advanceTimersByTime(1000);
      expect(seen.slice(4)).toEqual(['clock@2000']);
      ticker.stop();
      source.setState({ configErrors: ['after'] });
      vi.advanceTimersByTime(5000);
      expect(ticker.fleet.getState().configErrors).toEqual(['e19']);
    } finally {
      vi.useRealTimers();
    }
  });

  /** Runs `body` on a started ticker over a small fleet, under fake timers; `setFirstState` changes one job's state. */
  const onTicker = (quietMs: number, body: (t: { source: StoreApi<FleetState>; ticker: FrameTicker; shown: () => string; setFirstState: (state: string) => void }) => void) => {
    vi.useFakeTimers();
    const source = createStore<FleetState>()(() => smallFleet());
    const ticker = createFrameTicker(source, 1000, quietMs);
    try {
      vi.setSystemTime(NOW);
      ticker.start();
      const [worker, jobs] = Object.entries(source.getState().jobsByWorker).find(([, list]) => list.length > 0)!;
      const setFirstState = (state: string) =>
        source.setState({ jobsByWorker: { ...source.getState().jobsByWorker, [worker]: [{ ...jobs[0]!, state } as never, ...jobs.slice(1)] } });
      body({ source, ticker, setFirstState, shown: () => ticker.fleet.getState().jobsByWorker[worker]![0]!.state });
    } finally {
      ticker.stop();
      vi.useRealTimers();
    }
  };

  it('publishes a job state change in the same turn once the last publish is a frame gap old, and holds it within the gap', () =>
    onTicker(50, ({ ticker, shown, setFirstState }) => {
      ticker.flush();
      vi.advanceTimersByTime(150);
      setFirstState('waiting');
      expect(shown()).toBe('waiting');
      // Within the gap of that publish: held until 100 ms after it (10 frames a second at most).
      vi.advanceTimersByTime(30);
      setFirstState('idle');
      expect(shown()).toBe('waiting');
      vi.advanceTimersByTime(69);
      expect(shown()).toBe('waiting');
      vi.advanceTimersByTime(1);
      expect(shown()).toBe('idle');
      // Frames costing 50 ms space the publishes 200 ms apart.
      ticker.frameCost(50);
      vi.advanceTimersByTime(150);
      setFirstState('running');
      expect(shown()).toBe('idle');
      vi.advanceTimersByTime(50);
      expect(shown()).toBe('running');
      vi.advanceTimersByTime(250);
      setFirstState('waiting');
      expect(shown()).toBe('waiting');
    }));

  it('brings a held fleet change forward when a job changes state', () =>
    onTicker(500, ({ source, ticker, shown, setFirstState }) => {
      // More than a beat without a publish: a plain change waits for the quiet time (500 ms here).
      source.setState({ configErrors: ['first'] });
      setFirstState('waiting');
      expect(ticker.fleet.getState().configErrors).toEqual(['first']);
      expect(shown()).toBe('waiting');
    }));

  it('has a clock that can be frozen', () => {
    const clock = createClock(1000, NOW);
    clock.start();
    expect(clock.getState()).toBe(NOW);
    clock.stop();
  });
});

describe('job rows', () => {
  it('memoises on its inputs and only watches the clock for the attention filter', () => {
    const rows = createJobRowsCache();
    const jobs = [job('a'), job('b', { state: 'idle', since: NOW - 299_000 })];
    const query = { filter: '', workerFilter: undefined, attentionOnly: false, sort: { key: 'natural' as const, descending: false }, now: NOW };
    const first = rows(jobs, query);
    expect(rows(jobs, { ...query, now: NOW + 5000 })).toBe(first);
    const attention = rows(jobs, { ...query, attentionOnly: true });
    expect(attention.keys).toEqual([]);
    expect(rows(jobs, { ...query, attentionOnly: true, now: NOW + 2000 }).keys).toEqual(['local/b']);
  });

  it('flags failed, finished, lost, unknown and long-idle jobs', () => {
    expect(['running', 'failed', 'exited', 'lost', 'unknown'].map((state) => attentionReason(job('x', { state: state as 'running' }), NOW))).toEqual([
      undefined,
      'failed',
      'finished',
      'lost',
      'unknown',
    ]);
    expect(attentionReason(job('x', { state: 'idle', since: NOW - 60_000 }), NOW)).toBeUndefined();
    expect(attentionReason(job('x', { state: 'idle', since: NOW - 600_000 }), NOW)).toBe('idle');
  });
});

describe('layout', () => {
  it('adds up to one line less than the terminal', () => {
    for (const [columns, rows, workers, wallboard] of [
      [80, 24, 2, false],
      [200, 60, 2, false],
      [120, 40, 20, false],
      [120, 40, 3, true],
      [300, 100, 1, false],
    ] as const) {
      const layout = computeLayout(columns, rows, workers, wallboard);
      const stacked = layout.previewBeside ? 0 : layout.previewLines > 0 ? layout.previewLines + 1 : 0;
      expect(1 + layout.workerRows + 2 + layout.jobRows + 2 + stacked + 2).toBe(rows - 1);
    }
  });
});
