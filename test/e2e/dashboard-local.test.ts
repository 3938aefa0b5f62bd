/**
 * The real binary in a tmux pane (120x40, CI=false) against the `local` worker, whose jobs are sessions on a
 * private tmux server: navigate, filter, help, attach and come back, stop with confirmation, resize, quit.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, LocalWorld, TuiDriver } from './tui-driver.js';

let world: LocalWorld;
let tui: TuiDriver;
let ready: string;

beforeAll(async () => {
  assertBuilt();
  world = LocalWorld.create();
  world.startJob('alpha', 'echo ALPHA-SCREEN-MARK; exec sleep 3600');
  world.startJob('beta', 'echo BETA-SCREEN-MARK; exec sleep 3600');
  world.startJob('delta', 'PS1="delta$ " exec sh');
  world.startJob('gamma', 'echo GAMMA-SCREEN-MARK; exec sleep 3600');
  ready = join(world.dir, 'ready');
  tui = await TuiDriver.start({ argv: world.argv(), env: { MC_TEST_READY_FILE: ready } });
  await tui.waitUntil(() => LocalWorld.frames(ready) > 0, 'the first frame');
  await tui.waitFor('─ Jobs 4 ─', { what: 'the four jobs' });
});

afterAll(async () => {
  await tui?.stop();
  world?.close();
});

const selected = async (id: string) => tui.waitFor(`Preview ─ ${world.keyOf(id)} `, { what: `${id} selected` });

describe('the dashboard in a real terminal', () => {
  it('draws within the terminal and previews the selected job', async () => {
    const screen = await tui.waitFor('ALPHA-SCREEN-MARK');
    const lines = screen.replace(/\n$/, '').split('\n');
    expect(lines).toHaveLength(40);
    expect(lines[39]).toBe('');
    expect(lines[0]).toMatch(/^mission-control {2}workers 1 up {2}jobs 4: 4 running +refreshed \d+s ago$/);
    expect(lines[38]).toMatch(/^enter attach {2}l log {2}space mark {2}s stop {2}x remove {2}i reply {2}y approve {2}d diff {2}n new .* q quit$/);
  });

  it('moves with j/k and G/g', async () => {
    await tui.send('j');
    await selected('beta');
    await tui.waitFor('BETA-SCREEN-MARK');
    await tui.send('G');
    await selected('gamma');
    await tui.send('g');
    await selected('alpha');
  });

  it('filters with / and clears with esc', async () => {
    await tui.send('/');
    await tui.type('gam');
    const screen = await tui.waitFor('─ Jobs 1 of 4 ─ filter: gam ─');
    expect(screen).not.toContain('mc-alpha');
    await tui.send('Enter');
    await selected('gamma');
    await tui.send('Escape');
    await tui.waitFor('─ Jobs 4 ─');
  });

  it('opens the help and closes it', async () => {
    await tui.send('?');
    const help = await tui.waitFor('Stop the marked jobs, or the selected one');
    expect(help).toContain("Attach to the job's tmux session (detach: ctrl-q or attach.detachKey, or the tmux prefix then d)");
    await tui.send('Escape');
    await tui.waitFor('─ Workers 1 ─');
  });

  it('attaches to a job, shows its screen, and comes back on ctrl-q exactly as it was', async () => {
    await tui.send('/');
    await tui.type('a');
    await tui.send('Enter', 'j');
    await selected('beta');
    const before = await tui.screen();
    expect(before).toContain('filter: a ─');
    await tui.send('Enter');
    await tui.waitFor((s) => s.includes('BETA-SCREEN-MARK') && !s.includes('─ Workers'), { what: "the job's own screen" });
    await tui.send('C-q');
    const back = await tui.waitFor(`detached from ${world.keyOf('beta')}`);
    expect(back).toContain('filter: a ─');
    await selected('beta');
    expect(world.rootKeys()).toMatch(/C-q\s+detach-client/);
    await tui.send('Escape');
    await tui.waitFor('─ Jobs 4 ─');
  });

  it('passes every key to the attached job, and detaches with the tmux prefix too', async () => {
    await tui.send('g', 'j', 'j');
    await selected('delta');
    await tui.send('Enter');
    await tui.waitFor((s) => s.includes('delta$') && !s.includes('─ Workers'), { what: 'the shell of delta' });
    await tui.type('echo E2E-$((6*7))');
    await tui.send('Enter');
    await tui.waitFor('E2E-42');
    await tui.send('C-b', 'd');
    await tui.waitFor(`detached from ${world.keyOf('delta')}`);
    expect(world.capture('delta')).toContain('E2E-42');
    await selected('delta');
  });

  it('stops a job only after confirmation that names it', async () => {
    await tui.send('G');
    await selected('gamma');
    const gamma = world.keyOf('gamma');
    await tui.send('s');
    await tui.waitFor(`Stop job ${gamma}?`);
    await tui.send('n');
    await tui.waitFor('cancelled');
    expect(world.sessions().some((s) => s.startsWith('mc-gamma '))).toBe(true);
    await tui.send('s');
    await tui.waitFor('y stop 1 job');
    await tui.send('y');
    await tui.waitUntil(() => !world.sessions().some((s) => s.startsWith('mc-gamma ')), 'the gamma session to end');
    await tui.waitFor(`stopped ${gamma}`);
    await tui.waitFor('─ Jobs 3 ─');
    expect(world.sessions().map((s) => s.split(' ')[0])).toEqual(['mc-alpha', 'mc-beta', 'mc-delta']);
  });

  it('says what size it needs when the terminal is too small, and comes back when it grows', async () => {
    await tui.resize(70, 20);
    await tui.waitFor('mission-control needs at least 80x24; this terminal is 70x20');
    await tui.resize(120, 40);
    await tui.waitFor('─ Jobs 3 ─');
  });

  it('quits on q, leaving the jobs running and the terminal as it was', async () => {
    await tui.send('q');
    const screen = await tui.waitFor(TuiDriver.EXIT_MARK);
    expect(screen).toContain('[exited 0]');
    expect(screen).not.toContain('─ Workers');
    expect(world.sessions().map((s) => s.split(' ')[0])).toEqual(['mc-alpha', 'mc-beta', 'mc-delta']);
  });
});
