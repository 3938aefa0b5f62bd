/**
 * The monthly budget (`budget: { monthly: N }`, in the price table's currency): a cloud worker is not created,
 * started or resumed — by any path: the dashboard, `launch`, `setup`, a launch that wakes a stopped or suspended
 * VM — when this month's cost so far plus one idle window at the worker's running price reaches the budget. The
 * check wraps the providers themselves (see {@link guardBudget}), so every path goes through it; `--force`, or the
 * dashboard after a confirmation that shows the figures, lets one call through.
 */
import { isGceWorker, type WorkerConfig } from '../config/schema.js';
import { estimateHourlyCost } from '../providers/gce/pricing.js';
import type { MachineStatus, ProgressReporter, WorkerProvider } from '../providers/types.js';

/** The idle window the budget reserves per wake-up of a worker without an idle policy. */
const DEFAULT_IDLE_WINDOW_MS = 30 * 60_000;

/**
 * How long a woken worker may stay up doing nothing before it is put to sleep: what the budget must leave room for.
 * The worker's `idle.after` when it has an idle policy, else 30 minutes.
 */
export function idleWindowMs(worker: WorkerConfig): number {
  return worker.idle?.afterMs ?? DEFAULT_IDLE_WINDOW_MS;
}

/** The figures a budget decision is made from. */
export interface BudgetFigures {
  readonly worker: string;
  /** What is about to happen: `provision`, `start`, `wake`. */
  readonly action: string;
  readonly monthly: number;
  readonly monthSoFar: number;
  /** The worker's running price per hour (0 when unknown). */
  readonly runningPerHour: number;
  readonly idleWindowMs: number;
  /** Month so far plus one idle window at the running price. */
  readonly projected: number;
}

/** The figures of waking `worker` now, and whether they reach the budget. */
export function budgetFigures(input: Omit<BudgetFigures, 'projected'>): BudgetFigures & { readonly reached: boolean } {
  const projected = input.monthSoFar + (input.runningPerHour * input.idleWindowMs) / 3_600_000;
  return { ...input, projected, reached: projected >= input.monthly };
}

const money = (value: number) => `$${value.toFixed(2)}`;

/** One sentence with the figures: `$9.80 so far this month + $0.07 for 30 min at $0.134/h = $9.87 of $10.00`. */
export function describeBudgetFigures(figures: BudgetFigures): string {
  const minutes = Math.round(figures.idleWindowMs / 60_000);
  return (
    `${money(figures.monthSoFar)} so far this month + ${money(figures.projected - figures.monthSoFar)} for one idle window ` +
    `(${minutes} min at $${figures.runningPerHour.toFixed(3)}/h) = ${money(figures.projected)}, monthly budget ${money(figures.monthly)}`
  );
}

/** A cloud worker was not woken because of the monthly budget; the message has the figures and the way past. */
export class BudgetExceededError extends Error {
  constructor(readonly figures: BudgetFigures) {
    super(
      `${figures.worker}: not ${figures.action === 'provision' ? 'provisioned' : 'started'}: the monthly budget would be reached ` +
        `(${describeBudgetFigures(figures)}); raise budget.monthly in the config, or go ahead anyway: --force on the ` +
        'command line, or confirm when the dashboard asks',
    );
    this.name = 'BudgetExceededError';
  }
}

/** What the guard asks of the fleet. */
export interface BudgetGate {
  /** The monthly budget in force (the config may be reloaded); undefined: no budget. */
  monthly(): number | undefined;
  /** The fleet's cost so far this month, from the ledger (rejects naming the file when it cannot be read). */
  monthSoFar(): Promise<number>;
  /** True when this worker's next wake-up may pass over the budget (`--force`, or a confirmed dialog). */
  takeOverride(worker: string): boolean;
}

/** Refuses, with the figures, when waking `worker` now would reach the budget. */
export async function checkBudget(worker: WorkerConfig, action: string, gate: BudgetGate): Promise<void> {
  if (!isGceWorker(worker)) return;
  const monthly = gate.monthly();
  if (monthly === undefined || gate.takeOverride(worker.name)) return;
  const figures = budgetFigures({
    worker: worker.name,
    action,
    monthly,
    monthSoFar: await gate.monthSoFar(),
    runningPerHour: estimateHourlyCost(worker).runningPerHour ?? 0,
    idleWindowMs: idleWindowMs(worker),
  });
  if (figures.reached) throw new BudgetExceededError(figures);
}

/**
 * The provider of `worker` with the budget checked before it creates or wakes the VM: `provision` and `rebuild`
 * always, `start` and `ensureReady` (a launch's first step) when the VM is not running. Everything else is the
 * provider's own (methods run on the provider itself, whose private state a proxy could not reach).
 */
export function guardBudget(provider: WorkerProvider, worker: WorkerConfig, gate: BudgetGate): WorkerProvider {
  if (!isGceWorker(worker)) return provider;
  // Asked of the API now, not the status cache: a VM stopped a moment ago (by another dashboard, the idle policy)
  // would otherwise be woken unchecked.
  const fresh = (provider as Partial<{ refreshStatus(): Promise<MachineStatus> }>).refreshStatus?.bind(provider);
  // Only with a budget: without one, a start or launch costs no extra API call.
  const wakes = async (): Promise<boolean> =>
    gate.monthly() !== undefined && (await (fresh ?? (() => provider.getStatus()))()).state !== 'running';
  const guarded: Partial<Record<keyof WorkerProvider, (progress?: ProgressReporter) => Promise<void>>> = {
    provision: async (progress) => {
      await checkBudget(worker, 'provision', gate);
      return provider.provision(progress);
    },
    rebuild: async (progress) => {
      await checkBudget(worker, 'provision', gate);
      return provider.rebuild(progress);
    },
    start: async (progress) => {
      if (await wakes()) await checkBudget(worker, 'start', gate);
      return provider.start(progress);
    },
    ensureReady: async (progress) => {
      if (await wakes()) await checkBudget(worker, 'start', gate);
      return provider.ensureReady(progress);
    },
  };
  return new Proxy(provider, {
    get(target, property) {
      const own = guarded[property as keyof WorkerProvider];
      if (own) return own;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
