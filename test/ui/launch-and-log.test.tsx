import { afterEach, describe, expect, it } from 'vitest';
import { startLogFeed, startPreviewFeed, type Feed } from '../../src/ui/feeds.js';
import { callsOf, recordingCommands, testDashboard } from './fixtures.js';
import { KEYS, linesOf, renderDashboard, settle, type Rendered } from './render.js';

let mounted: Rendered | undefined;
let feeds: Feed[] = [];
afterEach(() => {
  mounted?.unmount();
  for (const feed of feeds) feed.stop();
  feeds = [];
});

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('the n form', () => {
  it('launches the chosen kind with its parameters on the chosen worker', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('n');
    expect(mounted.screen()).toContain('New job');
    expect(mounted.screen()).toContain('kind      ‹ review ›   review a pull request');
    await mounted.press(KEYS.shiftTab, KEYS.shiftTab, KEYS.right);
    expect(mounted.screen()).toContain('kind      ‹ fix ›');
    await mounted.press(KEYS.tab);
    expect(mounted.screen()).toContain('worker    ‹ auto ›   placement picks a ready worker with room');
    await mounted.press(KEYS.right, KEYS.right, KEYS.tab, '4', '2', KEYS.enter);
    expect(callsOf(dashboard).filter((c) => c.name === 'launch')).toEqual([
      { name: 'launch', args: [{ kind: 'fix', params: { pr: '42' }, worker: 'gpu-1' }, '<progress>'] },
    ]);
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
  });

  it('refuses a bad value in the form and says why, calling nothing', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('n', 'x', KEYS.enter);
    expect(mounted.screen()).toContain('pr must be a pull request number (^[0-9]+$)');
    await mounted.press(KEYS.backspace, KEYS.enter);
    expect(mounted.screen()).toContain('pr is required: pull request number');
    await mounted.press(KEYS.esc);
    expect(callsOf(dashboard)).toEqual([]);
  });
});

describe('the log view', () => {
  it('opens on l, follows the log, scrolls, and esc comes back to the same selection', async () => {
    let reads = 0;
    const commands = recordingCommands({ readLog: async () => Array.from({ length: 100 + reads++ }, (_, i) => `line ${i + 1}`).join('\n') });
    const dashboard = testDashboard({ access: { readOnly: false, commands } });
    feeds = [startLogFeed(dashboard, 20)];
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('j', 'l');
    await until(() => mounted!.screen().includes('line 100'), 'the log');
    expect(linesOf(mounted.screen())[1]).toMatch(/^─ Log ─ local\/13-fix ─ following ─ changed/);
    await until(() => mounted!.screen().includes('line 102'), 'the log to grow');
    await mounted.press('k', 'k', 'k');
    const paused = mounted.screen();
    expect(paused).toMatch(/3 lines up, G follows/);
    const readsWhenPaused = commands.calls.filter((c) => c.name === 'readLog').length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(commands.calls.filter((c) => c.name === 'readLog').length).toBe(readsWhenPaused);
    await mounted.press('G');
    await until(() => /following/.test(linesOf(mounted!.screen())[1] ?? ''), 'following again');
    await mounted.press(KEYS.esc);
    expect(dashboard.selectedJob()?.id).toBe('13-fix');
    expect(commands.calls.filter((c) => c.name === 'readLog')[0]).toEqual({ name: 'readLog', args: ['local/13-fix', { bytes: 131072 }] });
  });
});

describe('the preview', () => {
  it('captures the selected job only, again while it stays selected, and the next one when the selection moves', async () => {
    const commands = recordingCommands({ capture: async (key) => `$ screen of ${key}` });
    const dashboard = testDashboard({ access: { readOnly: false, commands } });
    feeds = [startPreviewFeed(dashboard, 30)];
    mounted = await renderDashboard(dashboard, 120, 30);
    await until(() => mounted!.screen().includes('$ screen of local/12-review'), 'the first capture');
    await until(() => commands.calls.filter((c) => c.name === 'capture').length >= 2, 'a second capture');
    await mounted.press('j');
    await until(() => mounted!.screen().includes('$ screen of local/13-fix'), 'the next capture');
    const keys = new Set(commands.calls.filter((c) => c.name === 'capture').map((c) => c.args[0]));
    expect(keys).toEqual(new Set(['local/12-review', 'local/13-fix']));
    await mounted.press('j');
    await settle();
    expect(mounted.screen()).toContain('the job has no tmux pane (its session has ended): press l for its log');
  });

  it('captures nothing in the wallboard', async () => {
    const commands = recordingCommands();
    const dashboard = testDashboard({ access: { readOnly: false, commands }, wallboard: true });
    feeds = [startPreviewFeed(dashboard, 10)];
    mounted = await renderDashboard(dashboard, 120, 30);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(commands.calls).toEqual([]);
    expect(mounted.screen()).not.toContain('Preview');
  });

  it('shows a capture failure beside the last good screen', async () => {
    let fail = false;
    const commands = recordingCommands({ capture: async () => (fail ? Promise.reject(new Error('ssh: \x1b[2Jconnection reset')) : 'GOOD-SCREEN') });
    const dashboard = testDashboard({ access: { readOnly: false, commands } });
    feeds = [startPreviewFeed(dashboard, 20)];
    mounted = await renderDashboard(dashboard, 120, 30);
    await until(() => mounted!.screen().includes('GOOD-SCREEN'), 'a capture');
    fail = true;
    await until(() => mounted!.screen().includes('capture failed: ssh: \ufffdconnection reset'), 'the failure');
    expect(mounted.screen()).toContain('GOOD-SCREEN');
  });
});
