import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fleet } from '../../src/app/fleet.js';
import type { WorkerObserver } from '../../src/providers/types.js';
import { attachBanner, displayTmuxKey, runAttach, type AttachOutcome } from '../../src/ui/attach.js';
import { attachFromDashboard } from '../../src/ui/run.js';
import { attachEnvironment } from '../../src/ui/terminal.js';
import { fleetState, job, testDashboard, worker } from './fixtures.js';
import { dangerous, KEYS, renderDashboard, type Rendered } from './render.js';

/** A job directory name that retitles the terminal (OSC 0) and writes its clipboard (OSC 52), each ended by BEL. */
const HOSTILE_ID = 'x\x1b]0;TITLE\x07\x1b]52;c;cHduZWQ=\x07';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

describe('attaching', () => {
  it('names the job and the keys that detach', () => {
    expect(attachBanner('local/12-review', { prefix: 'C-b', detachKeyBound: true, readOnly: false })).toBe(
      'mission-control: attaching to local/12-review. Detach with ctrl-q, or ctrl-b then d.',
    );
    expect(attachBanner('gpu-1/7\x1b]0;x\x07', { prefix: 'C-a', detachKeyBound: false, readOnly: true })).toBe(
      'mission-control: attaching to gpu-1/7\ufffd (read-only: your keys do not reach the job). Detach with ctrl-a then d.',
    );
    expect(attachBanner('a/b', { prefix: undefined, detachKeyBound: true, readOnly: false })).toContain('ctrl-q, or the tmux prefix then d');
    expect(attachBanner('a/b', { prefix: 'C-b', detachKeyBound: true, readOnly: false, detachKey: 'C-]' })).toContain('Detach with ctrl-], or ctrl-b then d.');
    expect(displayTmuxKey('M-x')).toBe('alt-x');
  });

  it('runs the attach program with the terminal and without $TMUX (our server is not the user\'s)', async () => {
    const env = attachEnvironment({ TMUX: '/tmp/tmux-0/default,1,0', TMUX_PANE: '%1', TERM: 'xterm' }, { EXTRA: '1' });
    expect(env).toEqual({ TERM: 'xterm', EXTRA: '1' });
    const stdin = Object.assign(new PassThrough(), { isTTY: false });
    const out = new PassThrough();
    let written = '';
    out.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const outcome = await runAttach({ argv: ['sh', '-c', 'exit 3'] }, 'BANNER', { stdin, stdout: out, env: process.env });
    expect(outcome).toMatchObject({ code: 3, signal: null });
    expect(written).toBe('BANNER\r\n');
    const missing = await runAttach({ argv: ['/nonexistent/attach'] }, 'B', { stdin, stdout: out, env: process.env });
    expect(missing.error).toMatch(/^\/nonexistent\/attach: spawn \/nonexistent\/attach ENOENT/);
  });

  it('comes back to the same selection, filter, scroll and marks after the tree is remounted', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('/', ...'review', KEYS.enter, KEYS.space, KEYS.enter);
    expect(dashboard.requests).toEqual(['attach gpu-1/15-review']);
    const before = mounted.screen();
    mounted.unmount();
    mounted = await renderDashboard(dashboard, 120, 30);
    expect(mounted.screen()).toBe(before);
    expect(dashboard.selectedJob()?.key).toBe('gpu-1/15-review');
    expect([...dashboard.ui.getState().marks]).toEqual(['local/12-review']);
  });

  it.each<[string, Omit<AttachOutcome, 'durationMs'>, string]>([
    ['a detach', { code: 0, signal: null }, 'detached from local/x\ufffd\ufffd'],
    ['an attach that ended badly', { code: 1, signal: null }, 'attach to local/x\ufffd\ufffd ended with 1'],
    ['an attach that could not start', { code: null, signal: null, error: 'tmux: spawn \x1b]0;T\x07 ENOENT' }, 'attach to local/x\ufffd\ufffd failed: tmux: spawn \ufffd ENOENT'],
  ])('after %s, the notice about a job named with OSC 0 and OSC 52 is inert text', async (_name, outcome, notice) => {
    const dashboard = testDashboard({ state: fleetState([worker('local')], [job(HOSTILE_ID)]), access: undefined });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(KEYS.enter);
    const [request] = dashboard.requests;
    expect(request).toBe(`attach local/${HOSTILE_ID}`);
    mounted.unmount();
    // The attach itself: a fleet with no provider to ask for the tmux prefix, and an attach program that ends as given.
    const fleet = { store: dashboard.source, provider: () => undefined } as unknown as Fleet<WorkerObserver>;
    let banner = '';
    await attachFromDashboard(dashboard, fleet, undefined, `local/${HOSTILE_ID}`, async (_command, text) => {
      banner = text;
      return { ...outcome, durationMs: 5000 };
    });
    expect(dangerous(banner)).toEqual([]);
    mounted = await renderDashboard(dashboard, 120, 30);
    expect(mounted.screen().split('\n').at(-2)?.trimEnd()).toBe(notice);
    expect(dangerous(mounted.frame())).toEqual([]);
  });

  it('draws a notice made from raw remote text as inert text', async () => {
    const dashboard = testDashboard();
    dashboard.ui.getState().notify(`detached from local/${HOSTILE_ID}`);
    mounted = await renderDashboard(dashboard, 120, 30);
    expect(mounted.screen()).toContain('detached from local/x\ufffd\ufffd');
    expect(dangerous(mounted.frame())).toEqual([]);
  });
});
