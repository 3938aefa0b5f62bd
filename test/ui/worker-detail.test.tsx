import { afterEach, describe, expect, it } from 'vitest';
import { workerDetailLines } from '../../src/cli/worker-detail.js';
import { workerLine } from '../../src/ui/WorkersPane.js';
import { startContainerLogFeed, type Feed } from '../../src/ui/feeds.js';
import { waitFor } from '../support/ssh-fleet.js';
import { fleetState, job, recordingCommands, testDashboard, worker } from './fixtures.js';
import { dangerous, KEYS, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
let feeds: Feed[] = [];
afterEach(() => {
  mounted?.unmount();
  for (const feed of feeds) feed.stop();
  feeds = [];
});

const LONG_ERROR =
  'h1: connection failed after 3 attempts: connect ECONNREFUSED 10.0.0.7:22 (through the jump host bastion); check that sshd runs on h1 and that the jump host can reach it, then press r \x1b]0;pwned\x07';

const byHand = (n: number) => job(`$${n}`, { worker: 'h1', adhoc: true, kind: 'session', state: 'running' });

describe('worker detail', () => {
  it("reads the selected worker's container log on demand, only while the detail shows it", async () => {
    const box = worker('box', {
      provider: 'ssh',
      container: { name: 'maintainer-worker', exists: true, status: 'running', running: true, startedAt: undefined, image: undefined, error: undefined },
    });
    const commands = recordingCommands({ containerLog: async () => 'first\n\x1b[31mred\x1b[0m \x1b]52;c;aGk=\x07second\n' });
    const dashboard = testDashboard({ state: fleetState([worker('local'), box], []), access: { readOnly: false, commands } });
    feeds = [startContainerLogFeed(dashboard, 20)];
    mounted = await renderDashboard(dashboard, 100, 40);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(commands.calls.filter((c) => c.name === 'containerLog')).toEqual([]);
    await mounted.press(KEYS.tab, 'j');
    await waitFor('the container log', () => mounted!.screen().includes('  first'), 20_000);
    expect(mounted.screen()).toContain('Container log (last 20 lines):');
    expect(mounted.screen()).toMatch(/ {2}red \S*second/);
    expect(dangerous(mounted.frame())).toEqual([]);
    expect(new Set(commands.calls.filter((c) => c.name === 'containerLog').map((c) => c.args[0]))).toEqual(new Set(['box']));
  });

  it('with the workers pane focused, shows the selected worker in full: the whole error wrapped, jobs, problems', async () => {
    const h1 = worker('h1', { provider: 'ssh', path: 'proxy-jump', lastError: LONG_ERROR, problems: ['meta.json of 3-x is not a JSON object'], maxJobs: 4 });
    const jobs = [job('1-review', { worker: 'h1', state: 'running' }), ...Array.from({ length: 20 }, (_, i) => byHand(i + 1))];
    const dashboard = testDashboard({ state: fleetState([worker('local'), h1], jobs) });
    mounted = await renderDashboard(dashboard, 80, 50);
    await mounted.press(KEYS.tab, 'j');
    const screen = mounted.screen();
    expect(screen).toContain('Worker ─ h1');
    expect(screen).toContain('Connection proxy-jump');
    // The whole error, over several lines, not the first 20 columns of it.
    expect(screen).toContain('check that sshd runs on h1');
    expect(screen).toContain('then press r');
    expect(screen).toContain('1/4 live of 1; 20 sessions started by hand (20 live, not counted)');
    expect(screen).toContain('meta.json of 3-x is not a JSON object');
    expect(dangerous(mounted.frame())).toEqual([]);
    // The JOBS column counts only what mission-control launched.
    expect(workerLine(h1, jobs, 120)).toContain(' 1/4 ');
    await mounted.press(KEYS.tab);
    expect(mounted.screen()).not.toContain('Worker ─ h1');
  });

  it('wraps every line to the width and shows the container and its last log lines', () => {
    const w = worker('g1', {
      provider: 'gce-cos',
      container: { name: 'maintainer-worker', exists: true, status: 'exited', running: false, startedAt: '2026-12-01T10:00:00Z', image: 'local/worker', error: undefined },
      lastError: LONG_ERROR,
    });
    const lines = workerDetailLines({ worker: w, jobs: [], containerLog: { lines: ['booting', 'tmux: \x1b[2Jcrashed'] }, now: Date.now(), width: 60 });
    expect(lines.every((line) => [...line].length <= 60)).toBe(true);
    expect(lines.join('\n')).toContain('Container  maintainer-worker: exited, started\n           2026-12-01T10:00:00Z; image local/worker');
    expect(lines.slice(-3, -1)).toEqual(['Container log (last 20 lines):', '  booting']);
    expect(lines.at(-1)).toMatch(/^ {2}tmux: \S?crashed$/);
    expect(lines.join('\n')).toContain('then press r');
    expect(dangerous(lines.join('\n'))).toEqual([]);
  });
});
