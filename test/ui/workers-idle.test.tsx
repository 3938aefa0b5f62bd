import { afterEach, describe, expect, it } from 'vitest';
import { fleetState, job, NOW, testDashboard, worker } from './fixtures.js';
import { linesOf, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const idle = { afterMs: 30 * 60_000, action: 'suspend' as const, waitingAfterMs: 2 * 3_600_000 };

describe('the workers pane and the idle policy', () => {
  it('shows the countdown, or what keeps a worker up, in an IDLE column', async () => {
    const state = fleetState(
      [
        worker('quiet', { provider: 'gce-cos', idle, host: { now: NOW / 1000, uptimeSeconds: 86_400, load1: 0, load5: 0, load15: 0, cpus: 2 } }),
        worker('busy', { provider: 'gce-cos', idle }),
        worker('plain'),
      ],
      [
        job('3-fix', { worker: 'quiet', state: 'done', since: NOW - 18 * 60_000, lastOutputAt: NOW / 1000 - 18 * 60 }),
        job('7-build', { worker: 'busy', state: 'idle', since: NOW - 3_600_000, lastOutputAt: NOW / 1000 - 3600 }),
      ],
    );
    mounted = await renderDashboard(testDashboard({ state }), 140, 30);
    const lines = linesOf(mounted.screen());
    expect(lines.find((line) => line.startsWith('WORKER'))).toMatch(/ IDLE +LAST ERROR/);
    expect(lines.find((line) => line.startsWith('quiet'))).toMatch(/ suspends in 12m$/);
    expect(lines.find((line) => line.startsWith('busy'))).toMatch(/ kept up: 7-build runn/);
    expect(lines.find((line) => line.startsWith('plain'))).toMatch(/ 0\/4 +-$/);
  });
});
