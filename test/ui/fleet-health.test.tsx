import { afterEach, describe, expect, it } from 'vitest';
import { estimateHourlyCost } from '../../src/providers/gce/pricing.js';
import { headerSegments } from '../../src/ui/Header.js';
import { fleetState, job, NOW, testDashboard, worker } from './fixtures.js';
import { dangerous, KEYS, linesOf, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const texts = (segments: readonly { text: string }[]) => segments.map((segment) => segment.text);
const cost = estimateHourlyCost({ machineType: 'e2-standard-4', bootDisk: { sizeGb: 50, type: 'pd-balanced' }, externalIp: false });

describe('the header', () => {
  it('gives the freshness of the workers that answer, and the ones that are down apart', () => {
    const state = fleetState(
      [worker('a', { lastRefresh: NOW - 1000 }), worker('b', { lastRefresh: NOW - 2000 }), worker('dead', { connection: 'down', lastRefresh: NOW - 600_000 })],
      [],
    );
    const { left, right } = headerSegments(state, NOW, 0);
    expect(texts(right)).toEqual(['refreshed 2s ago', '1 down, seen 10m ago']);
    expect(right[1]?.tone).toBe('alert');
    expect(texts(left)[0]).toBe('workers 2 up · 1 down');
  });

  it('says when every worker is down, and when one never answered', () => {
    const state = fleetState([worker('dead', { connection: 'down', lastRefresh: undefined })], []);
    expect(texts(headerSegments(state, NOW, 0).right)).toEqual(['1 down']);
    const fresh = fleetState([worker('new', { connection: 'connecting', lastRefresh: undefined })], []);
    expect(texts(headerSegments(fresh, NOW, 0).right)).toEqual(['not refreshed yet']);
  });

  it('counts the workers that answered while the others are still connecting', () => {
    const state = fleetState(
      [worker('a', { lastRefresh: NOW - 1000 }), worker('b', { connection: 'connecting', lastRefresh: undefined }), worker('c', { connection: 'connecting', lastRefresh: undefined })],
      [],
    );
    expect(texts(headerSegments(state, NOW, 0).left)[0]).toBe('workers 1 up · connecting (1 of 3)');
  });

  it('says "cost unknown" rather than a made-up figure', () => {
    const unknown = fleetState([worker('vm', { provider: 'gce-cos', cost, machine: { state: 'unknown' } })], []);
    expect(texts(headerSegments(unknown, NOW, 0).left)).toContain('cost unknown');
    const some = fleetState(
      [worker('vm', { provider: 'gce-cos', cost, machine: { state: 'running' } }), worker('vm2', { provider: 'gce-cos', cost, machine: { state: 'unknown' } })],
      [],
    );
    expect(texts(headerSegments(some, NOW, 0).left).find((text) => text.startsWith('$'))).toMatch(/^\$[\d.]+\/h \(\+1 cost unknown\)$/);
  });
});

describe('the workers pane', () => {
  const problems = ['job directory "x\x1b]0;T\x07" is not a safe id: skipped', 'meta.json of 7-review is larger than 64 KiB: skipped'];

  it('marks a worker whose scan had problems, shows the first one on the selected worker, all inert', async () => {
    const state = fleetState([worker('local'), worker('box', { problems }), worker('dead', { connection: 'down', lastError: 'ssh: refused', problems })], [job('1-review')]);
    mounted = await renderDashboard(testDashboard({ state }), 120, 30);
    let lines = linesOf(mounted.screen());
    expect(lines.find((line) => line.startsWith('box'))).toMatch(/ !2 problems \(select to see\)$/);
    expect(lines.find((line) => line.startsWith('dead'))).toMatch(/ !2 ssh: refused$/);
    expect(lines.find((line) => line.startsWith('local'))).toMatch(/1\/4$/);
    await mounted.press(KEYS.tab, 'j');
    lines = linesOf(mounted.screen());
    expect(lines.find((line) => line.startsWith('box'))).toMatch(/ !2 job directory "x\ufffd" is not a sa…$/);
    expect(dangerous(mounted.frame())).toEqual([]);
  });

  it('shows an unknown cost as "-", never "$?/h"', async () => {
    const state = fleetState([worker('vm', { provider: 'gce-cos', cost, machine: { state: 'unknown' } })], []);
    mounted = await renderDashboard(testDashboard({ state }), 120, 30);
    expect(mounted.screen()).not.toContain('$?');
    expect(linesOf(mounted.screen()).find((line) => line.startsWith('vm '))).toMatch(/0\/4 +-$/);
  });
});
