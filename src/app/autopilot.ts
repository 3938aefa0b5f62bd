/**
 * Acting on the idle policy: suspends or stops a worker whose idle deadline has passed, after a fresh scan shows it
 * is still due. Shared by the dashboard (when it may change the fleet) and the headless `mission-control autopilot`.
 * It takes a fleet whose providers can change it: a read-only fleet (watch mode) cannot be given to it at all.
 */
import { idleLabel, workerIdle, type IdleVerdict } from '../state/idle.js';
import type { WorkerView } from '../state/types.js';
import type { WorkerProvider } from '../providers/types.js';
import { describeError } from './errors.js';
import type { Fleet } from './fleet.js';
import { refreshWorker } from './refresh.js';

/** What the idle actor decided about one worker. */
export type IdleDecisionKind = 'countdown' | 'kept-up' | 'asleep' | 'unseen' | 'cancelled' | 'suspend' | 'stop' | 'done' | 'failed';

/** One decision, as the autopilot logs it (one line each). */
export interface IdleDecision {
  /** ms since epoch. */
  readonly at: number;
  readonly worker: string;
  readonly decision: IdleDecisionKind;
  /** What was decided and why, in one line. */
  readonly text: string;
}

/** Options of {@link createIdleActor}. */
export interface IdleActorOptions {
  /** Called for each decision. */
  readonly report: (decision: IdleDecision) => void;
  /** Our clock (ms since epoch); `Date.now` by default. */
  readonly now?: () => number;
}

/** The idle actor of one fleet. */
export interface IdleActor {
  /** Looks at every worker with a policy in the store as it is now, and acts on those that are due. Never overlaps itself. */
  check(): Promise<void>;
}

/** Creates the idle actor of `fleet`. */
export function createIdleActor(fleet: Fleet<WorkerProvider>, options: IdleActorOptions): IdleActor {
  const now = options.now ?? Date.now;
  /** After a failed suspend or stop, not before: a worker that refuses once would otherwise be asked at every check. */
  const retryAt = new Map<string, number>();
  const said = new Map<string, string>();
  let running: Promise<void> | undefined;

  const report = (worker: string, decision: IdleDecisionKind, text: string) => options.report({ at: now(), worker, decision, text: `${worker}: ${text}` });

  /** The worker's verdict from the store as it is now (the store keeps its idle memory across scans). */
  const observe = (name: string): IdleVerdict | undefined => {
    const state = fleet.store.getState();
    const view = state.workers[name];
    return view ? workerIdle(view, state.jobsByWorker[name] ?? [], now()) : undefined;
  };

  /**
   * Logs the verdict when what it says changed: kept up and why, a countdown and its reason, or (for a worker with
   * a policy but no verdict) that it is not running or cannot be seen.
   */
  const tell = (name: string, verdict: IdleVerdict | undefined) => {
    const view = fleet.store.getState().workers[name];
    if (!view?.idle) return;
    const out = verdict === undefined ? unwatched(view) : undefined;
    const key = verdict === undefined ? `out ${out?.kind}` : verdict.kind === 'kept-up' ? `kept-up ${verdict.reason}` : `idle ${verdict.reason}`;
    if (said.get(name) === key) return;
    said.set(name, key);
    const at = now();
    if (out) report(name, out.kind, out.text);
    else if (verdict?.kind === 'kept-up') report(name, 'kept-up', idleLabel(verdict, at));
    else if (verdict) report(name, 'countdown', `${idleLabel(verdict, at)} (${verdict.reason})`);
  };

  const act = async (name: string, verdict: Extract<IdleVerdict, { kind: 'idle' }>) => {
    const provider = fleet.provider(name);
    const worker = fleet.worker(name);
    if (!provider || !worker) return;
    // A read-only view has no suspend or stop at all: nothing to act with (the types already keep it out).
    if (typeof provider.suspend !== 'function' || typeof provider.stop !== 'function') {
      report(name, 'failed', 'not acted on: this fleet is read-only');
      return;
    }
    // Never act on what an earlier scan saw: scan again, and decide again from that scan.
    try {
      await refreshWorker(fleet.store, provider, worker.pollIntervalMs);
    } catch (error) {
      report(name, 'cancelled', `not ${verdict.action === 'suspend' ? 'suspended' : 'stopped'}: the fresh scan before acting failed (${describeError(error)})`);
      return;
    }
    const fresh = observe(name);
    if (fresh?.kind !== 'idle' || fresh.deadline > now()) {
      report(name, 'cancelled', `not due after a fresh scan: ${fresh ? idleLabel(fresh, now()) : 'not running'}`);
      said.delete(name);
      return;
    }
    report(name, fresh.action, `${fresh.action === 'suspend' ? 'suspending' : 'stopping'}: ${fresh.reason}, due ${ago(now() - fresh.deadline)}`);
    try {
      await (fresh.action === 'suspend' ? provider.suspend() : provider.stop());
      report(name, 'done', fresh.action === 'suspend' ? 'suspended' : 'stopped');
    } catch (error) {
      retryAt.set(name, now() + (worker.idle?.afterMs ?? 0));
      report(name, 'failed', `${fresh.action} failed: ${describeError(error)}`);
    }
    said.delete(name);
    fleet.refreshNow(name);
  };

  const checkAll = async () => {
    const state = fleet.store.getState();
    const due: [string, Extract<IdleVerdict, { kind: 'idle' }>][] = [];
    for (const name of state.workerOrder) {
      const verdict = observe(name);
      tell(name, verdict);
      if (verdict?.kind === 'idle' && verdict.deadline <= now() && (retryAt.get(name) ?? 0) <= now()) due.push([name, verdict]);
    }
    await Promise.all(due.map(([name, verdict]) => act(name, verdict)));
  };

  return {
    check() {
      running ??= checkAll().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}

/** Why a worker with a policy has no countdown: not running, or not seen. */
function unwatched(view: WorkerView): { kind: 'asleep' | 'unseen'; text: string } {
  if (view.machine && view.machine.state !== 'running' && view.machine.state !== 'unknown') return { kind: 'asleep', text: `nothing to count: the machine is ${view.machine.state}` };
  if (view.connection === 'connecting') return { kind: 'unseen', text: 'not scanned yet' };
  return { kind: 'unseen', text: `cannot be scanned, so nothing is decided: ${view.lastError ?? 'no answer'}` };
}

function ago(ms: number): string {
  return ms < 1000 ? 'now' : `${Math.round(ms / 1000)}s ago`;
}


/** The dashboard's beat for the idle actor: it reads the store the polls keep fresh, so a second is cheap. */
const DASHBOARD_CHECK_MS = 1000;

/**
 * Runs the idle actor beside a dashboard that may change the fleet, telling the user of each suspend or stop (and of
 * a failure). Returns a function that stops it.
 */
export function runIdleActor(fleet: Fleet<WorkerProvider>, tell: (text: string, failed: boolean) => void): () => void {
  const shown: ReadonlySet<IdleDecisionKind> = new Set(['suspend', 'stop', 'failed']);
  const actor = createIdleActor(fleet, { report: (d) => shown.has(d.decision) && tell(d.text, d.decision === 'failed') });
  const timer = setInterval(() => void actor.check(), DASHBOARD_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
