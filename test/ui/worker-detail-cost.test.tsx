import { afterEach, describe, expect, it } from 'vitest';
import { workerDetailLines } from '../../src/cli/worker-detail.js';
import { estimateHourlyCost } from '../../src/providers/gce/pricing.js';
import { usageRates } from '../../src/state/ledger-rates.js';
import { fleetState, testDashboard, worker } from './fixtures.js';
import { KEYS, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const machine = { machineType: 'e2-standard-4', bootDisk: { sizeGb: 200, type: 'pd-balanced' as const }, externalIp: false };
const vm = worker('vm-1', { provider: 'gce-linux', machine: { state: 'suspended', detail: 'SUSPENDED' }, cost: estimateHourlyCost(machine), rates: usageRates(machine) });
const spent = { today: 0.42, month: 12.5, unpriced: 0 };

describe('the cost of one worker in its detail (status WORKER and the dashboard)', () => {
  it('shows its prices per hour in each billing state, and what it cost today and this month', () => {
    const lines = workerDetailLines({ worker: vm, jobs: [], costSoFar: spent, now: Date.now(), width: 140 });
    expect(lines.filter((line) => /^(Cost|Spent) /.test(line))).toEqual([
      'Cost       $0.027/h now (estimate); running $0.16/h, suspended $0.028/h, stopped $0.027/h',
      'Spent      $0.42 today, $12.50 this month (local time, from the cost ledger)',
    ]);
  });

  it('says when the ledger has nothing for it yet, or why it cannot be read', () => {
    const spentLine = (extra: { costError?: string }) =>
      workerDetailLines({ worker: vm, jobs: [], ...extra, now: Date.now(), width: 140 }).find((line) => line.startsWith('Spent'));
    expect(spentLine({})).toBe('Spent      nothing recorded yet in the cost ledger');
    expect(spentLine({ costError: 'cost ledger /s/cost-ledger.json is not JSON' })).toBe('Spent      unknown: cost ledger /s/cost-ledger.json is not JSON');
  });

  it('the dashboard shows the same for the selected worker, from the store', async () => {
    const costSoFar = { currency: 'USD' as const, fleet: spent, workers: { 'vm-1': spent } };
    const dashboard = testDashboard({ state: fleetState([worker('local'), vm], [], { costSoFar }) });
    mounted = await renderDashboard(dashboard, 140, 40);
    await mounted.press(KEYS.tab, 'j');
    expect(mounted.screen()).toContain('Spent      $0.42 today, $12.50 this month (local time, from the cost ledger)');
    expect(mounted.screen()).toContain('running $0.16/h, suspended $0.028/h, stopped $0.027/h');
  });
});
