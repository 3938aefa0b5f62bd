import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatHourly } from '../../src/providers/gce/pricing.js';
import { usageRates } from '../../src/state/ledger-rates.js';
import { startComputeApi, stockoutOperationError, type ComputeApiFake } from '../harness/compute-api.js';
import { gceWorker, PROJECT, ZONE } from '../harness/compute/gce-worker.js';
import { apiTimestamp } from '../harness/compute/timestamps.js';
import { runBinary } from '../support/binary.js';
import { middayTimeZone } from '../support/time-zone.js';

const HOUR = 3_600_000;

/**
 * The cost ledger and the monthly budget through the built binary (`npm run build` first): separate processes
 * observing one VM of the local Compute server, and `setup` refused, then forced, on a stopped VM.
 */
describe('cost so far and the monthly budget (real binary, real Compute client, local Compute server)', () => {
  let fake: ComputeApiFake;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const worker = gceWorker({ name: 'vm-1', provider: 'gce-linux', iap: { enabled: false } });
  const rates = usageRates(worker);

  const writeConfig = async (budget?: number) => {
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      [
        ...(budget === undefined ? [] : [`budget: { monthly: ${budget} }`]),
        'workers:',
        '  - name: vm-1',
        '    provider: gce-linux',
        `    project: ${PROJECT}`,
        `    zone: ${ZONE}`,
        `    sshConfigFile: ${join(dir, 'ssh_config')}`,
        '    iap: { enabled: false }',
      ].join('\n'),
    );
    return file;
  };

  beforeEach(async () => {
    fake = await startComputeApi({ delays: { staging: 50, stopping: 50 } });
    dir = await mkdtemp(join(tmpdir(), 'mc-cost-e2e-'));
    await writeFile(join(dir, 'ssh_config'), '');
    // Ran two hours until an hour ago; stopped since.
    const vm = fake.world.addInstance(PROJECT, ZONE, { name: 'vm-1', machineType: `zones/${ZONE}/machineTypes/e2-standard-4` }, 'TERMINATED');
    vm.lastStartTimestamp = apiTimestamp(Date.now() - 3 * HOUR);
    vm.lastStopTimestamp = apiTimestamp(Date.now() - HOUR);
    env = { ...process.env, MISSION_CONTROL_COMPUTE_EMULATOR: fake.url, HOME: dir, XDG_STATE_HOME: join(dir, 'state'), TZ: middayTimeZone() };
  });
  afterEach(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('two status processes at once record the VM once: two hours running and the hour stopped since', async () => {
    const config = await writeConfig();
    const [a, b] = await Promise.all([runBinary(['status', '--json', '--config', config], { env }), runBinary(['status', '--json', '--config', config], { env })]);
    const later = await runBinary(['status', '--config', config], { env });
    const ledger = JSON.parse(await readFile(join(dir, 'state', 'mission-control', 'cost-ledger.json'), 'utf8'));
    const intervals = Object.values(ledger.vms[`${PROJECT}/${ZONE}/vm-1`].intervals) as { kind: string; start: number; end: number }[];
    expect(intervals.map((i) => i.kind).sort()).toEqual(['running', 'stopped']);
    const low = rates.running! * 2 + rates.stopped!;
    for (const run of [a, b]) {
      const doc = JSON.parse(run.stdout);
      expect(doc.summary.costError, run.stderr).toBeNull();
      // At least this process's own sighting; never the two hours twice.
      expect(doc.summary.costSoFar.month).toBeGreaterThanOrEqual(Math.floor(low * 100) / 100);
      expect(doc.summary.costSoFar.month).toBeLessThan(rates.running! * 3);
      expect(doc.summary.costSoFar.today).toBe(doc.summary.costSoFar.month);
      expect(doc.workers[0].costSoFar).toEqual(doc.summary.costSoFar);
    }
    expect(later.stdout).toMatch(/^Cost so far \(local time\): \$\d+\.\d\d today, \$\d+\.\d\d this month$/m);
    expect(later.stdout).toMatch(/^ {2}vm-1 +\$\d+\.\d\d today, \$\d+\.\d\d this month$/m);

    // One worker in full: its cost so far from the same ledger, and its price in each billing state.
    const detail = await runBinary(['status', 'vm-1', '--config', config], { env });
    const month = JSON.parse(a.stdout).workers[0].costSoFar.month as number;
    const spent = /^Spent {6}\$\d+\.\d\d today, \$(\d+\.\d\d) this month \(local time, from the cost ledger\)$/m.exec(detail.stdout);
    expect(spent, detail.stdout).not.toBeNull();
    expect(Number(spent![1])).toBeGreaterThanOrEqual(Math.floor(month * 100) / 100);
    expect(detail.stdout).toContain(`running ${formatHourly(rates.running!)}, suspended ${formatHourly(rates.suspended!)}, stopped ${formatHourly(rates.stopped!)}`);
  });

  it('setup refuses to start the stopped VM past the budget, naming the figures; --force starts it', async () => {
    const low = rates.running! * 2 + rates.stopped!;
    // Below month so far plus a 30-minute idle window, above the idle window alone.
    const config = await writeConfig(Math.round((low + (rates.running! / 2) * 0.9) * 100) / 100);
    const refused = await runBinary(['setup', 'vm-1', '--config', config], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/vm-1: not started: the monthly budget would be reached \(\$0\.\d\d so far this month \+ \$0\.08 for one idle window \(30 min at \$0\.161\/h\) = \$\d\.\d\d, monthly budget \$0\.\d\d\); raise budget\.monthly in the config, or go ahead anyway: --force on the command line/);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/start$/)).toEqual([]);

    // Forced: the start reaches the API (which fails it here, so no SSH wait follows).
    fake.world.failNextOperation('start', stockoutOperationError(ZONE, 'e2-standard-4'));
    const forced = await runBinary(['setup', 'vm-1', '--force', '--config', config], { env });
    expect(forced.code).toBe(1);
    expect(forced.stderr).not.toMatch(/monthly budget/);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/start$/)).toHaveLength(1);
  });
});
