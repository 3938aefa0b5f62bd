import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { runJobs } from '../../src/jobs/cli.js';
import type { JobFleet } from '../../src/jobs/placement.js';
import type { FleetState } from '../../src/state/store.js';
import { captureIo } from '../support/cli-io.js';
import { fleetState, job, NOW, worker } from '../ui/fixtures.js';

/** A fleet that is already scanned (no provider: nothing is scanned again). */
function fleetOf(state: FleetState): JobFleet {
  return { store: createStore(() => state) as unknown as JobFleet['store'], provider: () => undefined, worker: () => undefined };
}

const io = captureIo;

describe('jobs --waiting', () => {
  it('lists only the jobs waiting for the user, with what they ask, made inert', async () => {
    const state = fleetState(
      [worker('local'), worker('gpu-1')],
      [
        job('1-run'),
        job('2-ask', { state: 'waiting', reason: 'Allow Bash(npm test)?\x1b]0;x\x07', createdAt: NOW / 1000 - 60 }),
        job('3-turn', { worker: 'gpu-1', state: 'done' }),
        job('4-ask', { worker: 'gpu-1', state: 'waiting', reason: 'Which branch?' }),
      ],
    );
    const cli = io();
    expect(await runJobs(fleetOf(state), ['--waiting'], cli)).toBe(0);
    const lines = cli.out().trimEnd().split('\n');
    expect(lines.map((line) => line.split(/\s{2,}/).slice(0, 2).join(' | '))).toEqual([
      'JOB | STATE',
      'local/2-ask | waiting: Allow Bash(npm test)?\ufffd',
      'gpu-1/4-ask | waiting: Which branch?',
    ]);
    const json = io();
    expect(await runJobs(fleetOf(state), ['--waiting', '--json'], json)).toBe(0);
    expect((JSON.parse(json.out()) as { key: string }[]).map((j) => j.key)).toEqual(['local/2-ask', 'gpu-1/4-ask']);
  });

  it('--json gives each job the time of the listing, not its place in the list, when its own time is unusable', async () => {
    // `since` from a worker can be out of Date's range; the document then says "now", as status --json does.
    const state = fleetState([worker('local')], [job('1-a', { since: Number.NaN }), job('2-b', { since: Number.NaN })]);
    const json = io();
    const before = Date.now();
    expect(await runJobs(fleetOf(state), ['--json'], json)).toBe(0);
    const times = (JSON.parse(json.out()) as { stateSince: string }[]).map((j) => Date.parse(j.stateSince));
    expect(times).toHaveLength(2);
    for (const time of times) expect(time).toBeGreaterThanOrEqual(before);
  });

  it('says so when no job waits', async () => {
    const cli = io();
    expect(await runJobs(fleetOf(fleetState([worker('local')], [job('1-run')])), ['--waiting'], cli)).toBe(0);
    expect(cli.out()).toBe('no job is waiting for you\n');
  });
});
