import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ComputeApi } from '../../src/providers/gce/compute-api.js';
import { discoverWorkerVms, listGceWorkers, WORKER_FILTER } from '../../src/providers/gce/discovery.js';
import { GceError } from '../../src/providers/gce/errors.js';
import { createGceProvider } from '../../src/providers/gce/provider.js';
import { SshPool } from '../../src/ssh/pool.js';
import { forbidden, quotaExceeded, quotaOperationError, startComputeApi, stockoutOperationError, type ComputeApiFake } from '../harness/compute-api.js';
import { emptySshConfig, gceWorker, PROJECT, testDeps, ZONE } from '../harness/compute/gce-worker.js';
import { run } from '../harness/process.js';

/** The Compute API calls (REST through google-auth-library) against the local Compute server: exact requests, real error bodies. */
describe('GCE providers and the Compute API', () => {
  let fake: ComputeApiFake;
  let dir: string;
  let pool: SshPool;
  let publicKey: string;
  let identityFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-gce-api-'));
    identityFile = join(dir, 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@laptop', '-f', identityFile]);
    publicKey = (await run('cat', [`${identityFile}.pub`])).stdout.trim();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fake = await startComputeApi({ delays: { provisioning: 30, staging: 30, stopping: 30, deleting: 30 } });
    pool = new SshPool({ agent: '' });
  });
  afterEach(async () => {
    await pool.close();
    await fake.close();
  });

  const provider = async (entry: Record<string, unknown>) =>
    createGceProvider(
      // Nothing answers SSH for these VMs (port 1 is closed), and no IAP: provisioning stops at the SSH stage.
      gceWorker({ sshConfigFile: await emptySshConfig(dir), ssh: { host: '127.0.0.1', port: 1, user: 'alice', identityFile }, iap: { enabled: false }, ...entry }),
      testDeps(fake, pool, dir, { timeouts: { operation: 3000, state: 3000, ssh: 500, ready: 500 } }),
    );

  describe('the insert body', () => {
    it('COS by default: cos-stable, 200 GB pd-balanced, worker label, least-privilege scopes, no external IP, user-data', async () => {
      const cos = await provider({ name: 'gcli-worker', provider: 'gce-cos' });
      await cos.provision().catch(() => undefined); // stops at the SSH stage: nothing backs this VM
      const [insert] = fake.requestsTo('POST', /\/instances$/);
      expect(insert!.path).toBe(`/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances`);
      const body = insert!.body as { metadata: { items: { key: string; value: string }[] } };
      expect(body).toEqual({
        name: 'gcli-worker',
        machineType: `zones/${ZONE}/machineTypes/e2-standard-4`,
        labels: { 'mission-control': 'worker' },
        tags: { items: ['mission-control-worker'] },
        disks: [
          {
            autoDelete: true,
            boot: true,
            type: 'PERSISTENT',
            deviceName: 'gcli-worker',
            initializeParams: {
              diskName: 'gcli-worker',
              diskSizeGb: '200',
              diskType: `zones/${ZONE}/diskTypes/pd-balanced`,
              sourceImage: 'projects/cos-cloud/global/images/family/cos-stable',
              labels: { 'mission-control': 'worker' },
            },
          },
        ],
        // No accessConfigs: no external IP.
        networkInterfaces: [{ network: 'global/networks/default' }],
        serviceAccounts: [
          {
            email: 'default',
            scopes: [
              'https://www.googleapis.com/auth/devstorage.read_only',
              'https://www.googleapis.com/auth/logging.write',
              'https://www.googleapis.com/auth/monitoring.write',
            ],
          },
        ],
        metadata: {
          items: [
            { key: 'user-data', value: expect.stringMatching(/^#cloud-config\n/) },
            { key: 'google-logging-enabled', value: 'true' },
            { key: 'enable-guest-attributes', value: 'TRUE' },
            { key: 'ssh-keys', value: `alice:${publicKey}` },
          ],
        },
        scheduling: { automaticRestart: true, onHostMaintenance: 'MIGRATE' },
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
      });

      const userData = parse(body.metadata.items[0]!.value) as {
        write_files: { path: string; permissions: string; owner: string; content: string }[];
        runcmd: string[];
      };
      expect(userData.runcmd).toEqual(['systemctl daemon-reload', 'systemctl start mission-control-exec-mounts.service', 'systemctl start mission-control-worker.service']);
      expect(userData.write_files.map((f) => [f.path, f.permissions, f.owner])).toEqual([
        ['/var/lib/mission-control/start-worker.sh', '0644', 'root'],
        ['/etc/systemd/system/mission-control-worker.service', '0644', 'root'],
        ['/etc/systemd/system/mission-control-exec-mounts.service', '0644', 'root'],
        ['/etc/systemd/system/docker.service.d/mission-control.conf', '0644', 'root'],
      ]);
      const script = userData.write_files[0]!.content.split('\n');
      const dockerRun = script.map((line) => line.trim()).filter((line) => line.startsWith('docker run'));
      // The mounts are resolved on the VM (the user's home from getent): the directories are listed, the run uses them.
      expect(dockerRun).toEqual([
        'docker run -d --restart always --name maintainer-worker "${mounts[@]}" us-docker.pkg.dev/gemini-code-dev/gemini-cli/maintainer:latest >/dev/null',
      ]);
      expect(script.some((line) => line.includes('dirs=(') && line.includes('dev') && line.includes('.gemini') && line.includes('.offload'))).toBe(true);
      expect(script).toContain('  docker-credential-gcr configure-docker --registries=us-docker.pkg.dev >/dev/null');
      expect(script.at(-2)).toBe('date -u +%Y-%m-%dT%H:%M:%SZ >"$state/ready"');
      expect(userData.write_files[1]!.content).toContain('ExecStart=/bin/bash /var/lib/mission-control/start-worker.sh\n');
    });

    it('Linux with options: startup-script, debian-12, external IP, subnet, labels, explicit scopes, service account', async () => {
      const linux = await provider({
        name: 'box',
        provider: 'gce-linux',
        machineType: 'n2-standard-8',
        bootDisk: { sizeGb: 300, type: 'pd-ssd' },
        externalIp: true,
        network: 'work',
        subnet: 'work-us',
        labels: { team: 'cli' },
        serviceAccount: { email: 'worker@mc-test-project.iam.gserviceaccount.com', scopes: ['storage-ro', 'cloud-platform'] },
      });
      await linux.provision().catch(() => undefined);
      const body = fake.requestsTo('POST', /\/instances$/)[0]!.body as Record<string, unknown>;
      expect(body).toMatchObject({
        machineType: `zones/${ZONE}/machineTypes/n2-standard-8`,
        labels: { team: 'cli', 'mission-control': 'worker' },
        networkInterfaces: [
          {
            network: 'global/networks/work',
            subnetwork: 'regions/us-central1/subnetworks/work-us',
            accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT', networkTier: 'PREMIUM' }],
          },
        ],
        serviceAccounts: [
          {
            email: 'worker@mc-test-project.iam.gserviceaccount.com',
            scopes: ['https://www.googleapis.com/auth/devstorage.read_only', 'https://www.googleapis.com/auth/cloud-platform'],
          },
        ],
      });
      expect((body.disks as { initializeParams: object }[])[0]!.initializeParams).toMatchObject({
        diskSizeGb: '300',
        diskType: `zones/${ZONE}/diskTypes/pd-ssd`,
        sourceImage: 'projects/debian-cloud/global/images/family/debian-12',
      });
      const items = (body.metadata as { items: { key: string; value: string }[] }).items;
      expect(items.map((i) => i.key)).toEqual(['startup-script', 'enable-guest-attributes', 'ssh-keys']);
      const script = items[0]!.value;
      expect(script).not.toContain('docker');
      expect(script).toContain('command -v tmux >/dev/null 2>&1 || missing="$missing tmux"');
    });
  });

  describe('errors a person can act on', () => {
    it('409: the VM already exists', async () => {
      fake.world.addInstance(PROJECT, ZONE, { name: 'taken' }, 'TERMINATED');
      const error = await (await provider({ name: 'taken', provider: 'gce-cos' })).provision().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GceError);
      expect(error).toMatchObject({ kind: 'exists', status: 409, reason: 'alreadyExists' });
      expect((error as Error).message).toBe(
        `taken: creating the VM failed: VM taken already exists in ${PROJECT}/${ZONE}. ` +
          'Start the existing VM, rebuild the worker to delete and recreate it, or set `instance:` to another name in the config',
      );
    });

    it('403 quota at request time (the real body with ErrorInfo QUOTA_EXCEEDED)', async () => {
      fake.failRequests('POST', /\/instances$/, quotaExceeded('CPUS', 8, 'us-central1'));
      const error = await (await provider({ name: 'vm', provider: 'gce-cos' })).provision().catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'quota', status: 403 });
      expect((error as Error).message).toBe(
        `vm: creating the VM failed: quota exceeded in project ${PROJECT} (Quota 'CPUS' exceeded.  Limit: 8.0 in region us-central1.). ` +
          'Stop or delete VMs you no longer need, choose a smaller machineType or another region, or request more quota at ' +
          `https://console.cloud.google.com/iam-admin/quotas?project=${PROJECT}`,
      );
    });

    it('quota reported by the insert operation (QUOTA_EXCEEDED), and a zone out of capacity', async () => {
      fake.world.failNextOperation('insert', quotaOperationError('SSD_TOTAL_GB', 500, 'us-central1'));
      const quota = await (await provider({ name: 'vm', provider: 'gce-cos' })).provision().catch((e: unknown) => e);
      expect(quota).toMatchObject({ kind: 'quota', reason: 'QUOTA_EXCEEDED', status: 403 });
      expect((quota as Error).message).toContain("quota exceeded in project mc-test-project (Quota 'SSD_TOTAL_GB' exceeded.  Limit: 500.0");
      expect(fake.instance(PROJECT, ZONE, 'vm')).toBeUndefined();

      fake.world.failNextOperation('insert', stockoutOperationError(ZONE, 'c3-standard-88'));
      const stockout = await (await provider({ name: 'vm', provider: 'gce-cos', machineType: 'c3-standard-88' })).provision().catch((e: unknown) => e);
      expect(stockout).toMatchObject({ kind: 'stockout' });
      expect((stockout as Error).message).toMatch(
        /^vm: creating the VM failed: zone us-central1-a has no capacity for c3-standard-88 right now \(.*\)\. Try again later, or set another zone or machineType/,
      );
    });

    it('403 permission denied names the role to ask for', async () => {
      fake.failRequests('POST', /\/instances$/, forbidden('compute.instances.create', `projects/${PROJECT}/zones/${ZONE}/instances/vm`));
      const error = await (await provider({ name: 'vm', provider: 'gce-linux' })).provision().catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'permission', status: 403, reason: 'forbidden' });
      expect((error as Error).message).toMatch(
        /^vm: creating the VM failed: permission denied in project mc-test-project \(Required 'compute\.instances\.create' permission for .*\)\. .*roles\/compute\.instanceAdmin\.v1/,
      );
    });

    it('404: a missing VM is `missing`, and operations on it say to provision it', async () => {
      const api = new ComputeApi({ client: fake.clientOptions() });
      expect(await api.getInstance({ project: PROJECT, zone: ZONE, instance: 'ghost' })).toBeUndefined();
      const error = await api.lifecycle({ project: PROJECT, zone: ZONE, instance: 'ghost' }, 'start').catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'not-found', status: 404, reason: 'notFound' });
      expect((error as Error).message).toBe(
        `starting the VM failed: VM ghost does not exist in ${PROJECT}/${ZONE} (The resource 'projects/${PROJECT}/zones/${ZONE}/instances/ghost' was not found). ` +
          'Provision the worker to create it, or check project, zone and instance in the config',
      );
      const ghost = await provider({ name: 'ghost', provider: 'gce-linux' });
      expect(await ghost.getStatus()).toEqual({ state: 'missing', detail: 'not found' });
      await expect(ghost.stop()).rejects.toThrow('ghost: VM ghost does not exist');
      await expect(ghost.exec({ argv: ['true'] })).rejects.toThrow('ghost: VM ghost does not exist in mc-test-project/us-central1-a (provision the worker to create it)');
      await api.close();
    });

    it('no credentials: a message about Application Default Credentials, not a crash; the API unreachable: says so', async () => {
      const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
      process.env.GOOGLE_APPLICATION_CREDENTIALS = join(dir, 'no-such-key.json');
      try {
        const api = new ComputeApi({ client: { apiEndpoint: '127.0.0.1', port: fake.port, protocol: 'http' } });
        const error = await api.getInstance({ project: PROJECT, zone: ZONE, instance: 'vm' }).catch((e: unknown) => e);
        expect(error).toMatchObject({ kind: 'credentials' });
        expect((error as Error).message).toMatch(/^reading the VM failed: no usable Google Cloud credentials \(.*\)\. mission-control uses Application Default Credentials: run `gcloud auth application-default login`/);
      } finally {
        if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
        else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
      }
      const closed = new ComputeApi({ client: { ...fake.clientOptions(), port: 1 } });
      await expect(closed.getInstance({ project: PROJECT, zone: ZONE, instance: 'vm' })).rejects.toMatchObject({ kind: 'unreachable' });

      // For the dashboard it is a status, not a failed refresh.
      const worker = createGceProvider(gceWorker({ name: 'vm', provider: 'gce-linux' }), { ...testDeps(fake, pool, dir), compute: closed });
      expect(await worker.getStatus()).toEqual({
        state: 'unknown',
        detail: 'Compute API: reading the VM failed: cannot reach the Compute API (ECONNREFUSED)',
      });
    });
  });

  describe('listing workers by label', () => {
    it('finds labelled VMs in every zone (aggregatedList) or in given zones, and tells configured from not configured', async () => {
      const label = { 'mission-control': 'worker' };
      fake.world.addInstance(PROJECT, ZONE, { name: 'a', labels: label, machineType: `zones/${ZONE}/machineTypes/e2-standard-4` }, 'RUNNING');
      fake.world.addInstance(PROJECT, 'europe-west1-b', { name: 'b', labels: label, machineType: 'zones/europe-west1-b/machineTypes/n2-standard-2' }, 'TERMINATED');
      fake.world.addInstance(PROJECT, ZONE, { name: 'unrelated', labels: { team: 'x' } }, 'RUNNING');
      fake.world.addInstance('other-project', ZONE, { name: 'elsewhere', labels: label }, 'RUNNING');
      const api = new ComputeApi({ client: fake.clientOptions() });

      const all = await listGceWorkers(api, PROJECT);
      expect(all.map((vm) => [vm.zone, vm.instance, vm.status.state, vm.machineType])).toEqual([
        ['europe-west1-b', 'b', 'stopped', 'n2-standard-2'],
        [ZONE, 'a', 'running', 'e2-standard-4'],
      ]);
      const [aggregated] = fake.requestsTo('GET', /\/aggregated\/instances$/);
      expect(aggregated!.query).toEqual({ filter: WORKER_FILTER, returnPartialSuccess: 'true' });
      expect(WORKER_FILTER).toBe('labels.mission-control = "worker"');

      expect((await listGceWorkers(api, PROJECT, [ZONE])).map((vm) => vm.instance)).toEqual(['a']);
      expect(fake.requestsTo('GET', new RegExp(`/zones/${ZONE}/instances$`))[0]!.query).toEqual({ filter: WORKER_FILTER });

      const found = await discoverWorkerVms(api, [{ name: 'alpha', project: PROJECT, zone: ZONE, instance: 'a' }]);
      expect(found.map((vm) => [vm.instance, vm.worker])).toEqual([
        ['b', undefined],
        ['a', 'alpha'],
      ]);
      await api.close();
    });
  });

  it('reads published host keys from guest attributes (404 when none)', async () => {
    const api = new ComputeApi({ client: fake.clientOptions() });
    const vm = fake.world.addInstance(PROJECT, ZONE, { name: 'keys' });
    const ref = { project: PROJECT, zone: ZONE, instance: 'keys' };
    expect(await api.guestAttributes(ref, 'hostkeys/')).toEqual([]);
    vm.guestAttributes = [
      { namespace: 'hostkeys', key: 'ssh-ed25519', value: 'AAAAC3NzaC1lZDI1NTE5AAAAIB' },
      { namespace: 'other', key: 'x', value: 'y' },
    ];
    expect(await api.guestAttributes(ref, 'hostkeys/')).toEqual([{ namespace: 'hostkeys', key: 'ssh-ed25519', value: 'AAAAC3NzaC1lZDI1NTE5AAAAIB' }]);
    const [request] = fake.requestsTo('GET', /getGuestAttributes$/);
    expect(request!.path).toBe(`/compute/v1/projects/${PROJECT}/zones/${ZONE}/instances/keys/getGuestAttributes`);
    expect(request!.query).toEqual({ queryPath: 'hostkeys/' });
    await writeFile(join(dir, 'unused'), '');
    await api.close();
  });
});
