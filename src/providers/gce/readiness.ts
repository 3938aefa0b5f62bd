/**
 * Whether a GCE worker can run jobs: the boot script's marker, then (with a container) that the login user can use
 * docker on this connection, that the container runs, and that its image has tmux. One script over SSH, its answer
 * one line read by {@link parseReadiness}. Pure.
 */
import type { GceContainerConfig, GceProviderKind } from '../../config/gce-schema.js';
import { GceError } from './errors.js';
import { shellQuote } from '../../ssh/quote.js';

/** What the readiness check found. */
export type Readiness =
  | { readonly state: 'ready' }
  /** Not yet: the boot script runs, the container starts. */
  | { readonly state: 'waiting'; readonly detail: string }
  /** The boot script failed; `detail` is its own report. */
  | { readonly state: 'failed'; readonly detail: string }
  /**
   * The user is in the docker group now but this connection is not: OpenSSH fixes a session's groups at login, and
   * the boot script added the group after the pooled connection was opened. A new connection gets it.
   */
  | { readonly state: 'regroup' }
  /** The worker cannot run jobs as configured (no tmux in the image, docker refused to this user). */
  | { readonly state: 'unusable'; readonly detail: string };

/**
 * The check run over SSH on the host. Its `docker` words go through the provider's container access (sudo, the
 * user's ids), set before it by the command placement.
 */
export function readinessScript(bootStateDir: string, container: Pick<GceContainerConfig, 'name' | 'image'> | undefined): string {
  const lines = [
    `state=${shellQuote(bootStateDir)}`,
    'if [ -f "$state/failed" ]; then echo "failed: $(head -c 500 "$state/failed")"; exit 0; fi',
    'if [ ! -f "$state/ready" ]; then echo "waiting: the boot script has not finished"; exit 0; fi',
  ];
  if (container) {
    const image = shellQuote(container.image);
    lines.push(
      `name=${shellQuote(container.name)}`,
      'first() { printf %s "$1" | head -n 1; }',
      'ingroup() { id -nG $1 | tr " " "\\n" | grep -qx docker; }',
      `if ! out=$(docker container inspect --format '{{.State.Running}}' "$name" 2>&1); then`,
      '  me=$(id -un)',
      '  case $out in',
      '    *sudo:*) echo "unusable: $me cannot run docker through sudo: $(first "$out")" ;;',
      '    *"ermission denied"*)',
      '      if ! ingroup && ingroup "$me"; then echo regroup',
      '      else echo "unusable: $me may not use docker on this VM: $(first "$out")"; fi ;;',
      '    *) echo "waiting: container $name does not exist yet" ;;',
      '  esac',
      '  exit 0',
      'fi',
      'if [ "$out" != true ]; then echo "waiting: container $name is not running"; exit 0; fi',
      `if ! v=$(docker exec "$name" tmux -V 2>&1); then echo "unusable: image "${image}" (container $name) has no working tmux: $(first "$v")"; exit 0; fi`,
    );
  }
  lines.push('echo ready');
  return lines.join('\n');
}

/** The last line of the readiness script's output as a {@link Readiness}. */
export function parseReadiness(stdout: string, code: number | null): Readiness {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  if (line === 'ready') return { state: 'ready' };
  if (line === 'regroup') return { state: 'regroup' };
  const [head, ...rest] = line.split(':');
  const detail = rest.join(':').trim();
  if (head === 'failed') return { state: 'failed', detail };
  if (head === 'unusable') return { state: 'unusable', detail };
  if (head === 'waiting') return { state: 'waiting', detail };
  return { state: 'waiting', detail: line || `readiness check exited ${code}` };
}

/** The error that ends the wait for a worker whose boot script failed, or that cannot run jobs as configured. */
export function readinessFailure(
  readiness: Extract<Readiness, { state: 'failed' | 'unusable' }>,
  context: { readonly worker: string; readonly action: string; readonly kind: GceProviderKind; readonly sudo: boolean },
): GceError {
  const { worker, action, kind } = context;
  if (readiness.state === 'failed') {
    const log = kind === 'gce-cos' ? 'sudo journalctl -u mission-control-worker' : 'sudo journalctl -u google-startup-scripts';
    return new GceError(
      'stalled',
      `${worker}: ${action} failed: the VM's boot script reported ${readiness.detail}`,
      `See \`${log}\` on the VM; rebuild the worker after fixing the config`,
    );
  }
  let hint: string;
  if (/tmux/.test(readiness.detail)) hint = 'Jobs run in tmux inside the container: use an image that has tmux (container.image), then rebuild the worker';
  else if (context.sudo) hint = 'With OS Login, docker runs through sudo (OS Login users are not in the docker group): grant your account `roles/compute.osAdminLogin`';
  else hint = 'Add the login user to the docker group on the VM (the boot script does so when it can), or rebuild the worker';
  return new GceError('invalid', `${worker}: ${action} failed: ${readiness.detail}`, hint);
}
