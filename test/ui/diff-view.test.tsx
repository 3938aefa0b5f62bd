import { afterEach, describe, expect, it } from 'vitest';
import { startDiffFeed, type Feed } from '../../src/ui/feeds.js';
import { waitFor } from '../support/ssh-fleet.js';
import { recordingCommands, testDashboard } from './fixtures.js';
import { dangerous, KEYS, linesOf, renderDashboard, settle, type Rendered } from './render.js';

let mounted: Rendered | undefined;
let feeds: Feed[] = [];
afterEach(() => {
  mounted?.unmount();
  for (const feed of feeds) feed.stop();
  feeds = [];
});

const STAT = [' pr.txt | 1 \x1b[32m+\x1b[m', ' hi.txt | new file, untracked', ' 1 file changed, 1 insertion(+)', ''];
const PATCH = Array.from({ length: 80 }, (_, i) => `\x1b[32m+line ${i + 1}\x1b[m`);

describe('the diff view', () => {
  it('opens on d with the stat first, keeps colours, drops other escapes, scrolls, and reads once', async () => {
    const commands = recordingCommands({ readDiff: async () => [...STAT, '\x1b]52;c;aGk=\x07evil', ...PATCH].join('\n') + '\n' });
    const dashboard = testDashboard({ access: { readOnly: false, commands } });
    feeds = [startDiffFeed(dashboard, 20)];
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('j', 'd');
    await waitFor('the diff', () => mounted!.screen().includes('hi.txt | new file, untracked'), 20_000);
    const screen = linesOf(mounted.screen());
    expect(screen[1]).toMatch(/^─ Diff ─ local\/13-fix ─ lines 1-\d+ of 86/);
    expect(screen[2]).toBe(' pr.txt | 1 +');
    expect(mounted.frame()).toContain('\x1b[32m');
    expect(dangerous(mounted.frame())).toEqual([]);
    expect(mounted.screen()).not.toContain('line 80');
    await mounted.press('G');
    expect(mounted.screen()).toContain('+line 80');
    expect(mounted.screen()).not.toContain('pr.txt');
    await mounted.press('g', 'j');
    expect(linesOf(mounted.screen())[2]).toBe(' hi.txt | new file, untracked');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(commands.calls.filter((c) => c.name === 'readDiff')).toEqual([{ name: 'readDiff', args: ['local/13-fix'] }]);
    await mounted.press(KEYS.esc);
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
    expect(dashboard.selectedJob()?.id).toBe('13-fix');
  });

  it('says why a diff could not be read', async () => {
    const commands = recordingCommands({ readDiff: async () => Promise.reject(new Error('job 13-fix runs without a worktree of its own, so it has no diff')) });
    const dashboard = testDashboard({ access: { readOnly: false, commands } });
    feeds = [startDiffFeed(dashboard, 20)];
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('j', 'd');
    await waitFor('the error', () => mounted!.screen().includes('could not read the diff'), 20_000);
    expect(mounted.screen()).toContain('runs without a worktree of its own');
    await mounted.press('d');
    await settle();
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
  });
});
