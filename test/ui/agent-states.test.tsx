import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FleetState } from '../../src/state/store.js';
import { fleetFigures, headerSegments } from '../../src/ui/Header.js';
import { jobLine } from '../../src/ui/JobsTable.js';
import { computeJobRows } from '../../src/ui/state/job-rows.js';
import { createFrameTicker, jobStatesChanged } from '../../src/ui/state/throttled-store.js';
import { fleetState, job, NOW, smallFleet, testDashboard, worker } from './fixtures.js';
import { dangerous, linesOf, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

/** A fleet with agents in every reported state, and jobs that failed, got lost or just run. */
function agentFleet(): FleetState {
  return fleetState(
    [worker('local'), worker('gpu-1', { provider: 'ssh', path: 'direct' })],
    [
      job('1-run'),
      job('2-lost', { state: 'lost', reason: 'session gone, no exit code', since: NOW - 50_000 }),
      job('3-ask', { state: 'waiting', reason: 'Allow Bash(npm test)?', since: NOW - 30_000, agent: 'claude' }),
      job('4-busy', { state: 'working', reason: 'agent busy' }),
      job('5-fail', { worker: 'gpu-1', state: 'failed', exitCode: 2, reason: 'exit 2', session: undefined, paneId: undefined }),
      job('6-old', { worker: 'gpu-1', state: 'waiting', reason: 'Which branch?\x1b]0;pwn\x07', since: NOW - 600_000, agent: 'gemini' }),
      job('7-turn', { worker: 'gpu-1', state: 'done', reason: 'finished its turn', since: NOW - 10_000 }),
    ],
  );
}

const ATTENTION = { filter: '', workerFilter: undefined, attentionOnly: true, sort: { key: 'natural' as const, descending: false }, now: NOW };

describe('agent states on the dashboard', () => {
  it('says in the header how many jobs need the user', () => {
    const texts = headerSegments(agentFleet(), NOW, 0).left.map((segment) => `${segment.text}${segment.tone ? ` [${segment.tone}]` : ''}`);
    expect(texts[0]).toBe('2 need you [alert]');
    const one = fleetState([worker('local')], [job('a', { state: 'waiting', reason: 'y/n?' })]);
    expect(headerSegments(one, NOW, 0).left[0]?.text).toBe('1 needs you');
    expect(headerSegments(smallFleet(), NOW, 0).left.map((s) => s.text).some((text) => text.includes('need'))).toBe(false);
  });

  it("counts a fleet state's jobs for the header once: a later beat reuses the counts, a new state counts again", () => {
    const state = agentFleet();
    const counted = fleetFigures(state);
    expect(counted.waiting).toBe(2);
    expect(fleetFigures(state)).toBe(counted);
    const later = headerSegments(state, NOW + 60_000, 0);
    expect(fleetFigures(state)).toBe(counted);
    expect(later.left[0]?.text).toBe('2 need you');
    const answered = { ...state, jobsByWorker: { ...state.jobsByWorker, local: state.jobsByWorker['local']!.filter((j) => j.state !== 'waiting') } };
    expect(fleetFigures(answered)).not.toBe(counted);
    expect(headerSegments(answered, NOW, 0).left[0]?.text).toBe('1 needs you');
  });

  it('lists waiting jobs first in the attention view, longest-waiting first, then failed and lost', () => {
    const rows = computeJobRows(Object.values(agentFleet().jobsByWorker).flat(), ATTENTION);
    expect(rows.keys).toEqual(['gpu-1/6-old', 'local/3-ask', 'local/2-lost', 'gpu-1/5-fail', 'gpu-1/7-turn']);
    // A sort the user chose still wins.
    const byId = computeJobRows(Object.values(agentFleet().jobsByWorker).flat(), { ...ATTENTION, sort: { key: 'id', descending: false } });
    expect(byId.keys[0]).toBe('local/2-lost');
  });

  it('shows a waiting job with its glyph and what it asks in its row, inert', () => {
    const line = jobLine(job('6-old', { state: 'waiting', reason: 'Which branch?\x1b]0;pwn\x07' }), 120, NOW, false);
    expect(line).toMatch(/^ !6-old +local +review +\? waiting +2m +5s Which branch\?\ufffd *$/);
    expect(jobLine(job('4', { state: 'working' }), 120, NOW, false)).toMatch(/ ● working .* gemini --prompt-interactive/);
    expect(jobLine(job('7', { state: 'done', reason: 'finished its turn' }), 120, NOW, false)).toMatch(/^ !7 .* ✓ done /);
  });

  it('draws the attention view with reasons, and the prompt above the preview of a waiting job', async () => {
    const dashboard = testDashboard({ state: agentFleet(), feeds: { preview: { jobKey: 'gpu-1/6-old', lines: ['$ agent', 'Which branch?', '> '], error: undefined, at: NOW } } });
    mounted = await renderDashboard(dashboard, 120, 30);
    expect(linesOf(mounted.screen())[0]).toMatch(/^mission-control {2}2 need you {2}workers/);
    await mounted.press('a');
    const lines = linesOf(mounted.screen());
    const rows = lines.filter((line) => /^[ *]!/.test(line));
    expect(rows.map((line) => line.slice(2, 12).trim())).toEqual(['6-old', '3-ask', '2-lost', '5-fail', '7-turn']);
    expect(rows[1]).toMatch(/\? waiting .*Allow Bash\(npm test\)\?$/);
    expect(lines.some((line) => line.includes('? waiting: Which branch?'))).toBe(true);
    expect(dangerous(mounted.frame())).toEqual([]);
  });
});

/**
 * A frame ticker (2 s beat) over the agents' fleet, on fake timers started at NOW and advanced past the first beat:
 * `published` holds the times (ms after NOW) it published the fleet, `flip` changes one job's state in `source`.
 */
function withTicker(
  test: (ticker: ReturnType<typeof createFrameTicker>, published: number[], flip: (id: string, state: 'waiting' | 'working') => void, source: StoreApi<FleetState>) => void,
): void {
  vi.useFakeTimers();
  try {
    vi.setSystemTime(NOW);
    const source = createStore<FleetState>()(() => agentFleet());
    const ticker = createFrameTicker(source, 2000, 50);
    ticker.start();
    const published: number[] = [];
    ticker.fleet.subscribe(() => published.push(Date.now() - NOW));
    vi.advanceTimersByTime(2000);
    const flip = (id: string, state: 'waiting' | 'working') => {
      const local = (source.getState().jobsByWorker['local'] ?? []).map((j) => (j.id === id ? { ...j, state } : j));
      source.setState({ jobsByWorker: { ...source.getState().jobsByWorker, local } });
    };
    test(ticker, published, flip, source);
    ticker.stop();
  } finally {
    vi.useRealTimers();
  }
}

describe('the frame ticker and job state changes', () => {
  it('tells a job state change from a scan that changed nothing a person sees', () => {
    const before = agentFleet();
    const same = { ...before, jobsByWorker: { ...before.jobsByWorker, local: [...(before.jobsByWorker['local'] ?? [])] } };
    expect(jobStatesChanged(before, same)).toBe(false);
    const local = (before.jobsByWorker['local'] ?? []).map((j) => (j.id === '4-busy' ? { ...j, state: 'waiting' as const } : j));
    expect(jobStatesChanged(before, { ...before, jobsByWorker: { ...before.jobsByWorker, local } })).toBe(true);
    expect(jobStatesChanged(before, { ...before, jobsByWorker: { ...before.jobsByWorker, local: local.slice(1) } })).toBe(true);
  });

  it('publishes a job state change at once, not on the next beat, and still at most 10 frames a second', () => {
    withTicker((ticker, published, flip, source) => {
      vi.advanceTimersByTime(300);
      flip('4-busy', 'waiting');
      vi.advanceTimersByTime(0);
      expect(published).toEqual([2300]);
      expect(ticker.fleet.getState().jobsByWorker['local']?.find((j) => j.id === '4-busy')?.state).toBe('waiting');
      // Twenty flips in a burst: the next frame waits out the 100 ms gap, and carries the last state.
      for (let n = 0; n < 20; n += 1) flip('4-busy', n % 2 === 0 ? 'working' : 'waiting');
      vi.advanceTimersByTime(99);
      expect(published).toEqual([2300]);
      vi.advanceTimersByTime(1);
      expect(published).toEqual([2300, 2400]);
      // A scan that changed no state waits for the beat, as before.
      source.setState({ configErrors: ['x'] });
      vi.advanceTimersByTime(1000);
      expect(published).toEqual([2300, 2400]);
      vi.advanceTimersByTime(600);
      expect(published).toEqual([2300, 2400, 4000]);
    });
  });

  it('spaces job state changes by four times the cost of the last frame, and never more than a beat', () => {
    withTicker((ticker, published, flip) => {
      // Frames that take 60 ms: a change right after a publish (the beat at 2000) waits 240 ms.
      ticker.frameCost(60);
      flip('4-busy', 'waiting');
      vi.advanceTimersByTime(239);
      expect(published).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(published).toEqual([2240]);
      // Frames slower than half a beat: the change waits for the next beat, no longer.
      ticker.frameCost(900);
      flip('4-busy', 'working');
      vi.advanceTimersByTime(1759);
      expect(published).toEqual([2240]);
      vi.advanceTimersByTime(1);
      expect(published).toEqual([2240, 4000]);
      // Cheap frames again: back to the 100 ms gap.
      ticker.frameCost(5);
      flip('4-busy', 'waiting');
      vi.advanceTimersByTime(99);
      expect(published).toEqual([2240, 4000]);
      vi.advanceTimersByTime(1);
      expect(published).toEqual([2240, 4000, 4100]);
    });
  });
});
