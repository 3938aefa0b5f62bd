import { describe, expect, it, vi } from 'vitest';
import { statusJson, statusTable } from '../../src/cli/status-report.js';
import { showProgress, statusText } from '../../src/cli/status.js';
import { estimateHourlyCost } from '../../src/providers/gce/pricing.js';
import { createFleetStore } from '../../src/state/store.js';

const NOW = 1_800_000_000_000;
const scan = {
  host: { now: NOW / 1000, uptimeSeconds: 1, load1: 0.25, load5: 0, load15: 0, cpus: 4 },
  container: undefined,
  tmuxRunning: true,
  tmuxError: undefined,
  sessions: [
    {
      id: '$1',
      name: 'mc-1-review\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J',
      created: NOW / 1000 - 60,
      activity: NOW / 1000 - 1,
      attached: 0,
      panes: [{ id: '%1', dead: false, deadStatus: undefined, currentCommand: 'node', pid: 1 }],
    },
  ],
  jobs: [],
};

function fleet() {
  const store = createFleetStore();
  const cost = estimateHourlyCost({ machineType: 'e2-standard-4', bootDisk: { sizeGb: 200, type: 'pd-balanced' }, externalIp: false });
  store.getState().setWorkers(
    [
      { name: 'vm-a', provider: 'gce-cos', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc', cost },
      { name: 'vm-b', provider: 'gce-linux', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc', cost },
      { name: 'box', provider: 'ssh', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' },
    ],
    '/cfg.yaml',
  );
  store.getState().refreshSucceeded('vm-a', { scan, machine: { state: 'running' }, path: 'iap', rttMs: 40, scanMs: 45, now: NOW });
  store.getState().refreshFailed('vm-b', 'vm-b: VM is TERMINATED (start the worker)', NOW, { state: 'stopped', detail: 'TERMINATED' });
  store.getState().refreshSucceeded('box', { scan: { ...scan, sessions: [] }, machine: { state: 'running' }, path: 'direct', rttMs: 3, scanMs: 5, now: NOW });
  return { store, cost };
}

describe('status report', () => {
  it('prices GCE workers by their state and sums the fleet', () => {
    const { store, cost } = fleet();
    const doc = statusJson(store.getState(), NOW);
    const [a, b, box] = doc.workers;
    expect(a).toMatchObject({ name: 'vm-a', machine: 'running', path: 'iap', costPerHour: cost.runningPerHour });
    expect(b).toMatchObject({ name: 'vm-b', connection: 'down', machine: 'stopped', machineDetail: 'TERMINATED', costPerHour: cost.stoppedPerHour });
    expect(box).toMatchObject({ costPerHour: null, costEstimate: null });
    expect(a!.costEstimate).toEqual({ currency: 'USD', runningPerHour: cost.runningPerHour, stoppedPerHour: cost.stoppedPerHour, source: 'table', note: null });
    expect(doc.summary.costPerHour).toBeCloseTo(cost.runningPerHour! + cost.stoppedPerHour, 3);
    expect(doc.summary.unpricedWorkers).toBe(0);
  });

  it('prints a table whose remote text cannot drive the terminal', () => {
    const { store } = fleet();
    const text = statusTable(store.getState(), NOW, 160);
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(text).toContain('1-review');
    expect(text).toMatch(/^vm-b\s+gce-linux\s+unreachable/m);
    expect(text).toMatch(/COST\s+LAST ERROR/);
    expect(text).toContain('Fleet cost now: $');
  });

  it('shows a suspending or suspended worker by that state, not as unreachable, priced by it', () => {
    const { store, cost } = fleet();
    store.getState().refreshFailed('vm-a', 'vm-a: VM is SUSPENDING', NOW, { state: 'suspending', detail: 'SUSPENDING' });
    store.getState().refreshFailed('vm-b', 'vm-b: VM is SUSPENDED (start the worker)', NOW, { state: 'suspended', detail: 'SUSPENDED' });
    const doc = statusJson(store.getState(), NOW);
    expect(doc.workers[0]).toMatchObject({ machine: 'suspending', machineDetail: 'SUSPENDING', costPerHour: cost.runningPerHour });
    expect(doc.workers[1]).toMatchObject({ machine: 'suspended', machineDetail: 'SUSPENDED', costPerHour: cost.stoppedPerHour });
    const text = statusTable(store.getState(), NOW, 160);
    expect(text).toMatch(/^vm-a\s+gce-cos\s+suspending\b/m);
    expect(text).toMatch(/^vm-b\s+gce-linux\s+suspended\b/m);
  });

  it("lists each worker's scan problems in the table and in the JSON", () => {
    const { store } = fleet();
    const problems = ['job directory "x\x1b]0;T\x07" is not a safe id: skipped', 'two', 'three', 'four'];
    store.getState().refreshSucceeded('box', { scan: { ...scan, sessions: [], problems }, machine: { state: 'running' }, path: 'direct', rttMs: 3, scanMs: 5, now: NOW });
    const doc = statusJson(store.getState(), NOW);
    expect(doc.workers.map((w) => w.problems)).toEqual([[], [], problems]);
    const text = statusTable(store.getState(), NOW, 160);
    expect(text).toContain('problems on box (4):\n  job directory "x\ufffd" is not a safe id: skipped\n  two\n  three\n  … 1 more: mission-control status --json');
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });

  it('prints JSON with C1 and format characters escaped, that parses back to the same names', () => {
    const { store } = fleet();
    const name = 'mc-2-rev\u0085iew\u009b2J\u202Etxt.exe\u2066\u00AD\u{E0041}';
    store.getState().refreshSucceeded('box', { scan: { ...scan, sessions: [{ ...scan.sessions[0]!, id: '$2', name }] }, machine: { state: 'running' }, path: 'direct', rttMs: 3, scanMs: 5, now: NOW });
    const text = statusText(store.getState(), true, 120);
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]|\p{Cf}/u);
    expect(text).toContain('rev\\u0085iew\\u009b2J\\u202etxt.exe\\u2066\\u00ad\\udb40\\udc41');
    const doc = JSON.parse(text) as ReturnType<typeof statusJson>;
    expect(doc.jobs.map((j) => j.session)).toContain(name);
    expect(statusText(store.getState(), false, 120)).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]|(?!\u200d)\p{Cf}/u);
  });
});

describe('status progress on a terminal', () => {
  const seeds = ['a', 'b', 'c'].map((name) => ({ name, provider: 'ssh' as const, maxJobs: 2, pollIntervalMs: 2000, sessionPrefix: 'mc' }));

  it('says how many workers answered while the others connect, then erases its line', async () => {
    const store = createFleetStore();
    store.getState().setWorkers(seeds, undefined);
    const written: string[] = [];
    const stop = showProgress({ store }, { isTTY: true, write: (text: string) => (written.push(text), true) });
    store.getState().refreshSucceeded('a', { scan: { ...scan, sessions: [] }, machine: { state: 'running' }, path: 'direct', rttMs: 3, scanMs: 5, now: NOW });
    store.getState().refreshFailed('b', 'b: connection refused', NOW);
    await vi.waitFor(() => expect(written.at(-1)).toBe('\rconnecting (2 of 3)\x1b[K'));
    stop();
    expect(written[0]).toBe('\rconnecting (0 of 3)\x1b[K');
    expect(written.at(-1)).toBe('\r\x1b[K');
  });

  it('writes nothing when stderr is not a terminal', () => {
    const store = createFleetStore();
    store.getState().setWorkers(seeds, undefined);
    const written: string[] = [];
    showProgress({ store }, { isTTY: false, write: (text: string) => (written.push(text), true) })();
    expect(written).toEqual([]);
  });
});
