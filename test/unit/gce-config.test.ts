import { describe, expect, it } from 'vitest';
import { formatConfigError } from '../../src/config/config-error.js';
import { DEFAULT_SCOPES } from '../../src/config/gce-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_SETTINGS } from '../../src/config/schema.js';
import { buildInstanceBody } from '../../src/providers/gce/instance-body.js';

const load = (text: string) => parseConfig(text, 'config.yaml');
const errors = (text: string) => {
  const result = load(text);
  if (result.ok) throw new Error('expected errors, got a config');
  return result.errors.map(formatConfigError);
};
const worker = (text: string) => {
  const result = load(text);
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
  return result.config.workers[0];
};

describe('GCE worker config', () => {
  it('spot: true makes a Spot VM that GCE stops (not deletes) when it preempts it, with no restart or maintenance settings', () => {
    const yaml = (spot: string) => `workers:\n  - name: cheap\n    provider: gce-linux\n    project: my-project\n    zone: us-central1-a\n${spot}`;
    const spot = worker(yaml('    spot: true\n'));
    if (spot?.provider !== 'gce-linux') throw new Error('not a GCE worker');
    expect(spot.spot).toBe(true);
    expect(buildInstanceBody({ kind: 'gce-linux', worker: spot, user: 'alice' }).scheduling).toEqual({ provisioningModel: 'SPOT', instanceTerminationAction: 'STOP' });
    const standard = worker(yaml(''));
    if (standard?.provider !== 'gce-linux') throw new Error('not a GCE worker');
    expect(buildInstanceBody({ kind: 'gce-linux', worker: standard, user: 'alice' }).scheduling).toEqual({ automaticRestart: true, onHostMaintenance: 'MIGRATE' });
    expect(errors(yaml('    spot: yes please\n'))).toEqual([expect.stringMatching(/workers\[0\]\.spot: expected true or false/)]);
  });

  it('a COS worker needs only project and zone: the mandate is the default', () => {
    expect(worker('workers:\n  - name: gcli-worker\n    provider: gce-cos\n    project: my-project\n    zone: us-central1-a\n')).toEqual({
      ...DEFAULT_SETTINGS,
      name: 'gcli-worker',
      provider: 'gce-cos',
      project: 'my-project',
      zone: 'us-central1-a',
      instance: 'gcli-worker',
      machineType: 'e2-standard-4',
      bootDisk: { sizeGb: 200, type: 'pd-balanced' },
      image: { project: 'cos-cloud', family: 'cos-stable' },
      network: 'default',
      labels: { 'mission-control': 'worker' },
      serviceAccount: { email: 'default', scopes: DEFAULT_SCOPES },
      externalIp: false,
      egressCheck: 'refuse',
      spot: false,
      ssh: {},
      iap: { enabled: true, command: 'gcloud' },
      container: {
        name: 'maintainer-worker',
        runtime: 'docker',
        image: 'us-docker.pkg.dev/gemini-code-dev/gemini-cli/maintainer:latest',
        mounts: ['~/dev', '~/.gemini', '~/.offload'],
      },
    });
    expect(DEFAULT_SCOPES).not.toContain('https://www.googleapis.com/auth/cloud-platform');
  });

  it('a Linux worker has no container unless configured, and a Debian image', () => {
    const linux = worker('workers:\n  - name: box\n    provider: gce-linux\n    project: my-project\n    zone: europe-west1-b\n');
    expect(linux).toMatchObject({ provider: 'gce-linux', image: { project: 'debian-cloud', family: 'debian-12' } });
    expect(linux).not.toHaveProperty('container');
    const withContainer = worker(
      'workers:\n  - name: box\n    provider: gce-linux\n    project: my-project\n    zone: europe-west1-b\n    container: { image: ghcr.io/me/worker:1 }\n',
    );
    expect(withContainer?.container).toEqual({ name: 'maintainer-worker', runtime: 'docker', image: 'ghcr.io/me/worker:1', mounts: ['~/dev', '~/.gemini', '~/.offload'] });
  });

  it('takes every option, keeps the worker label whatever labels say, expands scope aliases', () => {
    const text = [
      'workers:',
      '  - name: big',
      '    provider: gce-cos',
      '    project: example.com:my-project',
      '    zone: us-east1-c',
      '    instance: big-worker',
      '    machineType: n2-standard-16',
      '    bootDisk: { sizeGb: 500, type: pd-ssd }',
      '    image: { project: cos-cloud, name: cos-113-18244-1-2 }',
      '    network: work',
      '    subnet: projects/host-project/regions/us-east1/subnetworks/work',
      '    labels: { team: cli, mission-control: something-else }',
      '    serviceAccount: { email: worker@my-project.iam.gserviceaccount.com, scopes: [storage-ro, "https://www.googleapis.com/auth/pubsub"] }',
      '    externalIp: true',
      '    ssh: gcli-worker',
      '    iap: { enabled: false, command: /opt/google-cloud-sdk/bin/gcloud }',
      '    pricing: { machinePerHour: 0.5, diskPerGbMonth: 0.2 }',
      '    container: { name: wk, image: us-docker.pkg.dev/p/r/i:2, mounts: [~/dev, /data], command: [sleep, infinity] }',
      '    pollInterval: 5s',
    ].join('\n');
    expect(worker(text)).toMatchObject({
      project: 'example.com:my-project',
      instance: 'big-worker',
      machineType: 'n2-standard-16',
      bootDisk: { sizeGb: 500, type: 'pd-ssd' },
      image: { project: 'cos-cloud', name: 'cos-113-18244-1-2' },
      subnet: 'projects/host-project/regions/us-east1/subnetworks/work',
      labels: { team: 'cli', 'mission-control': 'worker' },
      serviceAccount: {
        email: 'worker@my-project.iam.gserviceaccount.com',
        scopes: ['https://www.googleapis.com/auth/devstorage.read_only', 'https://www.googleapis.com/auth/pubsub'],
      },
      externalIp: true,
      ssh: { alias: 'gcli-worker' },
      iap: { enabled: false, command: '/opt/google-cloud-sdk/bin/gcloud' },
      pricing: { machinePerHour: 0.5, diskPerGbMonth: 0.2 },
      container: { name: 'wk', runtime: 'docker', image: 'us-docker.pkg.dev/p/r/i:2', mounts: ['~/dev', '/data'], command: ['sleep', 'infinity'] },
      pollIntervalMs: 5000,
    });
  });

  it('refuses pd-extreme (it needs provisioned IOPS), SSH users that are not Linux user names, and unknown egress checks', () => {
    const text = [
      'workers:', // 1
      '  - name: a', // 2
      '    provider: gce-cos', // 3
      '    project: my-project', // 4
      '    zone: us-central1-a', // 5
      '    bootDisk: { type: pd-extreme }', // 6
      '    ssh: { user: Alice.Smith }', // 7
      '    egressCheck: maybe', // 8
    ].join('\n');
    expect(errors(text)).toEqual([
      'config.yaml:6:23: workers[0].bootDisk.type: expected `pd-balanced`, `pd-ssd` or `pd-standard`, got "pd-extreme"',
      "config.yaml:7:18: workers[0].ssh.user: expected a Linux user name: a lowercase letter or '_', then up to 31 lowercase letters, digits, '_' or '-', got \"Alice.Smith\"",
      'config.yaml:8:18: workers[0].egressCheck: expected `refuse`, `warn` or `off`, got "maybe"',
    ]);
    const ok = worker('workers:\n  - name: a\n    provider: gce-linux\n    project: my-project\n    zone: us-central1-a\n    ssh: { user: alice_example_com }\n    egressCheck: warn\n');
    expect(ok).toMatchObject({ ssh: { user: 'alice_example_com' }, egressCheck: 'warn' });
  });

  it('names file:line:column and field for every mistake, with what was expected', () => {
    const text = [
      'workers:', // 1
      '  - name: a', // 2
      '    provider: gce-cos', // 3
      '    project: my-project', // 4
      '    zone: us-central1', // 5
      '    machinType: e2-small', // 6
      '    bootDisk: { sizeGB: 100, type: pd-fast }', // 7
      '    image: { project: cos-cloud, family: cos-stable, name: x }', // 8
      '    labels: { Team: x }', // 9
      '    serviceAccount: { scopes: [everything] }', // 10
      '    container: { mounts: [dev] }', // 11
      '  - name: Not_A_VM_Name', // 12
      '    provider: gce-linux', // 13
      '    project: my-project', // 14
      '    zone: us-central1-a', // 15
    ].join('\n');
    expect(errors(text)).toEqual([
      'config.yaml:5:11: workers[0].zone: expected a zone such as us-central1-a, got "us-central1"',
      'config.yaml:6:5: workers[0].machinType: unknown field `machinType`; did you mean `machineType`?',
      'config.yaml:7:17: workers[0].bootDisk.sizeGB: unknown field `sizeGB`; did you mean `sizeGb`?',
      'config.yaml:7:36: workers[0].bootDisk.type: expected `pd-balanced`, `pd-ssd` or `pd-standard`, got "pd-fast"',
      'config.yaml:8:12: workers[0].image: expected exactly one of `family` or `name`',
      'config.yaml:9:21: workers[0].labels.Team: expected a label key: 1-63 lowercase letters, digits, \'_\' or \'-\', starting with a letter, got "Team"',
      "config.yaml:10:32: workers[0].serviceAccount.scopes[0]: expected a scope URL or one of gcloud's aliases (storage-ro, storage-rw, storage-full, logging-write, monitoring-write, monitoring, trace, compute-ro, compute-rw, cloud-platform, cloud-source-repos-ro, pubsub, userinfo-email), got \"everything\"",
      'config.yaml:11:27: workers[0].container.mounts[0]: expected a directory as ~/path or /absolute/path, without spaces, \':\' or \',\', got "dev"',
      'config.yaml:12:5: workers[1].instance: missing required field `instance`; expected a GCE instance name: 1-63 lowercase letters, digits or \'-\', starting with a letter and not ending with \'-\'; the worker name "Not_A_VM_Name" cannot be used as one',
    ]);
  });

  it('requires project and zone', () => {
    expect(errors('workers:\n  - name: a\n    provider: gce-linux\n')).toEqual([
      "config.yaml:2:5: workers[0].project: missing required field `project`; expected a GCP project id: 6-30 lowercase letters, digits or '-', starting with a letter",
      'config.yaml:2:5: workers[0].zone: missing required field `zone`; expected a zone such as us-central1-a',
    ]);
  });
});
