import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetExceededError, guardBudget, type BudgetGate } from '../../src/app/budget.js';
import { CostLedger, LedgerFileError } from '../../src/app/ledger-file.js';
import { LedgerLockError } from '../../src/app/ledger-lock.js';
import { CostRecorder } from '../../src/app/ledger-recorder.js';
import type { GceWorkerConfig } from '../../src/config/schema.js';
import { createGceProvider, type GceProvider } from '../../src/providers/gce/provider.js';
import { SshPool } from '../../src/ssh/pool.js';
import { costWithin, localMonthStart, type UsageInterval } from '../../src/state/ledger.js';
import { usageRates } from '../../src/state/ledger-rates.js';
import { createFleetStore } from '../../src/state/store.js';
import { startComputeApi, stockoutOperationError, type ComputeApiFake } from '../harness/compute-api.js';
import { gceWorker, PROJECT, testDeps, ZONE } from '../harness/compute/gce-worker.js';
import { apiTimestamp } from '../harness/compute/timestamps.js';
import { middayTimeZone } from '../support/time-zone.js';

// Usage put an hour back stays within today and this month.
process.env.TZ = middayTimeZone();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('cost ledger (real Compute client and GCE provider, local Compute server)', () => {
  let fake: ComputeApiFake;
  let dir: string;
  let file: string;
  let pool: SshPool;
  let worker: GceWorkerConfig;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-ledger-'));
    file = join(dir, 'state', 'mission-control', 'cost-ledger.json');
    fake = await startComputeApi({ delays: { staging: 50, stopping: 50, suspending: 50, provisioning: 50 } });
    pool = new SshPool({ hostKeyPolicy: 'strict', agent: '' });
    worker = gceWorker({ name: 'vm-1', provider: 'gce-linux', iap: { enabled: false } });
  });
  afterEach(async () => {
    await pool.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A dashboard's view of the VM: its own provider (own API client) and its own ledger object on the shared file. */
  const observer = (): { provider: GceProvider; recorder: CostRecorder } => {
    const recorder = new CostRecorder(new CostLedger(file), undefined);
    const provider = createGceProvider(worker, testDeps(fake, pool, dir, { onInstance: (instance) => recorder.observe(worker, instance) }));
    return { provider, recorder };
  };
  const observeAll = async (observers: readonly { provider: GceProvider; recorder: CostRecorder }[]) => {
    for (const { provider, recorder } of observers) {
      await provider.refreshStatus();
      await recorder.settled();
    }
  };
  const intervals = async (): Promise<UsageInterval[]> => Object.values((await new CostLedger(file).read()).vms[`${PROJECT}/${ZONE}/vm-1`]!.intervals);

  it('two observers of one VM count its hours once, and a suspension is billed at the suspended rate', async () => {
    const rates = usageRates(worker);
    const t0 = Date.now() - HOUR;
    const vm = fake.world.addInstance(PROJECT, ZONE, { name: 'vm-1', machineType: `zones/${ZONE}/machineTypes/e2-standard-4` }, 'RUNNING');
    vm.lastStartTimestamp = apiTimestamp(t0);
    const a = observer();
    const b = observer();

    const before = Date.now();
    await observeAll([a, b, a]);
    const after = Date.now();
    const running = (await new CostLedger(file).summary()).fleet;
    // One hour and the seconds the observations took, at the running price: not two hours.
    expect(running.month).toBeGreaterThanOrEqual(Math.floor(rates.running! * ((before - t0) / HOUR) * 1e4) / 1e4);
    expect(running.month).toBeLessThanOrEqual(Math.ceil(rates.running! * ((after - t0) / HOUR) * 1e4) / 1e4);
    expect(running.today).toBe(running.month);
    expect(await intervals()).toEqual([expect.objectContaining({ kind: 'running', start: Date.parse(vm.lastStartTimestamp), open: true })]);

    // Suspended through the API; the API's timestamp says when (put 20 minutes back, as if seen later).
    const operation = fake.world.lifecycle(PROJECT, ZONE, 'vm-1', 'suspend');
    if (!('done' in operation)) throw new Error('suspend refused');
    await operation.done;
    expect(vm.status).toBe('SUSPENDED');
    expect(vm.lastSuspendedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-08:00$/);
    const suspendedAt = t0 + 40 * MINUTE;
    vm.lastSuspendedTimestamp = apiTimestamp(suspendedAt);
    await observeAll([b, a, b]);

    const recorded = await intervals();
    expect(recorded).toHaveLength(2);
    const run = recorded.find((i) => i.kind === 'running')!;
    const sleep = recorded.find((i) => i.kind === 'suspended')!;
    // The API's end replaced the sightings: 40 minutes running, however often and late it was seen.
    expect(run).toEqual({ kind: 'running', start: t0, end: suspendedAt, open: false, perHour: rates.running });
    expect(sleep).toMatchObject({ kind: 'suspended', start: suspendedAt, open: true, perHour: rates.suspended });
    expect(rates.suspended!).toBeLessThan(rates.running! / 4);
    expect(rates.suspended!).toBeGreaterThan(rates.stopped!);
    const summary = await new CostLedger(file).summary(sleep.end);
    const expected = rates.running! * (40 / 60) + rates.suspended! * ((sleep.end - suspendedAt) / HOUR);
    expect(summary.fleet.month).toBeCloseTo(expected, 3);
    expect(summary.workers['vm-1']).toEqual(summary.fleet);
  });

  it('several ledgers writing at once lose no VM (the lock serializes read-merge-write)', async () => {
    const ledgers = [new CostLedger(file), new CostLedger(file)];
    const now = Date.now();
    await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        ledgers[n % 2]!.record(`p/z/vm-${n}`, `w${n}`, [{ kind: 'running', start: now - HOUR, end: now, open: true, perHour: 1 }], now),
      ),
    );
    const data = await new CostLedger(file).read();
    expect(Object.keys(data.vms).sort()).toEqual(Array.from({ length: 12 }, (_, n) => `p/z/vm-${n}`).sort());
    expect((await new CostLedger(file).summary(now)).fleet.month).toBeCloseTo(12, 6);
  });

  it('a lock left by a dead process, or by one that died before naming itself, is taken over; a live holder is waited for', async () => {
    const lock = `${file}.lock`;
    await mkdir(join(dir, 'state', 'mission-control'), { recursive: true });
    const dead = spawnSync('true').pid!;
    await writeFile(lock, `${dead} 0123abcd\n`);
    const now = Date.now();
    const one = [{ kind: 'running' as const, start: now - HOUR, end: now, open: true, perHour: 1 }];
    await new CostLedger(file).record('p/z/a', 'a', one, now);

    await writeFile(lock, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await new CostLedger(file).record('p/z/b', 'b', one, now);
    expect(Object.keys((await new CostLedger(file).read()).vms).sort()).toEqual(['p/z/a', 'p/z/b']);

    await writeFile(lock, `${process.pid} feedbeef\n`);
    const error = await new CostLedger(file, { timeoutMs: 200 }).record('p/z/c', 'c', one, now).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerLockError);
    expect((error as Error).message).toContain(lock);
    expect((error as Error).message).toContain(`process ${process.pid}`);
    await rm(lock);
  });

  it('a corrupt ledger file is named in the error and never overwritten', async () => {
    await mkdir(join(dir, 'state', 'mission-control'), { recursive: true });
    const corrupt = '{"version":1,"vms":{"p/z/vm":{"worker":"w","intervals":{"running@1":{"kind":"running","start":"soon"}}}}}\n';
    await writeFile(file, corrupt);
    const vm = fake.world.addInstance(PROJECT, ZONE, { name: 'vm-1', machineType: `zones/${ZONE}/machineTypes/e2-standard-4` }, 'RUNNING');
    vm.lastStartTimestamp = apiTimestamp(Date.now() - HOUR);
    const store = createFleetStore();
    const recorder = new CostRecorder(new CostLedger(file), store);
    const provider = createGceProvider(worker, testDeps(fake, pool, dir, { onInstance: (instance) => recorder.observe(worker, instance) }));
    await provider.refreshStatus();
    await recorder.settled();
    expect(store.getState().costError).toContain(file);
    expect(store.getState().costError).toMatch(/interval "running@1" of "p\/z\/vm" is malformed.*left as it is/);
    expect(await readFile(file, 'utf8')).toBe(corrupt);
    await writeFile(file, '{"version":1,"vms":');
    await expect(new CostLedger(file).summary()).rejects.toThrow(LedgerFileError);
    await expect(new CostLedger(file).summary()).rejects.toThrow(`the cost ledger ${file} cannot be read (not JSON`);
    expect(await readFile(file, 'utf8')).toBe('{"version":1,"vms":');
  });

  it('the budget refuses to start or resume a VM when month so far plus one idle window reaches it; an override lets one call through', async () => {
    const vm = fake.world.addInstance(PROJECT, ZONE, { name: 'vm-1', machineType: `zones/${ZONE}/machineTypes/e2-standard-4` }, 'TERMINATED');
    vm.lastStartTimestamp = apiTimestamp(Date.now() - 3 * HOUR);
    vm.lastStopTimestamp = apiTimestamp(Date.now() - HOUR);
    const { provider, recorder } = observer();
    const rates = usageRates(worker);
    const soFar = rates.running! * 2;
    const idle = rates.running! / 2;
    let overrides = 0;
    const gate: BudgetGate = {
      // Between the idle window alone and month so far plus the idle window: only the ledger's figure refuses.
      monthly: () => soFar + idle * 0.9,
      monthSoFar: async () => {
        await recorder.settled();
        return (await recorder.ledger.summary()).fleet.month;
      },
      takeOverride: () => overrides-- > 0,
    };
    const guarded = guardBudget(provider, worker, gate);
    const error = await guarded.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    const figures = (error as BudgetExceededError).figures;
    expect(figures).toMatchObject({ worker: 'vm-1', action: 'start', idleWindowMs: 30 * MINUTE, runningPerHour: rates.running });
    expect(figures.monthSoFar).toBeGreaterThanOrEqual(Math.floor(soFar * 1e4) / 1e4);
    expect((error as Error).message).toMatch(/^vm-1: not started: the monthly budget would be reached \(\$\d+\.\d\d so far this month \+ \$0\.08 for one idle window \(30 min at \$0\.\d{3}\/h\) = \$\d+\.\d\d, monthly budget \$\d+\.\d\d\); .*--force/);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/start$/)).toEqual([]);

    // Suspended: a resume (what a launch's ensureReady does) is refused the same way.
    vm.status = 'SUSPENDED';
    vm.lastSuspendedTimestamp = apiTimestamp(Date.now() - 30 * MINUTE);
    await provider.refreshStatus();
    await expect(guarded.ensureReady()).rejects.toThrow(BudgetExceededError);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/resume$/)).toEqual([]);

    // Overridden once: the call goes to the API (made to fail there, so no SSH wait follows).
    overrides = 1;
    fake.world.failNextOperation('resume', stockoutOperationError(ZONE, 'e2-standard-4'));
    await expect(guarded.ensureReady()).rejects.not.toThrow(BudgetExceededError);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/resume$/)).toHaveLength(1);
    // Used up: the next one is refused again.
    await expect(guarded.start()).rejects.toThrow(BudgetExceededError);
    expect(costWithin(await intervals(), localMonthStart(Date.now()), Date.now()).cost).toBeGreaterThan(soFar);
  });

  it('the budget: provisioning is checked, a running VM is not (nothing is woken), an unreadable ledger refuses naming its file', async () => {
    const recorder = new CostRecorder(new CostLedger(file), undefined);
    const provider = createGceProvider(
      worker,
      testDeps(fake, pool, dir, { onInstance: (instance) => recorder.observe(worker, instance), timeouts: { ssh: 300, operation: 10_000, state: 10_000, ready: 1000 } }),
    );
    const gate: BudgetGate = { monthly: () => 0.01, monthSoFar: async () => (await recorder.ledger.summary()).fleet.month, takeOverride: () => false };
    const guarded = guardBudget(provider, worker, gate);
    await expect(guarded.provision()).rejects.toThrow(/^vm-1: not provisioned: the monthly budget would be reached/);
    expect(fake.requestsTo('POST', /\/instances$/)).toEqual([]);

    // Running already: ensureReady wakes nothing, so the budget is not asked (it fails later, at SSH, in this test).
    fake.world.addInstance(PROJECT, ZONE, { name: 'vm-1', machineType: `zones/${ZONE}/machineTypes/e2-standard-4` }, 'RUNNING');
    const error = await guarded.ensureReady().catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(BudgetExceededError);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/(start|resume)$/)).toEqual([]);

    // A ledger that cannot be read: the start is refused with the file's name (no figure to trust).
    fake.instance(PROJECT, ZONE, 'vm-1')!.status = 'TERMINATED';
    await provider.refreshStatus();
    await recorder.settled();
    await writeFile(file, 'not a ledger');
    const unreadable = { ...gate, monthly: () => 1000 };
    await expect(guardBudget(provider, worker, unreadable).start()).rejects.toThrow(`the cost ledger ${file} cannot be read`);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/start$/)).toEqual([]);
  });
});
