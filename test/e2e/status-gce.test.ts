import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComputeApi, type ComputeApiFake } from '../harness/compute-api.js';
import { run } from '../harness/process.js';
import { PROJECT, ZONE } from '../harness/compute/gce-worker.js';

const BIN = join(import.meta.dirname, '../../bin/mission-control.js');

/** Runs the real binary to its end. */
const runCli = (args: readonly string[], env: NodeJS.ProcessEnv) => run(process.execPath, [BIN, ...args], { env, allowFailure: true });

describe('mission-control status with GCE workers (real binary, real Compute client, local Compute API)', () => {
  let fake: ComputeApiFake;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    fake = await startComputeApi();
    dir = await mkdtemp(join(tmpdir(), 'mc-status-gce-'));
    const labels = { 'mission-control': 'worker' };
    // The configured VM is stopped; a second labelled VM is not in the config; an unlabelled one is someone else's.
    fake.world.addInstance(PROJECT, ZONE, { name: 'vm-1', machineType: `zones/${ZONE}/machineTypes/e2-standard-4`, labels }, 'TERMINATED');
    fake.world.addInstance(PROJECT, ZONE, { name: 'stray-vm', machineType: `zones/${ZONE}/machineTypes/e2-standard-8`, labels }, 'RUNNING');
    fake.world.addInstance(PROJECT, ZONE, { name: 'database', machineType: `zones/${ZONE}/machineTypes/e2-small` }, 'RUNNING');
    await writeFile(join(dir, 'ssh_config'), '');
    config = join(dir, 'config.yaml');
    await writeFile(
      config,
      [
        'workers:',
        '  - name: vm-1',
        '    provider: gce-linux',
        `    project: ${PROJECT}`,
        `    zone: ${ZONE}`,
        `    sshConfigFile: ${join(dir, 'ssh_config')}`,
        '    iap: { enabled: false }',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the stopped VM with its disk cost, the fleet cost, and the labelled VM that is not in the config', async () => {
    const result = await runCli(['status', '--json', '--config', config], { ...process.env, MISSION_CONTROL_COMPUTE_EMULATOR: fake.url, HOME: dir });
    expect(result.code, result.stderr).toBe(1);
    const doc = JSON.parse(result.stdout);
    const [vm] = doc.workers;
    expect(vm).toMatchObject({ name: 'vm-1', provider: 'gce-linux', connection: 'down', machine: 'stopped', machineDetail: 'TERMINATED' });
    expect(vm.lastError).toMatch(/vm-1/);
    expect(vm.costPerHour).toBe(vm.costEstimate.stoppedPerHour);
    expect(vm.costEstimate.stoppedPerHour).toBeGreaterThan(0);
    expect(doc.summary.costPerHour).toBeCloseTo(vm.costPerHour, 3);
    expect(doc.unmanagedVms).toEqual([
      { project: PROJECT, zone: ZONE, instance: 'stray-vm', machine: 'running', machineType: 'e2-standard-8' },
    ]);
    expect(fake.requestsTo('POST', /\/instances\/vm-1\/start$/)).toEqual([]);
  });

  it('off Google Cloud, without credentials, prints no MetadataLookupWarning from the auth library', async () => {
    // The metadata server the auth library probes for credentials: a local one that fails (as a network off
    // Google Cloud makes the real one fail), so no probe leaves loopback.
    const probes: string[] = [];
    const metadata = createServer((req, res) => {
      probes.push(req.url ?? '');
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
    const port = (metadata.address() as AddressInfo).port;
    // No credentials anywhere the library looks: no key file, no gcloud configuration, an empty HOME.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GOOGLE_|CLOUDSDK_|GCLOUD_|GCE_METADATA)/.test(key)));
    try {
      const result = await runCli(['status', '--config', config], { ...env, HOME: dir, GCE_METADATA_HOST: `127.0.0.1:${port}` });
      expect(result.stdout).toMatch(/^vm-1 /m);
      expect(probes.length, 'the auth library probed the metadata server').toBeGreaterThan(0);
      expect(result.stderr).not.toMatch(/MetadataLookupWarning|--trace-warnings/);
    } finally {
      metadata.close();
    }
  });
});

