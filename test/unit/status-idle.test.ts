import { describe, expect, it } from 'vitest';
import { statusJson, statusTable } from '../../src/cli/status-report.js';
import { workerDetailLines } from '../../src/cli/worker-detail.js';
import { createFleetStore } from '../../src/state/store.js';
import type { WorkerScan } from '../../src/scanners/worker-scan/types.js';

const NOW = 1_800_000_000_000;
const idle = { afterMs: 30 * 60_000, action: 'suspend' as const, waitingAfterMs: 2 * 3_600_000 };

/** A scan of a worker up for a day whose one session last printed `quietMinutes` ago (a job started by hand). */
function scan(quietMinutes: number, attached = 0): WorkerScan {
  return {
    host: { now: NOW / 1000, uptimeSeconds: 86_400, load1: 0, load5: 0, load15: 0, cpus: 4 },
    container: undefined,
    tmuxRunning: true,
    tmuxError: undefined,
    sessions: [
      {
        id: '$1',
        name: 'build-7',
        created: NOW / 1000 - 7200,
        activity: NOW / 1000 - quietMinutes * 60,
        attached,
        panes: [{ id: '%1', dead: false, deadStatus: undefined, currentCommand: 'make', pid: 1 }],
      },
    ],
    jobs: [],
  };
}

function fleet(sessions: WorkerScan) {
  const store = createFleetStore();
  store.getState().setWorkers(
    [
      { name: 'vm-a', provider: 'gce-cos', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc', idle },
      { name: 'vm-b', provider: 'gce-cos', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc', idle },
      { name: 'box', provider: 'ssh', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' },
    ],
    '/cfg.yaml',
  );
  store.getState().refreshSucceeded('vm-a', { scan: sessions, machine: { state: 'running' }, path: 'iap', rttMs: 40, scanMs: 45, now: NOW });
  store.getState().refreshSucceeded('vm-b', { scan: { ...sessions, sessions: [] }, machine: { state: 'running' }, path: 'iap', rttMs: 40, scanMs: 45, now: NOW });
  store.getState().refreshSucceeded('box', { scan: { ...sessions, sessions: [] }, machine: { state: 'running' }, path: 'direct', rttMs: 3, scanMs: 5, now: NOW });
  return store;
}

describe('status and the idle policy', () => {
  it('a quiet session with a live pane keeps its worker up; an empty worker up for a day is due now', () => {
    const store = fleet(scan(300));
    const doc = statusJson(store.getState(), NOW);
    expect(doc.workers.map((w) => w.idle)).toEqual([
      { action: 'suspend', afterMs: 1_800_000, waitingAfterMs: 7_200_000, deadline: null, keptUpBy: '$1 running', label: 'kept up: $1 running' },
      { action: 'suspend', afterMs: 1_800_000, waitingAfterMs: 7_200_000, deadline: new Date(NOW - 86_400_000 + 1_800_000).toISOString(), keptUpBy: null, label: 'suspends now' },
      null,
    ]);
    const text = statusTable(store.getState(), NOW);
    expect(text).toContain('idle: vm-a kept up: $1 running\nidle: vm-b suspends now (no output)');
  });

  it('status WORKER shows the countdown and the policy', () => {
    const store = fleet(scan(300));
    const state = store.getState();
    const lines = workerDetailLines({ worker: state.workers['vm-b']!, jobs: [], now: NOW + 0, width: 120 });
    expect(lines).toContain('Idle       suspends now (no output); policy: suspend after 30m, waiting jobs 2h00m');
    const kept = workerDetailLines({ worker: state.workers['vm-a']!, jobs: state.jobsByWorker['vm-a']!, now: NOW, width: 120 });
    expect(kept).toContain('Idle       kept up: $1 running; policy: suspend after 30m, waiting jobs 2h00m');
  });
});
