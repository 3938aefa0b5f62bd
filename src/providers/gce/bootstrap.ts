/**
 * What a new VM runs at every boot to become a worker: make the SSH user and the mounted directories, start the
 * persistent container (`docker run -d --restart always`, host paths mounted at the same paths), then write a
 * readiness marker that mission-control checks over SSH. COS gets it as cloud-init `user-data` (a systemd unit,
 * the pattern Container-Optimized OS documents); Linux images as a `startup-script` (run by the guest agent every
 * GCE Linux image has, where cloud-init is not a given: Debian's images do not ship it). Pure.
 */
import { stringify } from 'yaml';
import type { GceContainerConfig, GceProviderKind } from '../../config/gce-schema.js';
import { shellJoin, shellQuote } from '../../ssh/quote.js';

/** Where the boot script keeps its state on the VM: under /run, so a marker is always from the current boot. */
export const DEFAULT_BOOT_STATE_DIR = '/run/mission-control';
/** Where cloud-init writes the boot script on COS (/var is writable and persistent there). */
export const BOOT_SCRIPT_PATH = '/var/lib/mission-control/start-worker.sh';
/** The systemd unit that runs the boot script on COS. */
export const BOOT_UNIT = 'mission-control-worker.service';

/** What the boot script needs to know. */
export interface BootstrapInput {
  readonly kind: GceProviderKind;
  /** The SSH user the worker's jobs run as; `~` in mounts is this user's home. */
  readonly user: string;
  readonly container?: GceContainerConfig;
  /** Where `ready` and `failed` are written; default {@link DEFAULT_BOOT_STATE_DIR}. */
  readonly bootStateDir?: string;
}

/** The home directory of `user` on a GCE image. */
export function vmHome(user: string): string {
  return user === 'root' ? '/root' : `/home/${user}`;
}

/** A mount as written (`~/dev`) as the absolute path on the VM. */
export function expandMount(mount: string, home: string): string {
  if (mount === '~') return home;
  return mount.startsWith('~/') ? `${home}/${mount.slice(2)}` : mount;
}

/** The `docker run` that starts the persistent container, as argv: each mount at the same path inside. */
export function containerRunArgv(container: GceContainerConfig, home: string): string[] {
  const mounts = container.mounts.map((mount) => expandMount(mount, home)).flatMap((path) => ['-v', `${path}:${path}`]);
  return ['docker', 'run', '-d', '--restart', 'always', '--name', container.name, ...mounts, container.image, ...(container.command ?? [])];
}

/** The registry host of an image reference, when it is one docker-credential-gcr serves. */
export function googleRegistry(image: string): string | undefined {
  const first = image.split('/')[0] ?? '';
  if (!first.includes('.') && !first.includes(':')) return undefined;
  return /(^|\.)gcr\.io$|-docker\.pkg\.dev$/.test(first) ? first : undefined;
}

/** The boot script: idempotent, run as root at every boot; it writes `ready` last, or `failed` with the reason. */
export function bootScript(input: BootstrapInput): string {
  const state = input.bootStateDir ?? DEFAULT_BOOT_STATE_DIR;
  const home = vmHome(input.user);
  const q = shellQuote;
  const lines = [
    '#!/bin/bash',
    '# Written by mission-control when it provisioned this VM; runs at every boot.',
    'set -euo pipefail',
    `state=${q(state)}`,
    'mkdir -p "$state"',
    'rm -f "$state/ready" "$state/failed"',
    `trap 'echo "boot script failed at line $LINENO (exit $?): $BASH_COMMAND" >"$state/failed"' ERR`,
    `user=${q(input.user)}`,
    `home=${q(home)}`,
    'if [ "$user" != root ] && ! id -u "$user" >/dev/null 2>&1; then',
    '  useradd --create-home --home-dir "$home" --shell /bin/bash --user-group "$user"',
    'fi',
  ];
  if (input.kind === 'gce-linux') lines.push(...linuxPackages(input.container !== undefined));
  const container = input.container;
  if (container) {
    const dirs = container.mounts.map((mount) => expandMount(mount, home));
    lines.push(
      'if getent group docker >/dev/null && [ "$user" != root ]; then usermod -aG docker "$user"; fi',
      `for dir in ${dirs.map(q).join(' ')}; do`,
      '  mkdir -p "$dir"',
      '  if [ "$user" != root ]; then chown "$user:" "$dir"; fi',
      'done',
    );
    const registry = googleRegistry(container.image);
    if (registry) {
      lines.push(
        '# Pull with the VM\'s service account; docker-credential-gcr writes the docker config under HOME.',
        'if command -v docker-credential-gcr >/dev/null 2>&1; then',
        '  export HOME=/var/lib/mission-control',
        '  mkdir -p "$HOME"',
        `  docker-credential-gcr configure-docker --registries=${q(registry)} >/dev/null`,
        'fi',
      );
    }
    lines.push(
      `if ! docker container inspect ${q(container.name)} >/dev/null 2>&1; then`,
      `  ${shellJoin(containerRunArgv(container, home))} >/dev/null`,
      'fi',
      `docker start ${q(container.name)} >/dev/null`,
      `test "$(docker container inspect --format '{{.State.Running}}' ${q(container.name)})" = true`,
    );
  }
  lines.push('date -u +%Y-%m-%dT%H:%M:%SZ >"$state/ready"', '');
  return lines.join('\n');
}

/** Linux images: docker when a container is configured, tmux and git when jobs run on the host. */
function linuxPackages(withContainer: boolean): string[] {
  const needs = withContainer ? ['docker:docker.io'] : ['tmux:tmux', 'git:git'];
  const missing = needs.map((need) => need.split(':'));
  return [
    'missing=""',
    ...missing.map(([command, pkg]) => `command -v ${command} >/dev/null 2>&1 || missing="$missing ${pkg}"`),
    'if [ -n "$missing" ]; then',
    '  if ! command -v apt-get >/dev/null 2>&1; then echo "install$missing on this image first" >&2; false; fi',
    '  apt-get update -qq',
    '  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing',
    'fi',
    ...(withContainer ? ['systemctl enable --now docker >/dev/null 2>&1 || true'] : []),
  ];
}

/** COS: cloud-init `user-data` that installs the boot script as a systemd unit and starts it (again at every boot). */
export function cloudInitUserData(input: BootstrapInput): string {
  const unit = [
    '[Unit]',
    'Description=mission-control worker (container and readiness marker)',
    'Wants=network-online.target docker.service',
    'After=network-online.target docker.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    // bash reads the script: /var may be mounted noexec.
    `ExecStart=/bin/bash ${BOOT_SCRIPT_PATH}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  const document = {
    write_files: [
      { path: BOOT_SCRIPT_PATH, permissions: '0644', owner: 'root', content: bootScript(input) },
      { path: `/etc/systemd/system/${BOOT_UNIT}`, permissions: '0644', owner: 'root', content: unit },
    ],
    runcmd: ['systemctl daemon-reload', `systemctl start ${BOOT_UNIT}`],
  };
  return `#cloud-config\n${stringify(document, { lineWidth: 0 })}`;
}

/** The metadata items that make the VM a worker: the boot script in the form its image runs. */
export function bootMetadata(input: BootstrapInput): { key: string; value: string }[] {
  if (input.kind === 'gce-cos') {
    return [
      { key: 'user-data', value: cloudInitUserData(input) },
      { key: 'google-logging-enabled', value: 'true' },
    ];
  }
  return [{ key: 'startup-script', value: bootScript(input) }];
}

/**
 * The check mission-control runs over SSH: prints `ready` (the boot script finished and the container runs),
 * `failed: <reason>` (the boot script failed), or `waiting: <what>`.
 */
export function readinessScript(bootStateDir: string, container: string | undefined): string {
  const lines = [
    `state=${shellQuote(bootStateDir)}`,
    'if [ -f "$state/failed" ]; then echo "failed: $(head -c 500 "$state/failed")"; exit 0; fi',
    'if [ ! -f "$state/ready" ]; then echo "waiting: the boot script has not finished"; exit 0; fi',
  ];
  if (container) {
    lines.push(
      `running=$(docker container inspect --format '{{.State.Running}}' ${shellQuote(container)} 2>/dev/null || true)`,
      `if [ "$running" != true ]; then echo ${shellQuote(`waiting: container ${container} is not running`)}; exit 0; fi`,
    );
  }
  lines.push('echo ready');
  return lines.join('\n');
}
