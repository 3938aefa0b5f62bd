import { afterEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  // Chalk decides at import whether to colour; the NO_COLOR test needs colours to be possible at all.
  process.env['FORCE_COLOR'] = '1';
});

import { cellWidth } from '../../src/text/format.js';
import { computeLayout, tooSmallMessage } from '../../src/ui/layout.js';
import { bigFleet, testDashboard } from './fixtures.js';
import { linesOf, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

describe('layout', () => {
  it('fills an 80x24 terminal with one line to spare, every line within 80 cells', async () => {
    mounted = await renderDashboard(testDashboard(), 80, 24);
    const lines = linesOf(mounted.screen());
    expect(lines).toHaveLength(23);
    for (const line of lines) expect(cellWidth(line)).toBeLessThanOrEqual(80);
    expect(lines[0]).toBe('mission-control  workers 2 up  jobs 5: 1 running · 2 idle · …  refreshed 1s ago');
    expect(lines[1]).toMatch(/^─ Workers 2 ─+$/);
    expect(lines[3]).toBe('local        local    up             local       4ms  0.50    2/4');
    expect(lines[4]).toBe('gpu-1        ssh      up             direct     41ms  0.50    1/4');
    expect(lines[5]).toMatch(/^─ Jobs 5 ─+$/);
    expect(lines[6]).toBe('  JOB            WORKER   KIND     STATE             FOR OUTPUT COMMAND');
    expect(lines[7]).toBe('  12-review      local    review   running            2m     5s gemini --prompt…');
    expect(lines[9]).toBe(' !14-ready       local    ready    failed (exit 3)   10m     5s gemini --prompt…');
    expect(lines[16]).toMatch(/^─ Preview ─ local\/12-review ─+$/);
    expect(lines[22]).toBe('enter attach  l log  space mark  s stop  x remove  i reply  ? help  q quit');
  });

  it('puts the preview beside the jobs table at 200x60', async () => {
    mounted = await renderDashboard(testDashboard({ feeds: { preview: { jobKey: 'local/12-review', lines: ['$ gemini', 'PREVIEW-LINE'], error: undefined, at: 0 } } }), 200, 60);
    const lines = linesOf(mounted.screen());
    expect(lines).toHaveLength(59);
    for (const line of lines) expect(cellWidth(line)).toBeLessThanOrEqual(200);
    const titles = lines.find((line) => line.startsWith('─ Jobs 5'));
    expect(titles).toMatch(/^─ Jobs 5 ─+ ─ Preview ─ local\/12-review ─/);
    expect(lines.some((line) => /12-review .* PREVIEW-LINE|PREVIEW-LINE/.test(line))).toBe(true);
    expect(lines[58]).toContain('attention');
  });

  it('says what size it needs below 80x24, and draws again when the terminal grows', async () => {
    mounted = await renderDashboard(testDashboard(), 60, 20);
    expect(linesOf(mounted.screen())).toEqual(['mission-control needs at least 80x24; this terminal is 60x20', 'q quit']);
    await mounted.resize(80, 24);
    expect(mounted.screen()).toContain('─ Jobs 5');
    await mounted.resize(79, 30);
    expect(mounted.screen()).toContain(tooSmallMessage(79, 30));
  });

  it('renders only the rows that fit, whatever the fleet size', async () => {
    const dashboard = testDashboard({ state: bigFleet(5000) });
    mounted = await renderDashboard(dashboard, 120, 40);
    const rows = linesOf(mounted.screen()).filter((line) => /^\s[ !]\d{4}-review/.test(line));
    expect(rows).toHaveLength(computeLayout(120, 40, 20, false).jobRows);
    await mounted.press('G');
    expect(mounted.screen()).toContain('5999-review');
    expect(mounted.screen()).toMatch(/Jobs 5000 ─ rows 4\d{3}-5000/);
  });

  it('never draws colour under NO_COLOR, yet still marks the selection', async () => {
    mounted = await renderDashboard(testDashboard({ color: false }), 100, 30);
    // Colour SGRs are 30-37/90-97 (foreground); inverse (7) and bold (1) stay.
    expect(mounted.frame()).not.toMatch(/\x1b\[(3[0-7]|9[0-7])m/);
    expect(mounted.frame()).toContain('\x1b[7m');
  });
});

describe('cloud workers', () => {
  it('show what they cost, and VMs that are not in the config, marked as such', async () => {
    const { fleetState, worker, job } = await import('./fixtures.js');
    const cost = { currency: 'USD' as const, machinePerHour: 0.38, diskPerHour: 0.03, externalIpPerHour: 0, runningPerHour: 0.41, stoppedPerHour: 0.03, source: 'table' as const };
    const state = fleetState(
      [worker('local'), worker('gce-1', { provider: 'gce-cos', path: 'iap', cost })],
      [job('1-review', { worker: 'gce-1' })],
      { unmanagedVms: [{ provider: 'gce', project: 'acme', zone: 'us-central1-a', instance: 'mc-old', machine: { state: 'stopped' }, machineType: 'e2-standard-4' }] },
    );
    mounted = await renderDashboard(testDashboard({ state }), 120, 30);
    const lines = linesOf(mounted.screen());
    expect(lines[0]).toContain('jobs 1: 1 running  $0.41/h  1 VM not in config');
    expect(lines[1]).toMatch(/^─ Workers 2 \+ 1 not in config ─/);
    expect(lines[2]).toContain('JOBS      COST');
    expect(lines[4]).toMatch(/^gce-1 .* 1\/4 {3}\$0\.41\/h/);
    expect(lines[5]).toMatch(/^mc-old +gce +stopped +not in config: acme\/us-central1-a$/);
  });
});
