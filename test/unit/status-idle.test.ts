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

/** The scan with its session named as job 1-fix's and that job's record reporting `done` long ago. */
function withDoneRecord(sessions: WorkerScan): WorkerScan {
  const session = sessions.sessions[0]!;
  return {
    ...sessions,
    sessions: [{ ...session, name: 'mc-1-fix' }],
    jobs: [{ id: '1-fix', meta: undefined, metaError: undefined, exitCode: undefined, logModified: undefined, logBytes: undefined, report: { state: 'done', at: session.activity, reason: 'finished' } }],
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

  it('the countdown restarts when a client detaches, and when the machine comes back from a suspend', () => {
    const store = createFleetStore();
    store.getState().setWorkers([{ name: 'vm', provider: 'gce-cos', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc', idle }], undefined);
    const refresh = (at: number, sessions: WorkerScan, machine: 'running' | 'suspended' = 'running') =>
      store.getState().refreshSucceeded('vm', { scan: { ...sessions, host: { ...sessions.host, now: at / 1000 } }, machine: { state: machine }, path: 'iap', rttMs: 1, scanMs: 1, now: at });
    const label = (at: number) => statusJson(store.getState(), at).workers[0]!.idle?.label;
    // A job long quiet (its record says done) with a client attached: kept up.
    const attached = withDoneRecord(scan(300, 1));
    refresh(NOW, attached);
    expect(label(NOW)).toBe('kept up: client attached to 1-fix');
    // Detached: 30 minutes from the last scan that saw the client, not "now" from the old output.
    refresh(NOW + 60_000, withDoneRecord(scan(301, 0)));
    expect(label(NOW + 60_000)).toBe('suspends in 29m');
    // Suspended, then resumed a day later: a full period from when it was seen running again (uptime counts the sleep).
    refresh(NOW + 120_000, { ...scan(302), sessions: [] }, 'suspended');
    refresh(NOW + 86_400_000, { ...scan(1742), sessions: [] });
    expect(label(NOW + 86_400_000)).toBe('suspends in 30m');
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
