import { afterEach, describe, expect, it } from 'vitest';
import { budgetFigures, BudgetExceededError } from '../../src/app/budget.js';
import type { WorkerWakeOptions } from '../../src/app/commands.js';
import { fleetState, recordingCommands, testDashboard, worker } from './fixtures.js';
import { dialogLines, KEYS, linesOf, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const dialog = dialogLines;

describe('the monthly budget in the dashboard', () => {
  it('a start the budget refuses asks again with the figures; yes starts it past the budget, once', async () => {
    const figures = budgetFigures({ worker: 'gce-2', action: 'start', monthly: 10, monthSoFar: 9.95, runningPerHour: 0.161, idleWindowMs: 30 * 60_000 });
    const starts: (WorkerWakeOptions | undefined)[] = [];
    const commands = {
      ...recordingCommands(),
      startWorker: async (_worker: string, _progress?: unknown, options?: WorkerWakeOptions) => {
        starts.push(options);
        if (!options?.overBudget) throw new BudgetExceededError(figures);
      },
    };
    const state = fleetState([worker('gce-2', { provider: 'gce-linux', machine: { state: 'stopped', detail: 'TERMINATED' } })], []);
    const dashboard = testDashboard({ state, access: { readOnly: false, commands } });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(KEYS.tab, 'S');
    expect(dialog(mounted.screen())[0]).toBe('Start worker gce-2?');
    await mounted.press('y');
    await new Promise((resolve) => setTimeout(resolve, 0));
    await mounted.press();
    expect(starts).toEqual([undefined]);
    expect(dialog(mounted.screen())).toEqual([
      'Over the monthly budget: start worker gce-2 anyway?',
      '$9.95 so far this month + $0.08 for one idle window (30 min at $0.161/h) = $10.03, monthly budget $10.00',
      'Goes ahead this once; raise budget.monthly in the config to change the limit.',
      'y start gce-2 past the budget   n / esc cancel',
    ]);
    await mounted.press('y');
    expect(starts).toEqual([undefined, { overBudget: true }]);
  });
});
