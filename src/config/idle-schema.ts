/**
 * The idle policy (`idle:` under `defaults:` or in a worker): how long a worker may sit with nothing to do before
 * mission-control suspends or stops it. Only workers mission-control can stop take one: GCE VMs (suspend or stop)
 * and docker workers (stop); a local or ssh host is somebody's machine and stays up.
 */
import { z } from 'zod';
import { DURATION_RULE, formatDuration, parseDuration } from './duration.js';
import { closed, expected, expecting } from './rules.js';

/** What happens to an idle worker: `suspend` keeps memory (sessions and waiting agents survive); `stop` powers off. */
export type IdleAction = 'suspend' | 'stop';

/** A worker's idle policy, resolved. */
export interface IdlePolicy {
  /** No working job, no attached client and no output for this long makes the worker idle. */
  readonly afterMs: number;
  readonly action: IdleAction;
  /** A job waiting for its user keeps the worker up this long after it began waiting. */
  readonly waitingAfterMs: number;
}

/** `after` when the config gives none. */
export const DEFAULT_IDLE_AFTER_MS = 30 * 60_000;
/** `waitingAfter` when the config gives none: a user answering within two hours finds the agent as it was. */
export const DEFAULT_WAITING_AFTER_MS = 2 * 3_600_000;
/** The shortest `after` or `waitingAfter`: below it a worker would be put away between two scans. */
export const IDLE_FLOOR_MS = 1000;

const idleDuration = z.union([z.number(), z.string()], { error: expecting(DURATION_RULE) }).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined || ms < IDLE_FLOOR_MS) {
    const rule = ms === undefined ? DURATION_RULE : `at least ${formatDuration(IDLE_FLOOR_MS)}`;
    ctx.issues.push({ code: 'custom', input: value, message: expected(rule, value) });
    return z.NEVER;
  }
  return ms;
});

const SUSPEND_ONLY_GCE = '`stop` (suspend keeps a VM\'s memory and exists only for GCE workers: provider gce-cos or gce-linux)';

const IDLE_RULE = 'a mapping {after?, action?, waitingAfter?}, or `off` for no idle policy';

/** The fields of `idle:`; `suspend` is offered only where the worker is a GCE VM (and under `defaults:`). */
function idleShape(suspendable: boolean) {
  return {
    after: idleDuration.optional(),
    action: (suspendable
      ? z.enum(['suspend', 'stop'], { error: expecting('`suspend` or `stop`') })
      : z.literal('stop', { error: expecting(SUSPEND_ONLY_GCE) })
    ).optional(),
    waitingAfter: idleDuration.optional(),
  };
}

/** The field names of `idle:` (for "did you mean"). */
export const IDLE_FIELDS: readonly string[] = Object.keys(idleShape(true));

/**
 * `idle:` for a worker that can be suspended (GCE) or only stopped (docker); `off` (or `false`) opts out of
 * `defaults.idle`. Not a union: a union would hide what is wrong inside the mapping behind "invalid input".
 */
export function idleSchema(suspendable: boolean) {
  const mapping = closed(idleShape(suspendable), IDLE_RULE);
  return z.unknown().transform((value, ctx): IdleEntry => {
    if (value === 'off' || value === false) return false;
    const parsed = mapping.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.issues.push({ ...issue, input: value } as typeof ctx.issues[number]);
    return z.NEVER;
  });
}

/** `idle:` on a worker mission-control cannot stop: any value is refused, saying why. */
export const noIdleOnHost = z
  .custom<never>(() => false, {
    error: () =>
      '`idle` is only for workers mission-control can stop: GCE workers (suspend or stop) and docker workers (stop); a local or ssh host stays up (remove it)',
  })
  .optional();

/** `idle:` as written, after validation. */
export type IdleEntry = false | { readonly after?: number; readonly action?: IdleAction; readonly waitingAfter?: number };

/**
 * A worker's policy from its own `idle:` over `defaults.idle` (field by field). GCE workers take the defaults and
 * suspend unless told to stop; docker workers have a policy only from their own entry, and always stop.
 */
export function resolveIdle(own: IdleEntry | null | undefined, defaults: IdleEntry | null | undefined, gce: boolean): IdlePolicy | undefined {
  if (own === false) return undefined;
  const base = gce && defaults ? defaults : undefined;
  if (!own && !base) return undefined;
  const pick = { ...(base || {}), ...(own || {}) };
  return {
    afterMs: pick.after ?? DEFAULT_IDLE_AFTER_MS,
    action: gce ? (pick.action ?? 'suspend') : 'stop',
    waitingAfterMs: pick.waitingAfter ?? DEFAULT_WAITING_AFTER_MS,
  };
}

/** `worker` with its idle policy when it has one (see {@link resolveIdle}); a local or ssh host never has one. */
export function withIdlePolicy<W extends { readonly provider: string }>(worker: W, own: IdleEntry | null | undefined, defaults: IdleEntry | null | undefined): W {
  if (worker.provider === 'local' || worker.provider === 'ssh') return worker;
  const idle = resolveIdle(own, defaults, worker.provider !== 'docker');
  return idle ? { ...worker, idle } : worker;
}
