/**
 * Feeds the cost ledger from what the GCE providers read from the Compute API, and keeps the store's cost so far
 * in step with the file (which other processes write too).
 */
import type { GceWorkerConfig } from '../config/schema.js';
import type { ComputeInstance } from '../providers/gce/compute-api.js';
import { intervalsOf, type LedgerSummary } from '../state/ledger.js';
import { usageRates } from '../state/ledger-rates.js';
import type { FleetStore } from '../state/store.js';
import { CostLedger } from './ledger-file.js';

/** `project/zone/instance`: a VM's key in the ledger. */
export function ledgerVmKey(worker: Pick<GceWorkerConfig, 'project' | 'zone' | 'instance'>): string {
  return `${worker.project}/${worker.zone}/${worker.instance}`;
}

/** Records observations in the ledger one after another, and publishes the sums. */
export class CostRecorder {
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ledger: CostLedger,
    private readonly store: FleetStore | undefined,
  ) {}

  /** An instance of `worker` as the API returned it: its intervals go into the ledger (in the background). */
  observe(worker: GceWorkerConfig, instance: ComputeInstance, now: number = Date.now()): void {
    const intervals = intervalsOf(
      {
        status: String(instance.status ?? ''),
        lastStartTimestamp: text(instance.lastStartTimestamp),
        lastStopTimestamp: text(instance.lastStopTimestamp),
        lastSuspendedTimestamp: text(instance.lastSuspendedTimestamp),
      },
      now,
      usageRates(worker),
    );
    this.#queue = this.#queue
      .then(() => this.ledger.record(ledgerVmKey(worker), worker.name, intervals, now))
      .then(
        async () => void (await this.publish()),
        (error: unknown) => this.store?.getState().setCostSoFar(undefined, messageOf(error)),
      );
  }

  /** Resolves once every observation so far is in the ledger (and the sums published). */
  settled(): Promise<void> {
    return this.#queue;
  }

  /** Reads the ledger's sums into the store; resolves to them (undefined when the file cannot be read). */
  async publish(now: number = Date.now()): Promise<LedgerSummary | undefined> {
    try {
      const summary = await this.ledger.summary(now);
      this.store?.getState().setCostSoFar(summary);
      return summary;
    } catch (error) {
      this.store?.getState().setCostSoFar(undefined, messageOf(error));
      return undefined;
    }
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
