import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  bootMetadata,
  bootScript,
  cloudInitUserData,
  containerRunLines,
  mountWord,
  googleRegistry,
  vmHome,
} from '../../src/providers/gce/bootstrap.js';
import { buildInstanceBody, regionOf, sourceImage } from '../../src/providers/gce/instance-body.js';
import type { GceContainerConfig } from '../../src/config/gce-schema.js';

const container: GceContainerConfig = {
  name: 'maintainer-worker',
  runtime: 'docker',
  image: 'us-docker.pkg.dev/gemini-code-dev/gemini-cli/maintainer:latest',
  mounts: ['~/dev', '~/.gemini', '~/.offload', '/srv/cache'],
};

/** `bash -n`: the script parses. */
function bashSyntax(script: string): string {
  const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  return `${result.status} ${result.stderr}`.trim();
}

describe('the boot script and its wrappers', () => {
  it('mounts each directory and the user\'s home at the same path inside the container, ~ being the home the VM knows', () => {
    expect(vmHome('alice')).toBe('/home/alice');
    expect(vmHome('root')).toBe('/root');
    // What bash makes of the generated lines, with a docker that prints its argv.
    const run = (user: string, home: string, c: GceContainerConfig) => {
      const script = [
        'exec 3>&1',
        'docker() { printf "%s\\0" "$@" >&3; }',
        `user=${user}; home=${home}`,
        `dirs=(${c.mounts.map(mountWord).join(' ')})`,
        ...containerRunLines(c),
      ].join('\n');
      const result = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
      return result.stdout.split('\0').slice(0, -1);
    };
    expect(run('alice', "'/home/a b'", { ...container, mounts: ['~', ...container.mounts], command: ['sleep', 'infinity'] })).toEqual([
      'run', '-d', '--restart', 'always', '--name', 'maintainer-worker',
      '-v', '/home/a b:/home/a b',
      '-v', '/home/a b/dev:/home/a b/dev',
      '-v', '/home/a b/.gemini:/home/a b/.gemini',
      '-v', '/home/a b/.offload:/home/a b/.offload',
      '-v', '/srv/cache:/srv/cache',
      'us-docker.pkg.dev/gemini-code-dev/gemini-cli/maintainer:latest', 'sleep', 'infinity',
    ]);
    // root's home is the image's own; anyone else's is mounted so that `~` inside is theirs.
    expect(run('root', '/root', { ...container, mounts: ['~/dev'] })).toEqual([
      'run', '-d', '--restart', 'always', '--name', 'maintainer-worker', '-v', '/root/dev:/root/dev', container.image,
    ]);
  });

  it('configures registry credentials only for Google registries', () => {
    expect(googleRegistry('us-docker.pkg.dev/p/r/i:1')).toBe('us-docker.pkg.dev');
    expect(googleRegistry('gcr.io/p/i')).toBe('gcr.io');
    expect(googleRegistry('eu.gcr.io/p/i')).toBe('eu.gcr.io');
    expect(googleRegistry('ghcr.io/me/i')).toBeUndefined();
    expect(googleRegistry('local/worker')).toBeUndefined();
    expect(bootScript({ kind: 'gce-cos', user: 'alice', container: { ...container, image: 'ghcr.io/me/i' } })).not.toContain('docker-credential-gcr');
  });

  it('every variant is valid bash, writes `ready` last and `failed` on error', () => {
    const variants = [
      bootScript({ kind: 'gce-cos', user: 'alice', container }),
      bootScript({ kind: 'gce-linux', user: 'alice' }),
      bootScript({ kind: 'gce-linux', user: "o'brien", container }),
    ];
    for (const script of variants) {
      expect(bashSyntax(script)).toBe('0');
      expect(script.trimEnd().split('\n').at(-1)).toBe('date -u +%Y-%m-%dT%H:%M:%SZ >"$state/ready"');
      expect(script).toContain(`trap 'echo "boot script failed at line $LINENO (exit $?): $BASH_COMMAND" >"$state/failed"' ERR`);
    }
    expect(variants[2]).toContain(`user='o'\\''brien'`);
    expect(variants[1]).not.toContain('docker');
    expect(variants[2]).toContain('DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq $missing');
    expect(variants[2]).toContain('apt-get -o DPkg::Lock::Timeout=300 update -qq');
    // Only COS mounts /home noexec.
    expect(variants[0]).toContain('mount -o remount,bind,exec,nosuid,nodev "$dir"');
    expect(variants[2]).not.toContain('remount');

  });

  it('COS gets cloud-init user-data (a systemd unit running the script); Linux a startup-script', () => {
    const userData = cloudInitUserData({ kind: 'gce-cos', user: 'alice', container, bootStateDir: '/run/mc' });
    expect(userData.startsWith('#cloud-config\n')).toBe(true);
    const doc = parse(userData) as { write_files: { path: string; content: string }[]; runcmd: string[] };
    expect(doc.write_files[0]!.content).toBe(bootScript({ kind: 'gce-cos', user: 'alice', container, bootStateDir: '/run/mc' }));
    expect(doc.write_files[1]!.content).toContain('After=network-online.target docker.service mission-control-exec-mounts.service');
    // /etc is a tmpfs on COS: the exec-mount unit and docker's drop-in are written at every boot, ordered before docker.
    expect(doc.write_files.slice(2).map((f) => [f.path, f.content.split('\n').filter((l) => /^(Before|After|Wants|ExecStart)=/.test(l))])).toEqual([
      ['/etc/systemd/system/mission-control-exec-mounts.service', ['Before=docker.service', 'ExecStart=/bin/bash /var/lib/mission-control/start-worker.sh exec-mounts']],
      ['/etc/systemd/system/docker.service.d/mission-control.conf', ['Wants=mission-control-exec-mounts.service', 'After=mission-control-exec-mounts.service']],
    ]);
    expect(doc.runcmd).toEqual(['systemctl daemon-reload', 'systemctl start mission-control-exec-mounts.service', 'systemctl start mission-control-worker.service']);
    expect(bootMetadata({ kind: 'gce-cos', user: 'alice', container }).map((i) => i.key)).toEqual(['user-data', 'google-logging-enabled']);
    expect(bootMetadata({ kind: 'gce-linux', user: 'alice' })).toEqual([{ key: 'startup-script', value: bootScript({ kind: 'gce-linux', user: 'alice' }) }]);
  });
});

describe('the insert body', () => {
  const worker = {
    zone: 'europe-west4-b',
    instance: 'w1',
    machineType: 'e2-standard-8',
    bootDisk: { sizeGb: 250, type: 'pd-balanced' as const },
    image: { project: 'my-images', name: 'worker-2025' },
    network: 'projects/host/global/networks/shared',
    subnet: 'projects/host/regions/europe-west4/subnetworks/shared-eu',
    labels: { 'mission-control': 'worker' },
    serviceAccount: { email: 'default', scopes: ['https://www.googleapis.com/auth/logging.write'] },
    externalIp: false,
  };

  it('uses full resource paths as given, names images by family or name', () => {
    expect(regionOf('europe-west4-b')).toBe('europe-west4');
    expect(sourceImage({ project: 'cos-cloud', family: 'cos-stable' })).toBe('projects/cos-cloud/global/images/family/cos-stable');
    const body = buildInstanceBody({ kind: 'gce-linux', worker, user: 'bob' });
    expect(body.networkInterfaces).toEqual([
      { network: 'projects/host/global/networks/shared', subnetwork: 'projects/host/regions/europe-west4/subnetworks/shared-eu' },
    ]);
    expect(body.disks?.[0]?.initializeParams?.sourceImage).toBe('projects/my-images/global/images/worker-2025');
    expect(body.metadata?.items?.map((i) => i.key)).toEqual(['startup-script', 'enable-guest-attributes']);
  });

  it('publishes the SSH key for the user when there is one', () => {
    const body = buildInstanceBody({ kind: 'gce-linux', worker, user: 'bob', sshPublicKey: 'ssh-ed25519 AAAAkey bob@laptop\n' });
    expect(body.metadata?.items?.at(-1)).toEqual({ key: 'ssh-keys', value: 'bob:ssh-ed25519 AAAAkey bob@laptop' });
  });
});
