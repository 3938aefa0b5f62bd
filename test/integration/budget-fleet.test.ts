import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/app/budget.js';
import type { LaunchRequest } from '../../src/app/commands.js';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { createFleetCommands } from '../../src/app/fleet-commands.js';
import { CostLedger } from '../../src/app/ledger-file.js';
import { createObserveCommands } from '../../src/app/observe-commands.js';
import { parseConfig } from '../../src/config/load.js';
import { COMPUTE_EMULATOR_ENV } from '../../src/providers/gce/compute-api.js';
import type { ProgressReporter } from '../../src/providers/types.js';
import { startComputeApi, stockoutOperationError, type ComputeApiFake } from '../harness/compute-api.js';
import { PROJECT, ZONE } from '../harness/compute/gce-worker.js';
import { apiTimestamp } from '../harness/compute/timestamps.js';
import { waitFor } from '../support/ssh-fleet.js';
import { middayTimeZone } from '../support/time-zone.js';
import { testDashboard } from '../ui/fixtures.js';
import { dialogLines, KEYS, renderDashboard, type Rendered } from '../ui/render.js';

process.env.TZ = middayTimeZone();

/** The budget as the dashboard's command layer meets it: the fleet's own providers, the local Compute server. */
describe('the monthly budget in the fleet (composition root, command layer, local Compute server)', () => {
  let fake: ComputeApiFake;
  let dir: string;
  let fleet: Fleet | undefined;
  let mounted: Rendered | undefined;

  // One Compute server for the file: the provider's API client, made once per process, keeps its address.
  beforeAll(async () => {
    fake = await startComputeApi({ delays: { staging: 50, stopping: 50 } });
    process.env[COMPUTE_EMULATOR_ENV] = fake.url;
  });
  afterAll(async () => {
    await fake.close();
    delete process.env[COMPUTE_EMULATOR_ENV];
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-budget-fleet-'));
  });
  /** A VM (its own per test), stopped after two hours of running this month, and a budget those hours already reached. */
  async function stoppedVmPastBudget(name: string) {
    const vm = fake.world.addInstance(PROJECT, ZONE, { name, machineType: `zones/${ZONE}/machineTypes/e2-standard-4` }, 'TERMINATED');
    vm.lastStartTimestamp = apiTimestamp(Date.now() - 3 * 3_600_000);
    vm.lastStopTimestamp = apiTimestamp(Date.now() - 3_600_000);
    const text = ['budget: { monthly: 0.2 }', 'workers:', `  - { name: ${name}, provider: gce-linux, project: ${PROJECT}, zone: ${ZONE}, iap: { enabled: false } }`].join('\n');
    const parsed = parseConfig(text, join(dir, 'config.yaml'));
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
    const made = createFleet(parsed.config, { ledger: new CostLedger(join(dir, 'cost-ledger.json')) });
    fleet = made;
    return Object.assign(createFleetCommands(made, createObserveCommands(made)), { vm });
  }

  afterEach(async () => {
    mounted?.unmount();
    mounted = undefined;
    await fleet?.close();
    fleet = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('startWorker is refused past the budget, goes ahead once when confirmed, and the store gets the cost so far', async () => {
    const commands = await stoppedVmPastBudget('vm-1');

    await fleet!.refreshAll();
    const spent = fleet!.store.getState().costSoFar;
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

  it('a launch that would wake the stopped VM is refused with the figures; confirmed, it wakes it once', async () => {
    const commands = await stoppedVmPastBudget('vm-2');
    await fleet!.refreshAll();
    const launch = { kind: 'run', params: {}, argv: ['true'], worker: 'vm-2' };

    const refusal = await commands.launch(launch).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(BudgetExceededError);
    expect((refusal as BudgetExceededError).figures).toMatchObject({ worker: 'vm-2', monthly: 0.2 });
    expect(fake.requestsTo('POST', /\/instances\/vm-2\/start$/)).toEqual([]);

    fake.world.failNextOperation('start', stockoutOperationError(ZONE, 'e2-standard-4'));
    await expect(commands.launch({ ...launch, overBudget: true })).rejects.not.toThrow(BudgetExceededError);
    expect(fake.requestsTo('POST', /\/instances\/vm-2\/start$/)).toHaveLength(1);
    await expect(commands.launch(launch)).rejects.toThrow(BudgetExceededError);
    expect(fake.requestsTo('POST', /\/instances\/vm-2\/start$/)).toHaveLength(1);
  });

  it('the dashboard asks again about a launch the budget refused, with the figures; yes launches once past it', async () => {
    const commands = await stoppedVmPastBudget('vm-3');
    await fleet!.refreshAll();
    const launches: LaunchRequest[] = [];
    const recorded = { ...commands, launch: (request: LaunchRequest, progress?: ProgressReporter) => (launches.push(request), commands.launch(request, progress)) };
    const dashboard = testDashboard({ state: fleet!.store.getState(), access: { readOnly: false, commands: recorded } });
    mounted = await renderDashboard(dashboard, 140, 30);
    fake.world.failNextOperation('start', stockoutOperationError(ZONE, 'e2-standard-4'));

    await mounted.press(':', ...'launch review pr=12 @vm-3', KEYS.enter);
    await waitFor('the over-budget dialog', () => dialogLines(mounted!.screen()).length > 0, 30_000);
    const [title, figures, , keys] = dialogLines(mounted.screen());
    expect(title).toBe('Over the monthly budget: wake worker vm-3 to launch review anyway?');
    expect(figures).toMatch(/^\$0\.\d\d so far this month \+ \$0\.\d\d for one idle window \(30 min at \$0\.\d+\/h\) = \$0\.\d\d, monthly budget \$0\.20$/);
    expect(keys).toBe('y launch review on vm-3 past the budget   n / esc cancel');
    expect(fake.requestsTo('POST', /\/instances\/vm-3\/start$/)).toEqual([]);

    await mounted.press('y');
    await waitFor('the launch past the budget to end', () => fake.requestsTo('POST', /\/instances\/vm-3\/start$/).length > 0 && /launch review pr=12 failed/.test(mounted!.screen()), 30_000);
    expect(launches).toEqual([
      { kind: 'review', params: { pr: '12' }, worker: 'vm-3' },
      { kind: 'review', params: { pr: '12' }, worker: 'vm-3', overBudget: true },
    ]);
    expect(fake.requestsTo('POST', /\/instances\/vm-3\/start$/)).toHaveLength(1);
    expect(dialogLines(mounted.screen())).toEqual([]);
  });

  it('a VM stopped since the last look is checked before it is woken (the status is asked of the API, not a cache)', async () => {
    const commands = await stoppedVmPastBudget('vm-4');
    Object.assign(commands.vm, { status: 'RUNNING', lastStartTimestamp: apiTimestamp(Date.now() - 3 * 3_600_000), lastStopTimestamp: undefined });
    await fleet!.refreshAll();
    expect(fleet!.store.getState().workers['vm-4']?.machine?.state).toBe('running');
    // Stopped elsewhere (another dashboard, the idle policy) a moment later.
    Object.assign(commands.vm, { status: 'TERMINATED', lastStopTimestamp: apiTimestamp(Date.now()) });

    fake.world.failNextOperation('start', stockoutOperationError(ZONE, 'e2-standard-4'));
    await expect(commands.startWorker('vm-4')).rejects.toThrow(BudgetExceededError);
    expect(fake.requestsTo('POST', /\/instances\/vm-4\/start$/)).toEqual([]);
  });
});
