/**
 * The real binary in a tmux pane against a real fleet: two SSH workers (private sshd servers, real tmux on each),
 * one of which dies and comes back while the dashboard runs; attach to a job on an SSH worker through the system
 * ssh (host key checked against the worker's known_hosts) and come back.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../support/ssh-fleet.js';
import { assertBuilt, BIN, LocalWorld, TuiDriver } from './tui-driver.js';

let world: TestFleet;
let tui: TuiDriver;
let ready: string;

beforeAll(async () => {
  assertBuilt();
  world = await startTestFleet(['north', 'south']);
  const [north, south] = world.workers;
  await north!.tmux(['new-session', '-d', '-s', 'mc-1-review', 'echo NORTH-ONE-MARK; exec sleep 3600']);
  await north!.tmux(['new-session', '-d', '-s', 'mc-2-fix', 'echo NORTH-TWO-MARK; exec sleep 3600']);
  await south!.tmux(['new-session', '-d', '-s', 'mc-3-build', 'echo SOUTH-MARK; exec sleep 3600']);
  const config = await world.writeConfig({ pollInterval: '1s' });
  ready = join(world.dir, 'ready');
  tui = await TuiDriver.start({ argv: [process.execPath, BIN, '--config', config], env: { MC_TEST_READY_FILE: ready } });
  await tui.waitUntil(() => LocalWorld.frames(ready) > 0, 'the first frame');
});

afterAll(async () => {
  await tui?.stop();
  await world?.stop();
});

describe('the dashboard over SSH (two real sshd workers)', () => {
  it('shows both workers up, connected directly, and the jobs of each', async () => {
    const screen = await tui.waitFor(/workers 2 up/, { what: 'both workers up', timeoutMs: 15_000 });
    expect(screen).toMatch(/north\s+ssh\s+up/);
    expect(screen).toMatch(/south\s+ssh\s+up/);
    expect(screen).toContain('─ Jobs 3 ─');
    await tui.waitFor('NORTH-ONE-MARK', { what: 'the preview of the first job (a pane capture over SSH)' });
  });

  it('attaches to a job on an SSH worker and comes back to the dashboard as it was', async () => {
    // Sessions with no job record are keyed by session id.
    const listed = (await world.workers[0]!.tmux(['list-sessions', '-F', '#{session_name} #{session_id}'])).stdout;
    const id = /^mc-2-fix (\$\d+)$/m.exec(listed)?.[1];
    const preview = `Preview ─ north/${id} `;
    await tui.send('j');
    await tui.waitFor(preview, { what: 'mc-2-fix selected' });
    await tui.send('Enter');
    await tui.waitFor((s) => s.includes('NORTH-TWO-MARK') && !s.includes('─ Jobs 3 ─'), { what: 'the attached session', timeoutMs: 15_000 });
    await tui.send('C-q');
    const back = await tui.waitFor('─ Jobs 3 ─', { what: 'the dashboard again', timeoutMs: 15_000 });
    expect(back).toContain(preview);
  });

  it('shows a worker that dies as unreachable while the other keeps updating, and brings it back by itself', async () => {
    const south = world.workers[1]!;
    await south.sshd.kill();
    const down = await tui.waitFor(/south\s+ssh\s+unreachable/, { what: 'south unreachable', timeoutMs: 15_000 });
    expect(down).toMatch(/north\s+ssh\s+up/);
    expect(down).toMatch(/workers 1 up, 1 down|1 up.*1 down/);
    await south.sshd.restart();
    await tui.waitFor(/workers 2 up/, { what: 'south back', timeoutMs: 45_000 });
    const back = await tui.waitFor(/south\s+ssh\s+up/, { what: 'south up in the workers pane' });
    expect(back).toContain('─ Jobs 3 ─');
  });
});
