/**
 * The config file's shape (zod) and the resolved fleet it describes. Every schema carries a message that says what
 * is expected; `issues.ts` turns the issues into located errors and `resolveFleet` applies the defaults.
 */
import { z } from 'zod';
import { agentSchema, customAgentShape } from './agent-schema.js';
import { kindsSchema, repoSchema, resolveJobSettings, type JobSettings } from '../jobs/kinds.js';
import { isGceKind, type ProviderKind } from '../providers/types.js';
import { DURATION_RULE, formatDuration, parseDuration } from './duration.js';
import {
  checkInstanceName,
  gceFieldsShape,
  gceShapes,
  resolveGceFields,
  type GceContainerConfig,
  type GceEntry,
  type GceProviderKind,
  type GceWorkerFields,
} from './gce-schema.js';
import { IDLE_FIELDS, idleSchema, noIdleOnHost, withIdlePolicy, type IdlePolicy } from './idle-schema.js';
import { budgetSchema, budgetShape, type BudgetSettings } from './budget-schema.js';
import { notifySchema, notifyShape, resolveNotify, type NotifySettings } from './notify-schema.js';
import { closed, expected, expecting, matching, oneOf, sshAddressFields } from './rules.js';
import { closestMatch } from './suggest.js';

/** How SSH host keys are checked: `strict` refuses unknown keys; `accept-new` records a first-seen key, refuses a changed one. */
export type HostKeyPolicy = 'strict' | 'accept-new';

/** An SSH target named by an alias from the user's ssh config (`Host gcli-worker`). */
export interface SshAlias {
  readonly alias: string;
}

/** An SSH target spelt out in the config file. */
export interface SshAddress {
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  /** Private key path on this machine, as written (may start with `~/`). */
  readonly identityFile?: string;
}

/** Where an SSH worker is: an alias, or an address. Tell them apart with `'alias' in target`. */
export type SshTarget = SshAlias | SshAddress;

/** The container job commands run in (through `docker exec`). */
export interface ContainerConfig {
  readonly name: string;
  readonly runtime: 'docker';
}

/** Settings every worker has, from its own entry, else `defaults:`, else {@link DEFAULT_SETTINGS}. */
export interface WorkerSettings {
  /** tmux server: a name (`tmux -L`) or, when it contains `/`, a socket path (`tmux -S`). */
  readonly tmuxSocket: string;
  /** How many jobs may run at once on the worker. */
  readonly maxJobs: number;
  /** How often the worker is scanned; at least {@link POLL_INTERVAL_FLOOR_MS}. */
  readonly pollIntervalMs: number;
  /** Where job records live on the session host, as written (may start with `~/`; expanded there, not here). */
  readonly stateDir: string;
  /** tmux session names are `<sessionPrefix>-<job id>`. */
  readonly sessionPrefix: string;
  readonly hostKeyPolicy: HostKeyPolicy;
  /**
   * Changes on the worker are pushed the moment they happen (a watcher on the worker, see `app/push.ts`), and the
   * worker is then polled only every {@link PUSH_POLL_INTERVAL_MS}; `false` polls at `pollIntervalMs` only. Absent: on.
   */
  readonly push?: boolean;
}

/** How often a worker whose push stream is healthy is still scanned: the fallback for a lost event. */
export const PUSH_POLL_INTERVAL_MS = 20_000;

/** Where a worker keeps the repository's main clone, when it is not `repo.mainDir` (e.g. an existing checkout). */
export interface WorkerMainClone {
  /** The main clone on this worker, as written (may start with `~/`); overrides `repo.mainDir`. */
  readonly mainDir?: string;
}

/** A worker on this machine. */
export interface LocalWorkerConfig extends WorkerSettings, WorkerMainClone {
  readonly name: string;
  readonly provider: 'local';
  readonly idle?: undefined;
  readonly ssh?: undefined;
  readonly sshConfigFile?: undefined;
  readonly container?: ContainerConfig;
}

/** A worker reached over SSH. */
export interface SshWorkerConfig extends WorkerSettings, WorkerMainClone {
  readonly name: string;
  readonly provider: 'ssh';
  readonly idle?: undefined;
  readonly ssh: SshTarget;
  /** ssh config file to read instead of `~/.ssh/config`, as written. */
  readonly sshConfigFile?: string;
  readonly container?: ContainerConfig;
}

/** A GCE VM (Container-Optimized OS or Linux), managed by mission-control through the Compute API. */
export interface GceWorkerConfig extends WorkerSettings, WorkerMainClone, GceWorkerFields {
  readonly name: string;
  readonly provider: GceProviderKind;
  /** When to suspend or stop the VM once it has nothing to do (`idle:`, else `defaults.idle`); absent: never. */
  readonly idle?: IdlePolicy;
  /** COS workers always have one; Linux workers when configured. */
  readonly container?: GceContainerConfig;
}

/** A container on this machine's docker daemon that mission-control creates, starts, stops, rebuilds and destroys. */
export interface DockerWorkerConfig extends WorkerSettings, WorkerMainClone {
  readonly name: string;
  readonly provider: 'docker';
  /** When to stop the container once it has nothing to do (its own `idle:` only); absent: never. */
  readonly idle?: IdlePolicy;
  /** The container: `mc-<worker>` unless named. */
  readonly container: ContainerConfig;
  /** The image, used as is; the default is built locally by `mission-control image build`. */
  readonly image: string;
  /** Directories mounted at identical paths, as written (may start with `~/`). */
  readonly mounts: readonly string[];
  /** `DOCKER_HOST` for this worker's daemon (default: the environment's). */
  readonly dockerHost?: string;
}

/** The tag `mission-control image build` gives the image, and docker workers use when their config names none. */
export const DEFAULT_WORKER_IMAGE = 'mission-control/worker:local';

/** One worker, fully resolved (defaults applied). Narrow on `provider`. */
export type WorkerConfig = LocalWorkerConfig | SshWorkerConfig | GceWorkerConfig | DockerWorkerConfig;

/** Whether a worker is a GCE VM. */
export function isGceWorker(worker: WorkerConfig): worker is GceWorkerConfig {
  return isGceKind(worker.provider);
}

/** The fleet a config file describes. */
export interface FleetConfig {
  /** At least one worker; names are unique. */
  readonly workers: readonly WorkerConfig[];
  /** The fleet-wide host-key policy (`defaults.hostKeyPolicy`). */
  readonly hostKeyPolicy: HostKeyPolicy;
  /** The file it came from; undefined for the embedded default fleet. */
  readonly source: string | undefined;
  /** Job kinds (built-ins plus the file's `kinds:`, run by the `agent:`) and the repository jobs work on (`repo:`). */
  readonly jobs: JobSettings;
  /** How the user is told a job needs them (`notify:`); absent when the file has none (`DEFAULT_NOTIFY` then). */
  readonly notify?: NotifySettings;
  /** Attaching to jobs (`attach:`); absent when the file has none (`DEFAULT_DETACH_KEY` then). */
  readonly attach?: AttachSettings;
  /** The cloud workers' monthly budget (`budget:`); absent: none. */
  readonly budget?: BudgetSettings;
}

/** Attaching to jobs. */
export interface AttachSettings {
  /** The tmux key (e.g. `C-q`, `C-]`, `F12`) bound to detach on mission-control's private tmux servers. */
  readonly detachKey: string;
}

/** The detach key when the config names none. */
export const DEFAULT_DETACH_KEY = 'C-q';

/**
 * A tmux key name that is safe to bind in the root table: with ctrl or alt, or a function key. A plain key (`q`)
 * would detach whenever it is typed into the job.
 */
const DETACH_KEY_PATTERN =
  /^(?:S-)?(?:(?:C-|M-)(?:S-)?)+(?:[!-~]|F(?:[1-9]|1[0-2])|Up|Down|Left|Right|Home|End|IC|DC|PPage|NPage|Tab|Space|Enter|Escape|BSpace)$|^(?:[CMS]-)*F(?:[1-9]|1[0-2])$/;

const attachShape = {
  detachKey: matching(
    DETACH_KEY_PATTERN,
    'a tmux key name with ctrl or alt (`C-q`, `C-]`, `M-d`) or a function key (`F12`): a plain key would detach whenever it is typed',
  ).optional(),
};

/** The shortest poll interval allowed: scanning faster than this loads workers for no visible gain. */
export const POLL_INTERVAL_FLOOR_MS = 1000;

/** Settings used when neither the worker nor `defaults:` gives one. The tmux server is private, never the user's own. */
export const DEFAULT_SETTINGS: WorkerSettings = Object.freeze({
  tmuxSocket: 'mission-control',
  maxJobs: 4,
  pollIntervalMs: 2000,
  stateDir: '~/.mission-control',
  sessionPrefix: 'mc',
  hostKeyPolicy: 'strict',
  push: true,
});

/** The providers this version can run. */
export const SUPPORTED_PROVIDERS = ['local', 'ssh', 'gce-cos', 'gce-linux', 'docker'] as const satisfies readonly ProviderKind[];

const PROVIDER_RULE = oneOf(SUPPORTED_PROVIDERS);

const positiveInt = z
  .int({ error: expecting('a positive integer') })
  .min(1, { error: expecting('a positive integer') });

const pollInterval = z.union([z.number(), z.string()], { error: expecting(DURATION_RULE) }).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.issues.push({ code: 'custom', input: value, message: expected(DURATION_RULE, value) });
    return z.NEVER;
  }
  if (ms < POLL_INTERVAL_FLOOR_MS) {
    const floor = formatDuration(POLL_INTERVAL_FLOOR_MS);
    ctx.issues.push({ code: 'custom', input: value, message: expected(`at least ${floor} (the floor)`, value) });
    return z.NEVER;
  }
  return ms;
});

/** A directory on the worker: absolute or under its home, never relative. */
function workerDir(absolute: string, underHome: string) {
  return matching(/^(~|~\/[^\n\0]*|\/[^\n\0]*)$/, `a directory path on the worker, absolute (${absolute}) or under its home (${underHome})`);
}

const settingsShape = {
  pollInterval: pollInterval.optional(),
  push: z.boolean({ error: expecting('true or false (push changes from the worker as they happen)') }).optional(),
  tmuxSocket: matching(/^\S+$/, "a tmux socket name (tmux -L) or a path containing '/' (tmux -S), without spaces").optional(),
  // A relative path would be resolved against whatever directory each command starts in (the login's home for
  // an ssh exec, `/` or the image's workdir for a `docker exec`): the scan and launch would use different places.
  stateDir: workerDir('/var/lib/mc', '~/.mission-control').optional(),
  maxJobs: positiveInt.optional(),
  hostKeyPolicy: z.enum(['strict', 'accept-new'], { error: expecting('`strict` or `accept-new`') }).optional(),
  sessionPrefix: matching(
    /^[A-Za-z0-9_-]{1,32}$/,
    "a session name prefix of 1-32 letters, digits, '_' or '-' (tmux names cannot contain '.' or ':')",
  ).optional(),
};

const WORKER_NAME_RULE = "a worker name: 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit";

const container = closed(
  {
    name: matching(
      /^[A-Za-z0-9][A-Za-z0-9_.-]+$/,
      "a container name: 2 or more letters, digits, '_', '.' or '-', starting with a letter or digit",
    ),
    runtime: z.literal('docker', { error: expecting('`docker` (the only container runtime this version supports)') }).optional(),
  },
  'a mapping {name, runtime?}',
);

const SSH_RULE = 'an alias from ~/.ssh/config (a string) or a mapping {host, user?, port?, identityFile?}';

const sshAddress = closed(sshAddressFields, SSH_RULE);

const sshTarget = z.union(
  [matching(/^[^-\s]\S*$/, "an ssh alias, without spaces, not starting with '-'").transform((alias) => ({ alias })), sshAddress],
  { error: expecting(SSH_RULE) },
);

const workerBase = {
  name: matching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, WORKER_NAME_RULE),
  container: container.optional(),
  // Absolute or under home, for the same reason as stateDir: every command on the worker must find the same clone.
  mainDir: workerDir('/srv/repo', '~/dev/main').optional(),
  ...settingsShape,
};

const WORKER_RULE = 'a worker mapping with at least `name` and `provider`';

const localWorker = closed({ ...workerBase, provider: z.literal('local'), idle: noIdleOnHost }, WORKER_RULE);

const sshWorker = closed(
  {
    ...workerBase,
    provider: z.literal('ssh'),
    idle: noIdleOnHost,
    ssh: sshTarget,
    sshConfigFile: matching(/^[^\n\0]+$/, 'a path to an ssh config file').optional(),
  },
  WORKER_RULE,
);

const { container: _sshContainer, ...gceBase } = workerBase;

/** The fields a GCE worker may have (its container mapping is its own: image, mounts, command). */
const gceWorkerShape = { ...gceBase, ...gceFieldsShape, idle: idleSchema(true).optional() };

const gceWorker = <K extends GceProviderKind>(kind: K) =>
  closed({ ...gceWorkerShape, provider: z.literal(kind) }, WORKER_RULE).superRefine(checkInstanceName);

const dockerWorker = closed(
  {
    ...workerBase,
    provider: z.literal('docker'),
    idle: idleSchema(false).optional(),
    image: matching(/^[^\s-][^\s]*$/, "a docker image reference, without spaces, not starting with '-'").optional(),
    mounts: z
      .array(matching(/^(~\/[^\n\0:,]+|\/[^\n\0:,]+)$/, "an absolute directory path or one under ~/, without ':' or ','"), {
        error: expecting('a list of directory paths'),
      })
      .optional(),
    dockerHost: matching(/^\S+$/, 'a DOCKER_HOST value such as unix:///run/docker.sock').optional(),
  },
  WORKER_RULE,
);

/** One schema per provider kind; adding a provider is adding its entry here and a case in `resolveWorker`. */
const workerSchemas = {
  local: localWorker,
  ssh: sshWorker,
  'gce-cos': gceWorker('gce-cos'),
  'gce-linux': gceWorker('gce-linux'),
  docker: dockerWorker,
} satisfies Record<ProviderKind, z.ZodType>;

const worker = z.discriminatedUnion(
  'provider',
  [workerSchemas.local, workerSchemas.ssh, workerSchemas['gce-cos'], workerSchemas['gce-linux'], workerSchemas.docker],
  { error: (issue) => workerIssueMessage(issue.input) },
);

/** A worker that is not a mapping, or whose `provider` names no known kind. */
function workerIssueMessage(input: unknown): string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return expected(WORKER_RULE, input);
  const provider = (input as { provider?: unknown }).provider;
  const suggestion = typeof provider === 'string' ? closestMatch(provider, Object.keys(workerSchemas)) : undefined;
  return expected(PROVIDER_RULE, provider) + (suggestion ? `; did you mean \`${suggestion}\`?` : '');
}

/** `defaults:`: the worker settings, and the idle policy GCE workers take unless their entry says otherwise. */
const defaultsShape = { ...settingsShape, idle: idleSchema(true).optional() };

/** The config file as written: both sections optional, unknown fields rejected. */
export const configFileSchema = closed(
  {
    defaults: closed(defaultsShape, 'a mapping of worker defaults').nullish(),
    workers: z.array(worker, { error: expecting('a list of workers') }).nullish(),
    kinds: kindsSchema.nullish(),
    repo: repoSchema.nullish(),
    notify: notifySchema.nullish(),
    attach: closed(attachShape, 'a mapping with `detachKey`').nullish(),
    budget: budgetSchema.nullish(),
    /** The agent the built-in kinds and prompt kinds run: a preset's name (default `gemini`) or a custom agent. */
    agent: agentSchema.nullish(),
  },
  'a mapping with `defaults`, `workers`, `kinds`, `repo`, `notify`, `attach`, `budget` and/or `agent`',
);

/** The config file after validation, before defaults are applied. */
export type ConfigFile = z.output<typeof configFileSchema>;

type Settings = z.output<z.ZodObject<typeof settingsShape>>;

/** The fields a mapping at `path` may have (for "did you mean"), given the whole parsed document. */
export function knownFields(path: readonly PropertyKey[], root: unknown): readonly string[] {
  const last = path.at(-1);
  if (path.length === 0) return Object.keys(configFileSchema.shape);
  if (path.length === 1 && last === 'defaults') return Object.keys(defaultsShape);
  if (last === 'idle') return IDLE_FIELDS;
  if (path.length === 1 && last === 'notify') return Object.keys(notifyShape);
  // A custom agent: `agent:` at the top level or in a kind.
  if (last === 'agent' && (path.length === 1 || (path.length === 3 && path[0] === 'kinds'))) return Object.keys(customAgentShape);
  if (path.length === 1 && last === 'attach') return Object.keys(attachShape);
  if (path.length === 1 && last === 'budget') return Object.keys(budgetShape);
  const provider = providerAt(path, root);
  const gce = isGceKind(provider);
  if (path[0] === 'workers' && path.length === 2) {
    if (gce) return [...Object.keys(gceWorkerShape), 'provider'];
    if (provider === 'docker') return Object.keys(dockerWorker.shape);
    return Object.keys(provider === 'ssh' ? sshWorker.shape : localWorker.shape);
  }
  if (gce && path.length === 3 && typeof last === 'string' && last in gceShapes) {
    return Object.keys(gceShapes[last as keyof typeof gceShapes]);
  }
  if (last === 'container') return Object.keys(container.shape);
  if (last === 'ssh') return Object.keys(sshAddress.shape);
  return [];
}

/** The fields only an SSH worker may have: on a local worker they get their own message. */
export const SSH_ONLY_FIELDS: readonly string[] = Object.keys(sshWorker.shape).filter((k) => !(k in localWorker.shape));

/** The `provider` value written for the worker at `workers[i]`, if any. */
export function providerAt(path: readonly PropertyKey[], root: unknown): unknown {
  const workers = (root as { workers?: unknown } | null)?.workers;
  const index = path[1];
  if (!Array.isArray(workers) || typeof index !== 'number') return undefined;
  const entry: unknown = workers[index];
  return typeof entry === 'object' && entry !== null ? (entry as { provider?: unknown }).provider : undefined;
}

/** The embedded default fleet: one local worker with the default settings. */
export function defaultFleet(source?: string, settings: WorkerSettings = DEFAULT_SETTINGS, jobs: JobSettings = resolveJobSettings()): FleetConfig {
  return {
    workers: [{ name: 'local', provider: 'local', ...settings }],
    hostKeyPolicy: settings.hostKeyPolicy,
    source,
    jobs,
  };
}

/** Applies `defaults:` and {@link DEFAULT_SETTINGS} to a validated file. With no workers, the fleet is one local worker. */
export function resolveFleet(file: ConfigFile, source: string | undefined): FleetConfig {
  const defaults = overlay(DEFAULT_SETTINGS, file.defaults ?? {});
  const entries = file.workers ?? [];
  const jobs = resolveJobSettings({ kinds: file.kinds ?? null, repo: file.repo ?? null, agent: file.agent ?? null });
  const notify = {
    ...(file.notify ? { notify: resolveNotify(file.notify) } : {}),
    ...(file.attach?.detachKey ? { attach: { detachKey: file.attach.detachKey } } : {}),
    ...(file.budget ? { budget: { monthly: file.budget.monthly } } : {}),
  };
  if (entries.length === 0) return { ...defaultFleet(source, defaults, jobs), ...notify };
  const agentName = typeof file.agent === 'string' ? file.agent : undefined;
  const idle = file.defaults?.idle;
  return { workers: entries.map((entry) => withIdlePolicy(resolveWorker(entry, defaults, agentName), entry.idle, idle)), hostKeyPolicy: defaults.hostKeyPolicy, source, jobs, ...notify };
}

type WorkerEntry = NonNullable<ConfigFile['workers']>[number];

function resolveWorker(entry: WorkerEntry, defaults: WorkerSettings, agent: string | undefined): WorkerConfig {
  const settings = overlay(defaults, entry);
  const container = entry.provider !== 'gce-cos' && entry.provider !== 'gce-linux' && entry.container && { name: entry.container.name, runtime: entry.container.runtime ?? 'docker' };
  const mainDir = entry.mainDir !== undefined ? { mainDir: entry.mainDir } : {};
  const common = { ...settings, ...mainDir, ...(container && { container }) };
  switch (entry.provider) {
    case 'local':
      return { name: entry.name, provider: 'local', ...common };
    case 'ssh':
      return {
        name: entry.name,
        provider: 'ssh',
        ...common,
        ssh: entry.ssh,
        ...(entry.sshConfigFile !== undefined && { sshConfigFile: entry.sshConfigFile }),
      };
    case 'gce-cos':
    case 'gce-linux':
      return { name: entry.name, provider: entry.provider, ...settings, ...mainDir, ...resolveGceFields(entry as GceEntry) };
    case 'docker':
      return {
        name: entry.name,
        provider: 'docker',
        ...settings,
        ...mainDir,
        container: { name: entry.container?.name ?? `mc-${entry.name}`, runtime: 'docker' },
        image: entry.image ?? DEFAULT_WORKER_IMAGE,
        mounts: entry.mounts ?? defaultDockerMounts(agent),
        ...(entry.dockerHost !== undefined && { dockerHost: entry.dockerHost }),
      };
  }
}

/** A docker worker's mounts when its entry gives none: the work tree, the agents' state and the agent's own config directory. */
function defaultDockerMounts(agent: string | undefined): string[] {
  const own = `~/.${agent ?? 'gemini'}`;
  return [...new Set(['~/dev', '~/.gemini', '~/.offload', ...(/^[a-z0-9-]+$/.test(own.slice(3)) ? [own] : [])])];
}

/** `base` with every setting `over` gives; absent ones keep the base value. */
function overlay(base: WorkerSettings, over: Settings): WorkerSettings {
  return {
    tmuxSocket: over.tmuxSocket ?? base.tmuxSocket,
    maxJobs: over.maxJobs ?? base.maxJobs,
    pollIntervalMs: over.pollInterval ?? base.pollIntervalMs,
    stateDir: over.stateDir ?? base.stateDir,
    sessionPrefix: over.sessionPrefix ?? base.sessionPrefix,
    hostKeyPolicy: over.hostKeyPolicy ?? base.hostKeyPolicy,
    push: over.push ?? base.push ?? true,
  };
}
