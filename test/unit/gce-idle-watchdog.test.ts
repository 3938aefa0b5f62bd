import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bootScript, cloudInitUserData, WATCHDOG_SCRIPT_PATH, WATCHDOG_UNIT } from '../../src/providers/gce/bootstrap.js';
import { buildInstanceBody } from '../../src/providers/gce/instance-body.js';
import { DEFAULT_POWEROFF, idleWatchdogScript } from '../../src/providers/gce/idle-watchdog.js';
import type { GceContainerConfig } from '../../src/config/gce-schema.js';

const container: GceContainerConfig = { name: 'maintainer-worker', runtime: 'docker', image: 'img', mounts: ['~/dev'] };
const policy = { afterMs: 30 * 60_000, action: 'suspend' as const, waitingAfterMs: 2 * 3_600_000 };
const idle = { policy, tmuxSocketArgs: ['-L', 'mission-control'], stateDir: '~/.mission-control', sessionPrefix: 'mc' };

const syntax = (shell: string, script: string) => {
  const result = spawnSync(shell, ['-n'], { input: script, encoding: 'utf8' });
  return `${result.status} ${result.stderr}`.trim();
};

describe('the guest idle watchdog at provisioning', () => {
  it('COS: cloud-init writes the watchdog (root only) and its unit, and starts it after the boot unit', () => {
    const doc = parse(cloudInitUserData({ kind: 'gce-cos', user: 'alice', container, idle })) as {
      write_files: { path: string; permissions: string; content: string }[];
      runcmd: string[];
    };
    const script = doc.write_files.find((f) => f.path === WATCHDOG_SCRIPT_PATH)!;
    expect(script.permissions).toBe('0600');
    expect(syntax('sh', script.content)).toBe('0');
    // The very scan the dashboard runs, entering the container as the login user.
    expect(script.content).toContain('docker() { if [ "$1" = exec ]; then shift; set -- exec -u "$(id -u alice):$(id -g alice)"');
    expect(script.content).toContain(`power_off() { ${DEFAULT_POWEROFF}; }`);
    expect(script.content).toMatch(/^after=1800 waiting=7200\ngrace=900 every=60$/m);
    const unit = doc.write_files.find((f) => f.path === `/etc/systemd/system/${WATCHDOG_UNIT}`)!;
    expect(unit.content).toContain(`ExecStart=/bin/sh ${WATCHDOG_SCRIPT_PATH}\nRestart=always`);
    expect(doc.runcmd.at(-1)).toBe(`systemctl start ${WATCHDOG_UNIT}`);
    expect(cloudInitUserData({ kind: 'gce-cos', user: 'alice', container })).not.toContain(WATCHDOG_UNIT);
  });

  it('Linux: the startup script writes it from a quoted here-document and starts it once as a transient unit', () => {
    const script = bootScript({ kind: 'gce-linux', user: 'alice', idle });
    expect(syntax('bash', script)).toBe('0');
    expect(script).toContain(`cat >${WATCHDOG_SCRIPT_PATH} <<'MC_IDLE_WATCHDOG_EOF'\n#!/bin/sh\n`);
    expect(script).toContain(`systemctl is-active --quiet ${WATCHDOG_UNIT} || systemd-run --quiet --unit=${WATCHDOG_UNIT} /bin/sh ${WATCHDOG_SCRIPT_PATH}`);
    // No container: the scan runs as the login user on the host.
    expect(idleWatchdogScript({ ...idle, user: 'alice' })).toContain('out=$(runuser -u "$user" -- env HOME="$home" sh -c "$s" 2>&1)');
  });

  it('the instance body carries the watchdog only for a worker with an idle policy', () => {
    const worker = {
      zone: 'us-central1-a', instance: 'w', machineType: 'e2-standard-4', bootDisk: { sizeGb: 200, type: 'pd-balanced' as const },
      image: { project: 'cos-cloud', family: 'cos-stable' }, network: 'default', labels: {}, serviceAccount: { email: 'default', scopes: [] },
      externalIp: false, container,
    };
    const userData = (w: typeof worker & { idle?: typeof policy }) =>
      buildInstanceBody({ kind: 'gce-cos', worker: w, user: 'alice' }).metadata?.items?.find((i) => i.key === 'user-data')?.value ?? '';
    expect(userData({ ...worker, idle: policy })).toContain(WATCHDOG_UNIT);
    expect(userData(worker)).not.toContain(WATCHDOG_UNIT);
  });
});
