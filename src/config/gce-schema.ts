/**
 * The config of GCE workers (`gce-cos`, `gce-linux`): where the VM lives, what it is made of, how it is reached,
 * and what it costs. Defaults follow the offload mandate: Container-Optimized OS, a 200 GB pd-balanced disk, the
 * `maintainer-worker` container with `~/dev`, `~/.gemini` and `~/.offload` mounted at the same paths, no external IP,
 * least-privilege scopes, SSH with an IAP fallback.
 */
import { z } from 'zod';
import { closed, expected, expecting, matching, oneOf, sshAddressFields } from './rules.js';

/** The GCE provider kinds. */
export type GceProviderKind = 'gce-cos' | 'gce-linux';

/**
 * Persistent disk types a boot disk can have (priced in `providers/gce/pricing.ts`). Not pd-extreme: it needs
 * provisioned IOPS set at creation, and a worker's boot disk has no use for it.
 */
export const GCE_DISK_TYPES = ['pd-balanced', 'pd-ssd', 'pd-standard'] as const;

/** A boot disk type. */
export type GceDiskType = (typeof GCE_DISK_TYPES)[number];

/** The boot disk. */
export interface GceBootDisk {
  readonly sizeGb: number;
  readonly type: GceDiskType;
}

/** The boot image: an image family (the newest image in it) or one image by name, in an image project. */
export interface GceImage {
  readonly project: string;
  readonly family?: string;
  readonly name?: string;
}

/** The persistent container jobs run in (COS always has one; Linux only when configured). */
export interface GceContainerConfig {
  readonly name: string;
  readonly runtime: 'docker';
  /** The image `docker run` starts. */
  readonly image: string;
  /** Directories bind-mounted at the same path inside the container, as written (`~/dev` is the SSH user's home). */
  readonly mounts: readonly string[];
  /** The container's command, when the image's own is not the one to run (e.g. `[sleep, infinity]`). */
  readonly command?: readonly string[];
}

/** The VM's service account and its OAuth scopes (full URLs). */
export interface GceServiceAccount {
  /** `default` is the project's Compute Engine default service account. */
  readonly email: string;
  readonly scopes: readonly string[];
}

/**
 * The fast SSH path: an alias from the user's ssh config, or explicit details. Without `host`, the VM's internal IP
 * (its external one when `externalIp` is on) is looked up through the Compute API.
 */
export type GceSshTarget =
  | { readonly alias: string }
  | { readonly host?: string; readonly user?: string; readonly port?: number; readonly identityFile?: string };

/** The IAP fallback: `<command> compute start-iap-tunnel VM 22 --listen-on-stdin …` as the connection's transport. */
export interface GceIapConfig {
  readonly enabled: boolean;
  /** The gcloud program (a path, or a name looked up in PATH). */
  readonly command: string;
}

/** Prices that replace the built-in table for this worker (USD). */
export interface GcePricingOverride {
  /** The machine's on-demand price per hour. */
  readonly machinePerHour?: number;
  /** The boot disk's price per GB and month. */
  readonly diskPerGbMonth?: number;
}

/** What a GCE worker's entry says, defaults applied. */
export interface GceWorkerFields {
  readonly project: string;
  readonly zone: string;
  /** The VM's name in GCE (default: the worker name). */
  readonly instance: string;
  readonly machineType: string;
  readonly bootDisk: GceBootDisk;
  readonly image: GceImage;
  /** VPC network name (or a full `projects/…/global/networks/…` path). */
  readonly network: string;
  /** Subnetwork name (or full path); required by custom-mode networks. */
  readonly subnet?: string;
  /** The VM's labels; `mission-control: worker` is always among them (it is how workers are listed). */
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: GceServiceAccount;
  /** Give the VM an external IPv4 address (off by default: reach it over the VPC or through IAP). */
  readonly externalIp: boolean;
  /**
   * Before provisioning, check that the VM will reach the internet (external IP or Cloud NAT): `refuse` (default)
   * stops with the commands that fix it, `warn` goes on after saying so, `off` skips the check.
   */
  readonly egressCheck: GceEgressCheck;
  /**
   * A Spot VM: far cheaper, but GCE may preempt it at any time. It is then stopped (not deleted: its disk, worktrees
   * and job records stay), shown as preempted, and its jobs can be resumed once it is started again.
   */
  readonly spot: boolean;
  readonly ssh: GceSshTarget;
  /** ssh config file to read instead of `~/.ssh/config`. */
  readonly sshConfigFile?: string;
  readonly iap: GceIapConfig;
  readonly pricing?: GcePricingOverride;
  readonly container?: GceContainerConfig;
}

/** How strictly provisioning treats a VM without a way to the internet. */
export type GceEgressCheck = 'refuse' | 'warn' | 'off';

/** The values of `egressCheck`. */
export const GCE_EGRESS_CHECKS: readonly GceEgressCheck[] = ['refuse', 'warn', 'off'];

/**
 * A Linux user name as useradd accepts it by default (and as the guest agent creates users from ssh-keys): a
 * lowercase letter or `_`, then up to 31 lowercase letters, digits, `_` or `-`.
 */
export const LINUX_USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** How {@link LINUX_USER_NAME} is described in errors. */
export const LINUX_USER_RULE = "a Linux user name: a lowercase letter or '_', then up to 31 lowercase letters, digits, '_' or '-'";

/** The label every mission-control VM carries, and that listing looks for. */
export const WORKER_LABEL = { key: 'mission-control', value: 'worker' } as const;

/** The container the offload mandate names. */
export const DEFAULT_CONTAINER_NAME = 'maintainer-worker';
/** The maintainer image the offload mandate names. */
export const DEFAULT_CONTAINER_IMAGE = 'us-docker.pkg.dev/gemini-code-dev/gemini-cli/maintainer:latest';
/** Worktrees, shared credentials, shared scripts and logs. */
export const DEFAULT_CONTAINER_MOUNTS: readonly string[] = ['~/dev', '~/.gemini', '~/.offload'];
/** A general-purpose 4 vCPU / 16 GB machine. */
export const DEFAULT_MACHINE_TYPE = 'e2-standard-4';
/** The mandate's minimum: 200 GB pd-balanced (Node.js builds are I/O bound; PD throughput grows with size). */
export const DEFAULT_BOOT_DISK: GceBootDisk = { sizeGb: 200, type: 'pd-balanced' };
/** Boot images by provider kind. */
export const DEFAULT_IMAGES: Readonly<Record<GceProviderKind, GceImage>> = {
  'gce-cos': { project: 'cos-cloud', family: 'cos-stable' },
  'gce-linux': { project: 'debian-cloud', family: 'debian-12' },
};

/**
 * gcloud's scope aliases. The default set is gcloud's minus what a worker does not need: pulling images
 * (Artifact Registry and GCR accept the storage read-only scope), writing logs and metrics.
 */
export const SCOPE_ALIASES: Readonly<Record<string, string>> = {
  'storage-ro': 'https://www.googleapis.com/auth/devstorage.read_only',
  'storage-rw': 'https://www.googleapis.com/auth/devstorage.read_write',
  'storage-full': 'https://www.googleapis.com/auth/devstorage.full_control',
  'logging-write': 'https://www.googleapis.com/auth/logging.write',
  'monitoring-write': 'https://www.googleapis.com/auth/monitoring.write',
  monitoring: 'https://www.googleapis.com/auth/monitoring',
  trace: 'https://www.googleapis.com/auth/trace.append',
  'compute-ro': 'https://www.googleapis.com/auth/compute.readonly',
  'compute-rw': 'https://www.googleapis.com/auth/compute',
  'cloud-platform': 'https://www.googleapis.com/auth/cloud-platform',
  'cloud-source-repos-ro': 'https://www.googleapis.com/auth/source.read_only',
  pubsub: 'https://www.googleapis.com/auth/pubsub',
  'userinfo-email': 'https://www.googleapis.com/auth/userinfo.email',
};

/** The scopes a worker VM gets unless the config names others. */
export const DEFAULT_SCOPES: readonly string[] = ['storage-ro', 'logging-write', 'monitoring-write'].map((alias) => SCOPE_ALIASES[alias]!);

const INSTANCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const INSTANCE_RULE = "a GCE instance name: 1-63 lowercase letters, digits or '-', starting with a letter and not ending with '-'";
const LABEL_KEY_RULE = "a label key: 1-63 lowercase letters, digits, '_' or '-', starting with a letter";
const LABEL_VALUE_RULE = "a label value: up to 63 lowercase letters, digits, '_' or '-'";

const sizeGb = z
  .int({ error: expecting('a disk size in GB, from 10 to 65536') })
  .min(10, { error: expecting('a disk size in GB, from 10 to 65536') })
  .max(65536, { error: expecting('a disk size in GB, from 10 to 65536') });

const price = z.number({ error: expecting('a price in USD, 0 or more') }).min(0, { error: expecting('a price in USD, 0 or more') });

const resourceName = (what: string) => matching(/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$|^projects\/[^\s]+$/, what);

const scope = z
  .string({ error: expecting(`a scope URL or one of gcloud's aliases (${Object.keys(SCOPE_ALIASES).join(', ')})`) })
  .refine((value) => value.startsWith('https://www.googleapis.com/auth/') || value in SCOPE_ALIASES, {
    error: (issue) => expected(`a scope URL or one of gcloud's aliases (${Object.keys(SCOPE_ALIASES).join(', ')})`, issue.input),
  })
  .transform((value) => SCOPE_ALIASES[value] ?? value);

const mountPath = matching(
  /^(?:~|~\/[^\s:,]+|\/[^\s:,]*)$/,
  "a directory as ~/path or /absolute/path, without spaces, ':' or ','",
);

/** The shapes of a GCE entry's nested mappings (for "did you mean" on unknown fields). */
export const gceShapes = {
  bootDisk: {
    sizeGb: sizeGb.optional(),
    type: z.enum(GCE_DISK_TYPES, { error: expecting(oneOf(GCE_DISK_TYPES)) }).optional(),
  },
  image: {
    project: matching(/^[a-z][-a-z0-9.:]{2,62}$/, 'an image project such as cos-cloud or debian-cloud'),
    family: matching(/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/, 'an image family such as cos-stable or debian-12').optional(),
    name: matching(/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/, 'an image name').optional(),
  },
  serviceAccount: {
    email: matching(/^default$|^[^\s@]+@[^\s@]+$/, 'a service account email, or `default`').optional(),
    scopes: z.array(scope, { error: expecting('a list of scopes') }).optional(),
  },
  iap: {
    enabled: z.boolean({ error: expecting('true or false') }).optional(),
    command: matching(/^[^\s-][^\s]*$/, "the gcloud program: a path or a name in PATH, without spaces").optional(),
  },
  pricing: { machinePerHour: price.optional(), diskPerGbMonth: price.optional() },
  container: {
    name: matching(
      /^[A-Za-z0-9][A-Za-z0-9_.-]+$/,
      "a container name: 2 or more letters, digits, '_', '.' or '-', starting with a letter or digit",
    ).optional(),
    runtime: z.literal('docker', { error: expecting('`docker` (the only container runtime this version supports)') }).optional(),
    image: matching(/^[a-z0-9][^\s]*$/, 'a container image reference such as us-docker.pkg.dev/project/repo/image:tag').optional(),
    mounts: z.array(mountPath, { error: expecting('a list of directories') }).optional(),
    command: z.array(z.string({ error: expecting('a list of strings (argv)') }), { error: expecting('a list of strings (argv)') }).optional(),
  },
  // The user is created on the VM from the ssh-keys metadata, so it has to be a valid Linux name there.
  ssh: { ...sshAddressFields, host: sshAddressFields.host.optional(), user: matching(LINUX_USER_NAME, LINUX_USER_RULE).optional() },
};

const SSH_RULE = 'an alias from ~/.ssh/config (a string) or a mapping {host?, user?, port?, identityFile?}';

/** The fields of a GCE worker entry beyond those every worker has. */
export const gceFieldsShape = {
  project: matching(
    /^(?:[a-z0-9.-]+:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/,
    "a GCP project id: 6-30 lowercase letters, digits or '-', starting with a letter",
  ),
  zone: matching(/^[a-z]+-[a-z]+[0-9]+-[a-z]$/, 'a zone such as us-central1-a'),
  instance: matching(INSTANCE_NAME, INSTANCE_RULE).optional(),
  machineType: matching(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, 'a machine type such as e2-standard-4').optional(),
  bootDisk: closed(gceShapes.bootDisk, 'a mapping {sizeGb?, type?}').optional(),
  image: closed(gceShapes.image, 'a mapping {project, family} or {project, name}')
    .refine((image) => (image.family === undefined) !== (image.name === undefined), {
      error: 'expected exactly one of `family` or `name`',
    })
    .optional(),
  network: resourceName('a VPC network name such as default').optional(),
  subnet: resourceName('a subnetwork name').optional(),
  labels: z
    .record(matching(/^[a-z][a-z0-9_-]{0,62}$/, LABEL_KEY_RULE), matching(/^[a-z0-9_-]{0,63}$/, LABEL_VALUE_RULE), {
      error: (issue) => expected(issue.code === 'invalid_key' ? LABEL_KEY_RULE : 'a mapping of labels', issue.input),
    })
    .optional(),
  serviceAccount: closed(gceShapes.serviceAccount, 'a mapping {email?, scopes?}').optional(),
  externalIp: z.boolean({ error: expecting('true or false') }).optional(),
  egressCheck: z.enum(GCE_EGRESS_CHECKS as [GceEgressCheck, ...GceEgressCheck[]], { error: expecting(oneOf(GCE_EGRESS_CHECKS)) }).optional(),
  spot: z.boolean({ error: expecting('true or false') }).optional(),
  container: closed(gceShapes.container, 'a mapping {name?, image?, mounts?, command?}').optional(),
  ssh: z
    .union(
      [
        matching(/^[^-\s]\S*$/, "an ssh alias, without spaces, not starting with '-'").transform((alias) => ({ alias })),
        closed(gceShapes.ssh, SSH_RULE),
      ],
      { error: expecting(SSH_RULE) },
    )
    .optional(),
  sshConfigFile: matching(/^[^\n\0]+$/, 'a path to an ssh config file').optional(),
  iap: closed(gceShapes.iap, 'a mapping {enabled?, command?}').optional(),
  pricing: closed(gceShapes.pricing, 'a mapping {machinePerHour?, diskPerGbMonth?}').optional(),
};

/** A GCE worker entry as written, after validation (shape of {@link gceFieldsShape}). */
export type GceEntry = z.output<z.ZodObject<typeof gceFieldsShape>> & { readonly name: string; readonly provider: GceProviderKind };

/**
 * Checks what one field cannot: without `instance`, the worker's name is the VM's name, so it has to be a valid one.
 * Pass as `.superRefine` of the worker schema.
 */
export function checkInstanceName(entry: { readonly name: string; readonly instance?: string | undefined }, ctx: z.RefinementCtx): void {
  if (entry.instance === undefined && !INSTANCE_NAME.test(entry.name)) {
    ctx.addIssue({
      code: 'custom',
      path: ['instance'],
      input: undefined,
      message: `expected ${INSTANCE_RULE}; the worker name ${JSON.stringify(entry.name)} cannot be used as one`,
    });
  }
}

/** The GCE fields with every default applied. */
export function resolveGceFields(entry: GceEntry): GceWorkerFields {
  const labels = { ...entry.labels, [WORKER_LABEL.key]: WORKER_LABEL.value };
  const wantsContainer = entry.provider === 'gce-cos' || entry.container !== undefined;
  const container: GceContainerConfig | undefined = wantsContainer
    ? {
        name: entry.container?.name ?? DEFAULT_CONTAINER_NAME,
        runtime: 'docker',
        image: entry.container?.image ?? DEFAULT_CONTAINER_IMAGE,
        mounts: entry.container?.mounts ?? DEFAULT_CONTAINER_MOUNTS,
        ...(entry.container?.command ? { command: entry.container.command } : {}),
      }
    : undefined;
  return {
    project: entry.project,
    zone: entry.zone,
    instance: entry.instance ?? entry.name,
    machineType: entry.machineType ?? DEFAULT_MACHINE_TYPE,
    bootDisk: { sizeGb: entry.bootDisk?.sizeGb ?? DEFAULT_BOOT_DISK.sizeGb, type: entry.bootDisk?.type ?? DEFAULT_BOOT_DISK.type },
    image: entry.image ?? DEFAULT_IMAGES[entry.provider],
    network: entry.network ?? 'default',
    ...(entry.subnet !== undefined ? { subnet: entry.subnet } : {}),
    labels,
    serviceAccount: { email: entry.serviceAccount?.email ?? 'default', scopes: entry.serviceAccount?.scopes ?? DEFAULT_SCOPES },
    externalIp: entry.externalIp ?? false,
    egressCheck: entry.egressCheck ?? 'refuse',
    spot: entry.spot ?? false,
    ssh: entry.ssh ?? {},
    ...(entry.sshConfigFile !== undefined ? { sshConfigFile: entry.sshConfigFile } : {}),
    iap: { enabled: entry.iap?.enabled ?? true, command: entry.iap?.command ?? 'gcloud' },
    ...(entry.pricing ? { pricing: entry.pricing } : {}),
    ...(container ? { container } : {}),
  };
}
