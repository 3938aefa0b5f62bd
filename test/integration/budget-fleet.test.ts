import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/app/budget.js';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { createFleetCommands } from '../../src/app/fleet-commands.js';
import { CostLedger } from '../../src/app/ledger-file.js';
import { createObserveCommands } from '../../src/app/observe-commands.js';
import { parseConfig } from '../../src/config/load.js';
import { COMPUTE_EMULATOR_ENV } from '../../src/providers/gce/compute-api.js';
import { startComputeApi, stockoutOperationError, type ComputeApiFake } from '../harness/compute-api.js';
import { PROJECT, ZONE } from '../harness/compute/gce-worker.js';
import { apiTimestamp } from '../harness/compute/timestamps.js';
import { middayTimeZone } from '../support/time-zone.js';

process.env.TZ = middayTimeZone();

/** The budget as the dashboard's command layer meets it: the fleet's own providers, the local Compute server. */
describe('the monthly budget in the fleet (composition root, command layer, local Compute server)', () => {
  let fake: ComputeApiFake;
  let dir: string;
  let fleet: Fleet | undefined;

  beforeEach(async () => {
    fake = await startComputeApi({ delays: { staging: 50, stopping: 50 } });
    dir = await mkdtemp(join(tmpdir(), 'mc-budget-fleet-'));
    process.env[COMPUTE_EMULATOR_ENV] = fake.url;
  });
  afterEach(async () => {
    await fleet?.close();
    await fake.close();
    delete process.env[COMPUTE_EMULATOR_ENV];
    await rm(dir, { recursive: true, force: true });
  });

  it('startWorker is refused past the budget, goes ahead once when confirmed, and the store gets the cost so far', async () => {
    const vm = fake.world.addInstance(PROJECT, ZONE, { name: 'vm-1', machineType: `zones/${ZONE}/machineTypes/e2-standard-4` }, 'TERMINATED');
    vm.lastStartTimestamp = apiTimestamp(Date.now() - 3 * 3_600_000);
    vm.lastStopTimestamp = apiTimestamp(Date.now() - 3_600_000);
    const text = ['budget: { monthly: 0.2 }', 'workers:', `  - { name: vm-1, provider: gce-linux, project: ${PROJECT}, zone: ${ZONE}, iap: { enabled: false } }`].join('\n');
    const parsed = parseConfig(text, join(dir, 'config.yaml'));
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
    fleet = createFleet(parsed.config, { ledger: new CostLedger(join(dir, 'cost-ledger.json')) });
    const commands = createFleetCommands(fleet, createObserveCommands(fleet));

    await fleet.refreshAll();
    const spent = fleet.store.getState().costSoFar;
    expect(spent?.fleet.month).toBeGreaterThan(0.3);
    expect(spent?.workers['vm-1']).toEqual(spent?.fleet);

    await expect(commands.startWorker('vm-1')).rejects.toThrow(BudgetExceededError);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/start$/)).toEqual([]);
    fake.world.failNextOperation('start', stockoutOperationError(ZONE, 'e2-standard-4'));
    await expect(commands.startWorker('vm-1', undefined, { overBudget: true })).rejects.not.toThrow(BudgetExceededError);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/start$/)).toHaveLength(1);
    await expect(commands.startWorker('vm-1')).rejects.toThrow(BudgetExceededError);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/start$/)).toHaveLength(1);
  });
});
