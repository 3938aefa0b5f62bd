import { describe, expect, it } from 'vitest';
import { statusJson, statusTable } from '../../src/cli/status-report.js';
import { estimateHourlyCost } from '../../src/providers/gce/pricing.js';
import { createFleetStore } from '../../src/state/store.js';
import { headerSegments } from '../../src/ui/Header.js';

const NOW = 1_800_000_000_000;
const cost = estimateHourlyCost({ machineType: 'e2-standard-4', bootDisk: { sizeGb: 200, type: 'pd-balanced' }, externalIp: false });

function fleet() {
  const store = createFleetStore();
  store.getState().setWorkers(
    [
      { name: 'vm-a', provider: 'gce-cos', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc', cost },
      { name: 'vm-b', provider: 'gce-linux', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc', cost },
    ],
    '/cfg.yaml',
  );
  return store;
}

const summary = {
  currency: 'USD' as const,
  fleet: { today: 1.25, month: 40.5, unpriced: 0 },
  workers: { 'vm-a': { today: 1.25, month: 30.5, unpriced: 0 }, 'vm-b': { today: 0, month: 10, unpriced: 0 } },
};

describe('cost so far in status, status --json and the header', () => {
  it('status --json: the fleet and each worker, today and this month; null before the ledger was read', () => {
    const store = fleet();
    const before = statusJson(store.getState(), NOW);
    expect(before.summary).toMatchObject({ costSoFar: null, costError: null });
    expect(before.workers.map((w) => w.costSoFar)).toEqual([null, null]);
    store.getState().setCostSoFar(summary);
    const doc = statusJson(store.getState(), NOW);
    expect(doc.schemaVersion).toBe(2);
    expect(doc.summary.costSoFar).toEqual({ currency: 'USD', today: 1.25, month: 40.5, unpricedIntervals: 0 });
    expect(doc.workers.map((w) => [w.name, w.costSoFar])).toEqual([
      ['vm-a', { currency: 'USD', today: 1.25, month: 30.5, unpricedIntervals: 0 }],
      ['vm-b', { currency: 'USD', today: 0, month: 10, unpricedIntervals: 0 }],
    ]);
  });

  it('status: a line for the fleet, one per worker; the ledger error, naming its file, when it cannot be read', () => {
    const store = fleet();
    store.getState().setCostSoFar(summary);
    const table = statusTable(store.getState(), NOW);
    expect(table).toContain('Cost so far (local time): $1.25 today, $40.50 this month\n  vm-a           $1.25 today, $30.50 this month\n  vm-b           $0.00 today, $10.00 this month');
    store.getState().setCostSoFar(undefined, 'the cost ledger /s/cost-ledger.json cannot be read (not JSON); it was left as it is');
    // The last sums stay; the error is said too.
    expect(statusTable(store.getState(), NOW)).toContain('Cost so far unknown: the cost ledger /s/cost-ledger.json cannot be read');
    expect(statusJson(store.getState(), NOW).summary.costError).toMatch(/\/s\/cost-ledger\.json/);
  });

  it('the header: spent today and this month beside the hourly estimate', () => {
    const store = fleet();
    expect(headerSegments(store.getState(), NOW, 0).left.map((s) => s.text).join(' | ')).not.toContain('today');
    store.getState().setCostSoFar(summary);
    expect(headerSegments(store.getState(), NOW, 0).left.map((s) => s.text)).toContain('$1.25 today · $40.50 month');
    store.getState().setCostSoFar(undefined, 'unreadable');
    expect(headerSegments(store.getState(), NOW, 0).left).toContainEqual({ text: 'cost ledger unreadable (status says why)', tone: 'alert' });
  });
});
