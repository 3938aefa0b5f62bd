import { describe, expect, it } from 'vitest';
import { createFleetCommands } from '../../src/app/fleet-commands.js';
import type { ObserveCommands } from '../../src/app/commands.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { createFleetStore } from '../../src/state/store.js';

/**
 * The command layer hands a confirmed pass over the monthly budget to exactly one operation: it is given before the
 * operation and withdrawn after it, used or not (a start of a VM found running does not use it, and must not leave
 * it for the next wake-up). The fleet here records the calls in order.
 */
describe('a confirmed pass over the monthly budget lasts one operation', () => {
  const recording = (fail: boolean) => {
    const calls: string[] = [];
    const provider = {
      start: async () => {
        calls.push('start');
        if (fail) throw new Error('start failed');
      },
    } as unknown as WorkerProvider;
    const fleet = {
      store: createFleetStore(),
      provider: (name: string) => (name === 'vm-1' ? provider : undefined),
      worker: () => undefined,
      allowOverBudget: (name: string) => {
        calls.push(`allow ${name}`);
        return () => void calls.push(`withdraw ${name}`);
      },
    };
    return { calls, commands: createFleetCommands(fleet, {} as ObserveCommands) };
  };

  it('given for the confirmed call only, withdrawn after it whether it succeeded or failed', async () => {
    const ok = recording(false);
    await ok.commands.startWorker('vm-1', undefined, { overBudget: true });
    await ok.commands.startWorker('vm-1');
    expect(ok.calls).toEqual(['allow vm-1', 'start', 'withdraw vm-1', 'start']);

    const failing = recording(true);
    await expect(failing.commands.startWorker('vm-1', undefined, { overBudget: true })).rejects.toThrow('start failed');
    expect(failing.calls).toEqual(['allow vm-1', 'start', 'withdraw vm-1']);
  });
});
