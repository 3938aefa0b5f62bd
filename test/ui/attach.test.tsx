import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { attachBanner, displayTmuxKey, runAttach } from '../../src/ui/attach.js';
import { attachEnvironment } from '../../src/ui/terminal.js';
import { testDashboard } from './fixtures.js';
import { KEYS, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

describe('attaching', () => {
  it('names the job and the keys that detach', () => {
    expect(attachBanner('local/12-review', { prefix: 'C-b', detachKeyBound: true, readOnly: false })).toBe(
      'mission-control: attaching to local/12-review. Detach with ctrl-q, or ctrl-b then d.',
    );
    expect(attachBanner('gpu-1/7\x1b]0;x\x07', { prefix: 'C-a', detachKeyBound: false, readOnly: true })).toBe(
      'mission-control: attaching to gpu-1/7 (read-only: your keys do not reach the job). Detach with ctrl-a then d.',
    );
    expect(attachBanner('a/b', { prefix: undefined, detachKeyBound: true, readOnly: false })).toContain('ctrl-q, or the tmux prefix then d');
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
});
