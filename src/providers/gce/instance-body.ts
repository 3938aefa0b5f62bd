/**
 * The `instances.insert` body for a worker: machine, boot disk, image, network (no external IP unless asked),
 * labels, service account with least-privilege scopes, and the metadata that bootstraps it. Pure.
 */
import { LINUX_USER_NAME, LINUX_USER_RULE, type GceProviderKind, type GceWorkerFields } from '../../config/gce-schema.js';
import { DEFAULT_SETTINGS, type GceWorkerConfig } from '../../config/schema.js';
import { tmuxServer } from '../tmux.js';
import { bootMetadata, type BootstrapInput } from './bootstrap.js';
import type { ComputeInstance } from './compute-api.js';
import { GceError } from './errors.js';

/** The network tag worker VMs carry, for a firewall rule that lets IAP (35.235.240.0/20) reach port 22. */
export const WORKER_NETWORK_TAG = 'mission-control-worker';

/** What {@link buildInstanceBody} needs besides the worker's config. */
export interface InstanceBodyInput {
  readonly kind: GceProviderKind;
  readonly worker: Pick<
    GceWorkerFields,
    'zone' | 'instance' | 'machineType' | 'bootDisk' | 'image' | 'network' | 'subnet' | 'labels' | 'serviceAccount' | 'externalIp' | 'container'
  > &
    Partial<Pick<GceWorkerFields, 'spot'>> &
    Partial<Pick<GceWorkerConfig, 'idle' | 'tmuxSocket' | 'stateDir' | 'sessionPrefix'>>;
  /** The SSH user jobs run as on the VM. */
  readonly user: string;
  /** `ssh-ed25519 AAAA… comment`: published as the user's key in instance metadata, when given. */
  readonly sshPublicKey?: string;
  /** Where the boot script writes its markers; default /run/mission-control. */
  readonly bootStateDir?: string;
}

/** The guest idle watchdog's settings for a worker with an idle policy: its tmux server, records and session names. */
function watchdogSettings(worker: InstanceBodyInput['worker'] & { idle: NonNullable<GceWorkerConfig['idle']> }): NonNullable<BootstrapInput['idle']> {
  return {
    policy: worker.idle,
    tmuxSocketArgs: tmuxServer(worker.tmuxSocket ?? DEFAULT_SETTINGS.tmuxSocket).socketArgs,
    stateDir: worker.stateDir ?? DEFAULT_SETTINGS.stateDir,
    sessionPrefix: worker.sessionPrefix ?? DEFAULT_SETTINGS.sessionPrefix,
  };
}

/** The region of a zone (`us-central1-a` → `us-central1`). */
export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

/** `projects/cos-cloud/global/images/family/cos-stable`, or `…/images/NAME` for one image. */
export function sourceImage(image: GceWorkerFields['image']): string {
  return image.family !== undefined
    ? `projects/${image.project}/global/images/family/${image.family}`
    : `projects/${image.project}/global/images/${image.name ?? ''}`;
}

/** The insert body for one worker VM; throws a {@link GceError} when the user cannot be a Linux user on the VM. */
export function buildInstanceBody(input: InstanceBodyInput): ComputeInstance {
  const { worker } = input;
  if (!LINUX_USER_NAME.test(input.user)) {
    // The local user name is the default; the guest agent would skip an ssh-keys entry for an invalid one.
    throw new GceError(
      'invalid',
      `the SSH user ${JSON.stringify(input.user)} cannot be a user on the VM: expected ${LINUX_USER_RULE}`,
      'Set `ssh: {user: NAME}` for this worker in the config',
    );
  }
  const zone = worker.zone;
  const metadata = [
    ...bootMetadata({
      kind: input.kind,
      user: input.user,
      ...(worker.container ? { container: worker.container } : {}),
      ...(input.bootStateDir ? { bootStateDir: input.bootStateDir } : {}),
      ...(worker.idle ? { idle: watchdogSettings({ ...worker, idle: worker.idle }) } : {}),
    }),
    // The guest agent publishes the SSH host keys here, so mission-control can check them before the first connection.
    { key: 'enable-guest-attributes', value: 'TRUE' },
    ...(input.sshPublicKey ? [{ key: 'ssh-keys', value: `${input.user}:${input.sshPublicKey.trim()}` }] : []),
  ];
  const networkInterface = {
    network: worker.network.startsWith('projects/') ? worker.network : `global/networks/${worker.network}`,
    ...(worker.subnet !== undefined
      ? { subnetwork: worker.subnet.startsWith('projects/') ? worker.subnet : `regions/${regionOf(zone)}/subnetworks/${worker.subnet}` }
      : {}),
    // Without access configs the VM has no external IP.
    ...(worker.externalIp ? { accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT', networkTier: 'PREMIUM' }] } : {}),
  };
  return {
    name: worker.instance,
    machineType: `zones/${zone}/machineTypes/${worker.machineType}`,
    labels: { ...worker.labels },
    tags: { items: [WORKER_NETWORK_TAG] },
    disks: [
      {
        boot: true,
        autoDelete: true,
        type: 'PERSISTENT',
        deviceName: worker.instance,
        initializeParams: {
          diskName: worker.instance,
          // int64 fields travel as strings in the API's JSON.
          diskSizeGb: String(worker.bootDisk.sizeGb),
          diskType: `zones/${zone}/diskTypes/${worker.bootDisk.type}`,
          sourceImage: sourceImage(worker.image),
          labels: { ...worker.labels },
        },
      },
    ],
    networkInterfaces: [networkInterface],
    serviceAccounts: [{ email: worker.serviceAccount.email, scopes: [...worker.serviceAccount.scopes] }],
    metadata: { items: metadata },
    scheduling: schedulingOf(worker),
    shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
  };
}

/**
 * How GCE places and keeps the VM. A standard VM restarts after a host failure and migrates for maintenance. A Spot
 * VM takes the SPOT provisioning model and is stopped, not deleted, when preempted (its disk keeps the worktrees and
 * job records); GCE refuses automatic restart and host maintenance settings on it, so none are sent.
 */
export function schedulingOf(worker: Partial<Pick<GceWorkerFields, 'spot'>>): Record<string, unknown> {
  if (worker.spot) return { provisioningModel: 'SPOT', instanceTerminationAction: 'STOP' };
  return { automaticRestart: true, onHostMaintenance: 'MIGRATE' };
}
