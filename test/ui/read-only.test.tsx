import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetCommands } from '../../src/app/commands.js';
import { createFleet } from '../../src/app/fleet.js';
import { createObserveCommands } from '../../src/app/observe-commands.js';
import { defaultFleet, DEFAULT_SETTINGS } from '../../src/config/schema.js';
import { createDashboard, MUTATING_COMMANDS, type ReadOnlyCommands } from '../../src/ui/dashboard.js';
import { helpLines } from '../../src/ui/keys/help-lines.js';
import { BINDINGS } from '../../src/ui/keys/bindings.js';
import { callsOf, recordingCommands, recordingHost, recordingObserve, smallFleet, testDashboard, fleetSource } from './fixtures.js';
import { KEYS, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const readOnly = () => testDashboard({ access: { readOnly: true, commands: recordingObserve() } });

describe('read-only dashboard', () => {
  it('has no mutating key in its footer or its help', async () => {
    const dashboard = readOnly();
    mounted = await renderDashboard(dashboard, 200, 60);
    const footer = mounted.screen().split('\n').at(-1) ?? '';
    expect(footer.trimEnd()).toBe('enter attach  l log  space mark  d diff  / filter  : cmd  r refresh  a attention  tab pane  ? help  q quit');
    expect(mounted.screen().split('\n')[0]).toMatch(/ READ-ONLY\s*$/);
    await mounted.press('?');
    const help = mounted.screen();
    for (const gone of ['Stop the marked', 'Remove the marked', 'Launch a new job', 'Provision', 'Start the worker', ':launch', ':stop', ':remove']) {
      expect(help).not.toContain(gone);
    }
    expect(help).toContain('Keys (read-only: nothing here changes the fleet)');
    const text = helpLines(dashboard.bindings, dashboard.lineCommands, dashboard.bindingContext()).map((l) => l.text).join('\n');
    for (const binding of BINDINGS.filter((b) => b.mutating)) expect(text).not.toContain(binding.description);
  });

  it('does nothing at all on the mutating keys and commands', async () => {
    const dashboard = readOnly();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(KEYS.space, 's', 'x', 'u', 'n', KEYS.tab, 'p', 'S', 'Z', KEYS.tab);
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
    await mounted.press(':', ...'stop', KEYS.enter);
    expect(mounted.screen()).toContain("no command 'stop' (commands: worker, filter, sort, refresh, help, quit)");
    await mounted.press(':', ...'launch review pr=1', KEYS.enter);
    expect(mounted.screen()).toContain("no command 'launch'");
    await mounted.press(':', ...'suspend local', KEYS.enter);
    expect(mounted.screen()).toContain("no command 'suspend'");
    expect(callsOf(dashboard)).toEqual([]);
    expect(dashboard.mutate).toBeUndefined();
  });

  it('attaches (read-only, by the provider view) and reads logs', async () => {
    const dashboard = readOnly();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(KEYS.enter);
    expect(dashboard.requests).toEqual(['attach local/12-review']);
  });

  it('cannot even be given the mutating commands', () => {
    const commands = recordingCommands();
    // @ts-expect-error: a FleetCommands object is not ReadOnlyCommands.
    const typed: ReadOnlyCommands = commands;
    expect(() =>
      createDashboard({ fleet: fleetSource(smallFleet()), access: { readOnly: true, commands: typed }, host: recordingHost() }),
    ).toThrow('a read-only dashboard was given mutating commands: launch, stopJob, removeJob, sendToJob, resumeJob, provisionWorker, startWorker, stopWorker, suspendWorker, rebuildWorker');
  });

  it('gets a command layer with no mutating function from a read-only fleet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-ro-'));
    const fleet = createFleet(
      { ...defaultFleet(undefined, { ...DEFAULT_SETTINGS, tmuxSocket: join(dir, 'sock'), stateDir: join(dir, 'state') }) },
      { readOnly: true },
    );
    try {
      const commands = createObserveCommands(fleet);
      expect(Object.keys(commands).sort()).toEqual(['attachCommand', 'capture', 'containerLog', 'readDiff', 'readLog', 'refresh']);
      for (const name of MUTATING_COMMANDS) expect(name in commands).toBe(false);
      const provider = fleet.provider('local') as unknown as Record<string, unknown>;
      for (const name of ['exec', 'ensureReady', 'provision', 'start', 'stop', 'rebuild', 'destroy']) expect(provider[name]).toBeUndefined();
      const full: Partial<FleetCommands> = commands;
      expect(full.stopJob).toBeUndefined();
    } finally {
      await fleet.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
