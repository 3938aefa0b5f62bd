/**
 * `mission-control watch`, the read-only wallboard, as the real binary in a tmux pane: every mutating key refused
 * (absent from hints and help, doing nothing), the fleet's sessions untouched, the tmux server's config untouched,
 * an attach that is read-only, and a job directory whose name would drive the terminal.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, LocalWorld, TuiDriver } from './tui-driver.js';

let world: LocalWorld;
let tui: TuiDriver;
let sessionsBefore: string[];
let keysBefore: string;

beforeAll(async () => {
  assertBuilt();
  world = LocalWorld.create();
  world.startJob('alpha', 'echo ALPHA-SCREEN-MARK; exec sleep 3600');
  world.startJob('delta', 'PS1="delta$ " exec sh');
  sessionsBefore = world.sessions();
  keysBefore = world.rootKeys();
  tui = await TuiDriver.start({ argv: world.argv('watch') });
  await tui.waitFor('─ Jobs 2 ─');
});

afterAll(async () => {
  await tui?.stop();
  world?.close();
});

describe('mission-control watch', () => {
  it('is a compact, badged wallboard without the preview and without mutating hints', async () => {
    const screen = await tui.screen();
    expect(screen.split('\n')[0]).toMatch(/refreshed \d+s ago +READ-ONLY$/);
    expect(screen).not.toContain('Preview');
    const footer = screen.replace(/\n+$/, '').split('\n').at(-1) ?? '';
    expect(footer).toBe('enter attach  l log  space mark  d diff  / filter  : cmd  r refresh  a attention  tab pane  ? help  q quit');
  });

  it('does nothing on every mutating key, and its help does not list them', async () => {
    await tui.send('Space', 's', 'x', 'n', 'Tab', 'p', 'S', 'Tab', 'Escape');
    await tui.send(':');
    await tui.type('stop');
    await tui.send('Enter');
    await tui.waitFor("no command 'stop'");
    await tui.send(':');
    await tui.type('launch review pr=1');
    await tui.send('Enter');
    await tui.waitFor("no command 'launch'");
    const screen = await tui.screen();
    for (const dialog of ['Stop job', 'Remove job', 'New job', 'Provision worker', 'Start worker', 'Stop worker']) expect(screen).not.toContain(dialog);
    await tui.send('?');
    const help = await tui.waitFor('Keys (read-only: nothing here changes the fleet)');
    for (const gone of ['Stop the marked', 'Remove the marked', 'Launch a new job', 'Provision', ':launch', ':stop']) expect(help).not.toContain(gone);
    await tui.send('Escape');
    await tui.waitFor('─ Workers 1 ─');
  });

  it('attaches read-only: keys do not reach the job, and the prefix then d detaches', async () => {
    await tui.send('j');
    await tui.send('Enter');
    await tui.waitFor((s) => s.includes('delta$') && !s.includes('─ Workers'), { what: 'the shell of delta' });
    await tui.type('echo RO-$((1+1))');
    await tui.send('Enter');
    await tui.send('C-b', 'd');
    await tui.waitFor(`detached from ${world.keyOf('delta')}`);
    expect(world.capture('delta')).not.toContain('RO-');
  });

  it('leaves the fleet exactly as it was: same sessions, same processes, no key bound', async () => {
    expect(world.sessions()).toEqual(sessionsBefore);
    expect(world.rootKeys()).toBe(keysBefore);
    expect(world.rootKeys()).not.toMatch(/C-q\s+detach-client/);
    await tui.send('q');
    await tui.waitFor('[exited 0]');
    expect(world.sessions()).toEqual(sessionsBefore);
  });
});

describe('NO_COLOR', () => {
  // CI=false (which Ink needs to draw frames in place) also turns chalk's colours off; FORCE_COLOR turns them back
  // on, as a user's terminal has them.
  const colour = /\x1b\[[0-9;]*?(?:\b3[0-7]|\b9[0-7]|\b38;[25]|\b4[0-7]|\b48;[25])[;m]/;

  it('draws no colour at all under NO_COLOR, only attributes (the selection stays visible)', async () => {
    const coloured = await TuiDriver.start({ argv: world.argv('watch'), env: { FORCE_COLOR: '1' } });
    const plain = await TuiDriver.start({ argv: world.argv('watch'), env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    try {
      await coloured.waitFor('─ Jobs 2 ─');
      expect(await coloured.screenWithStyle()).toMatch(colour);
      await plain.waitFor('─ Jobs 2 ─');
      const styled = await plain.screenWithStyle();
      expect(styled).not.toMatch(colour);
      expect(styled).toMatch(/\x1b\[(?:[0-9]+;)*7m/);
      await plain.send('q');
      await plain.waitFor('[exited 0]');
    } finally {
      await coloured.stop();
      await plain.stop();
    }
  });
});

describe('a job directory named with escape sequences', () => {
  // Any process on a worker can make one: its name retitles the terminal (OSC 0) and writes its clipboard (OSC 52).
  // The outer terminal here is the driver's tmux pane: OSC 0 would set its title, OSC 52 (with set-clipboard on)
  // would make a paste buffer. However the scan treats the directory (a job that claims a session, or a problem on
  // the worker), neither may happen, before or after an attach.
  const HOSTILE = 'x\x1b]0;PWNED-TITLE\x07\x1b]52;c;cHduZWQ=\x07';
  let hostileWorld: LocalWorld;
  let pane: TuiDriver;

  beforeAll(async () => {
    hostileWorld = LocalWorld.create();
    hostileWorld.startJob('hostile', 'echo HOSTILE-SCREEN-MARK; exec sleep 3600');
    const dir = join(hostileWorld.stateDir, 'jobs', HOSTILE);
    mkdirSync(dir);
    const meta = { id: HOSTILE, kind: 'review', params: {}, command: ['sleep', '3600'], session: 'mc-hostile', createdAt: new Date().toISOString() };
    writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta)}\n`);
    pane = await TuiDriver.start({ argv: hostileWorld.argv('watch') });
    await pane.tmux('set-option', '-g', 'set-clipboard', 'on');
    await pane.waitFor('─ Jobs 1 ─');
  });

  afterAll(async () => {
    await pane?.stop();
    hostileWorld?.close();
  });

  const title = async () => (await pane.tmux('display-message', '-p', '-t', 'tui', '#{pane_title}')).trim();

  it('neither retitles the terminal nor writes its clipboard, after enter and detach either', async () => {
    await pane.send('Enter');
    await pane.waitFor((s) => s.includes('HOSTILE-SCREEN-MARK') && !s.includes('─ Workers'), { what: 'the attached session' });
    await pane.send('C-b', 'd');
    await pane.waitFor('detached from local/');
    await pane.send('r');
    await pane.waitFor('refreshing every worker');
    expect(await title()).not.toContain('PWNED');
    expect(await pane.tmux('list-buffers')).toBe('');
    // The name is shown only as the worker's problem, written out inert (`\u001b]0;PWNED…`), never as a title.
    const screen = await pane.screen();
    expect(screen).toContain('job directory "x\\u001b]0;PWNED');
    expect(screen.split('PWNED').length).toBe(screen.split('\\u001b]0;PWNED').length);
  });
});

