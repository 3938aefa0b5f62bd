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
import { idleWatchdogScript, type IdleWatchdogInput } from './idle-watchdog.js';

/** Where the boot script keeps its state on the VM: under /run, so a marker is always from the current boot. */
export const DEFAULT_BOOT_STATE_DIR = '/run/mission-control';
/** Where cloud-init writes the boot script on COS (/var is writable and persistent there). */
export const BOOT_SCRIPT_PATH = '/var/lib/mission-control/start-worker.sh';
/** The systemd unit that runs the boot script on COS. */
export const BOOT_UNIT = 'mission-control-worker.service';
/** The systemd unit that gives the mounted directories exec mounts before docker starts (COS). */
export const EXEC_MOUNTS_UNIT = 'mission-control-exec-mounts.service';
/** The boot script's argument that runs only the exec-mount step (what {@link EXEC_MOUNTS_UNIT} runs). */
export const EXEC_MOUNTS_ONLY = 'exec-mounts';

/** What the boot script needs to know. */
export interface BootstrapInput {
  readonly kind: GceProviderKind;
  /** The SSH user the worker's jobs run as; `~` in mounts is this user's home. */
  readonly user: string;
  readonly container?: GceContainerConfig;
  /** Where `ready` and `failed` are written; default {@link DEFAULT_BOOT_STATE_DIR}. */
  readonly bootStateDir?: string;
  /** The idle watchdog to run from boot, when the worker has an idle policy (user and container are the above). */
  readonly idle?: Omit<IdleWatchdogInput, 'user' | 'container'>;
}

/** Where the idle watchdog's script is written (read by `/bin/sh`: /var may be noexec). */
export const WATCHDOG_SCRIPT_PATH = '/var/lib/mission-control/idle-watchdog.sh';
/** The systemd unit the idle watchdog runs as. */
export const WATCHDOG_UNIT = 'mission-control-idle-watchdog.service';

/** The watchdog's script for this VM, when it has an idle policy. */
function watchdogOf(input: BootstrapInput): string | undefined {
  if (!input.idle) return undefined;
  return idleWatchdogScript({ ...input.idle, user: input.user, ...(input.container ? { container: input.container.name } : {}) });
}

/**
 * Linux: the startup script writes the watchdog and starts it as a transient unit (the startup script runs at every
 * boot, and a unit of its own outlives it). A quoted here-document: nothing in the script is expanded.
 */
function linuxWatchdogLines(script: string): string[] {
  const end = 'MC_IDLE_WATCHDOG_EOF';
  return [
    `mkdir -p ${shellQuote(WATCHDOG_SCRIPT_PATH.replace(/\/[^/]+$/, ''))}`,
    `cat >${shellQuote(WATCHDOG_SCRIPT_PATH)} <<'${end}'`,
    script.trimEnd(),
    end,
    `chmod 600 ${shellQuote(WATCHDOG_SCRIPT_PATH)}`,
    `systemctl is-active --quiet ${WATCHDOG_UNIT} || systemd-run --quiet --unit=${WATCHDOG_UNIT} /bin/sh ${shellQuote(WATCHDOG_SCRIPT_PATH)}`,
  ];
}

/** The home directory of `user` on a GCE image. */
export function vmHome(user: string): string {
  return user === 'root' ? '/root' : `/home/${user}`;
}

/** A mount as written (`~/dev`) as a shell word: `~` is the user's home as the VM knows it (`"$home"`). */
export function mountWord(mount: string): string {
  if (mount === '~') return '"$home"';
  return mount.startsWith('~/') ? `"$home"/${shellQuote(mount.slice(2))}` : shellQuote(mount);
}

/**
 * The `docker run` that starts the persistent container: each mount at the same path inside, and the user's home
 * too (jobs run with the user's ids and `HOME`, so `~` inside must exist and be theirs; root's is the image's own).
 * Shell lines that expect `dirs` (the mounts) and `home`.
 */
export function containerRunLines(container: GceContainerConfig): string[] {
  return [
    'mounts=()',
    'if [ "$user" != root ]; then mounts+=(-v "$home:$home"); fi',
    'for dir in "${dirs[@]}"; do',
    '  if [ "$user" = root ] || [ "$dir" != "$home" ]; then mounts+=(-v "$dir:$dir"); fi',
    'done',
    `docker run -d --restart always --name ${shellQuote(container.name)} "\${mounts[@]}" ${shellJoin([container.image, ...(container.command ?? [])])} >/dev/null`,
  ];
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
  const q = shellQuote;
  const lines = [
    '#!/bin/bash',
    '# Written by mission-control when it provisioned this VM; runs at every boot.',
    'set -euo pipefail',
    `state=${q(state)}`,
    'mkdir -p "$state"',
    // The exec-mount step alone (before docker starts) leaves the markers of the full run alone.
    `if [ "\${1:-}" != ${EXEC_MOUNTS_ONLY} ]; then rm -f "$state/ready" "$state/failed"; fi`,
    `trap 'echo "boot script failed at line $LINENO (exit $?): $BASH_COMMAND" >"$state/failed"' ERR`,
    `user=${q(input.user)}`,
    // The home as the VM knows it (an image or OS Login may put it elsewhere than /home/USER).
    'home=$(getent passwd "$user" | cut -d: -f6 || true)',
    `if [ -z "$home" ]; then home=${q(vmHome(input.user))}; fi`,
    'if [ "$user" != root ] && ! id -u "$user" >/dev/null 2>&1; then',
    '  useradd --create-home --home-dir "$home" --shell /bin/bash --user-group "$user"',
    'fi',
    // An OS Login user exists (through NSS) before its first login makes the home: it must own what is made here.
    'if [ ! -d "$home" ]; then mkdir -p "$home"; chown "$user:" "$home"; fi',
  ];
  if (input.kind === 'gce-linux') lines.push(...linuxPackages(input.container !== undefined));
  const container = input.container;
  if (container) {
    lines.push(
      `dirs=(${container.mounts.map(mountWord).join(' ')})`,
      'for dir in "${dirs[@]}"; do',
      '  mkdir -p "$dir"',
      '  if [ "$user" != root ]; then chown "$user:" "$dir"; fi',
      'done',
    );
    if (input.kind === 'gce-cos') lines.push(...execMountLines());
    lines.push(
      // An OS Login user is not in /etc/passwd, so usermod refuses it: then docker is used through sudo.
      'if getent group docker >/dev/null && [ "$user" != root ]; then',
      '  usermod -aG docker "$user" || echo "could not add $user to the docker group (an OS Login user?)" >&2',
      'fi',
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
      ...containerRunLines(container).map((line) => `  ${line}`),
      'fi',
      `docker start ${q(container.name)} >/dev/null`,
      ...(input.kind === 'gce-cos'
        ? [
            // Docker brought the restart-always container back before this boot's exec mounts existed.
            // No job survived the reboot, so the restart need not wait long for the container's processes.
            `if noexec_inside ${q(container.name)}; then docker restart -t 2 ${q(container.name)} >/dev/null; fi`,
          ]
        : []),
      `test "$(docker container inspect --format '{{.State.Running}}' ${q(container.name)})" = true`,
    );
  }
  lines.push('date -u +%Y-%m-%dT%H:%M:%SZ >"$state/ready"');
  const watchdog = input.kind === 'gce-linux' ? watchdogOf(input) : undefined;
  if (watchdog) lines.push(...linuxWatchdogLines(watchdog));
  lines.push('');
  return lines.join('\n');
}

/**
 * COS mounts /home `noexec`, and a docker bind mount keeps it: nothing under the mounted directories could run in
 * the container. Each directory gets a bind mount onto itself, remounted `exec` (still nosuid, nodev). Mounts do not
 * survive a reboot, so this runs at every boot: from {@link EXEC_MOUNTS_UNIT} before docker starts, and again here.
 */
function execMountLines(): string[] {
  return [
    'exec_mounts() {',
    '  local dir',
    '  for dir in "${dirs[@]}"; do',
    '    mountpoint -q "$dir" || mount --bind "$dir" "$dir"',
    '    mount -o remount,bind,exec,nosuid,nodev "$dir"',
    '  done',
    '}',
    '# Whether the container sees one of the directories noexec (it was started before exec_mounts ran).',
    'noexec_inside() {',
    '  local point options dir',
    '  while read -r _ _ _ _ point options _; do',
    '    for dir in "${dirs[@]}"; do',
    '      if [ "$point" = "$dir" ] && [[ ",$options," == *,noexec,* ]]; then return 0; fi',
    '    done',
    `  done < <(docker exec "$1" cat /proc/self/mountinfo 2>/dev/null)`,
    '  return 1',
    '}',
    'exec_mounts',
    `if [ "\${1:-}" = ${EXEC_MOUNTS_ONLY} ]; then exit 0; fi`,
  ];
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
    // On first boot the guest agent or unattended-upgrades may hold the dpkg lock: wait for it, not fail.
    '  apt-get -o DPkg::Lock::Timeout=300 update -qq',
    '  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq $missing',
    'fi',
    ...(withContainer ? ['systemctl enable --now docker >/dev/null 2>&1 || true'] : []),
  ];
}

/**
 * COS: cloud-init `user-data` that installs the boot script as a systemd unit and starts it. /etc is a tmpfs on COS
 * and cloud-init runs `user-data` at every boot, so the units are written again each time. The exec-mount unit is
 * ordered before docker (a drop-in makes every start of docker.service pull it in first), so a container docker
 * restarts on its own finds exec mounts too.
 */
export function cloudInitUserData(input: BootstrapInput): string {
  const unit = [
    '[Unit]',
    'Description=mission-control worker (container and readiness marker)',
    `Wants=network-online.target docker.service ${EXEC_MOUNTS_UNIT}`,
    `After=network-online.target docker.service ${EXEC_MOUNTS_UNIT}`,
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
  const execMounts = [
    '[Unit]',
    'Description=mission-control: exec mounts for the directories mounted into the worker container',
    'Before=docker.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=/bin/bash ${BOOT_SCRIPT_PATH} ${EXEC_MOUNTS_ONLY}`,
    '',
  ].join('\n');
  const dockerDropIn = ['[Unit]', `Wants=${EXEC_MOUNTS_UNIT}`, `After=${EXEC_MOUNTS_UNIT}`, ''].join('\n');
  const watchdog = watchdogOf(input);
  const watchdogUnit = [
    '[Unit]',
    'Description=mission-control idle watchdog: powers the VM off when its jobs have long had nothing to do',
    `After=${BOOT_UNIT}`,
    '',
    '[Service]',
    `ExecStart=/bin/sh ${WATCHDOG_SCRIPT_PATH}`,
    'Restart=always',
    'RestartSec=30',
    '',
  ].join('\n');
  const document = {
    write_files: [
      { path: BOOT_SCRIPT_PATH, permissions: '0644', owner: 'root', content: bootScript(input) },
      { path: `/etc/systemd/system/${BOOT_UNIT}`, permissions: '0644', owner: 'root', content: unit },
      { path: `/etc/systemd/system/${EXEC_MOUNTS_UNIT}`, permissions: '0644', owner: 'root', content: execMounts },
      { path: '/etc/systemd/system/docker.service.d/mission-control.conf', permissions: '0644', owner: 'root', content: dockerDropIn },
      ...(watchdog
        ? [
            { path: WATCHDOG_SCRIPT_PATH, permissions: '0600', owner: 'root', content: watchdog },
            { path: `/etc/systemd/system/${WATCHDOG_UNIT}`, permissions: '0644', owner: 'root', content: watchdogUnit },
          ]
        : []),
    ],
    runcmd: [
      'systemctl daemon-reload',
      `systemctl start ${EXEC_MOUNTS_UNIT}`,
      `systemctl start ${BOOT_UNIT}`,
      ...(watchdog ? [`systemctl start ${WATCHDOG_UNIT}`] : []),
    ],
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
