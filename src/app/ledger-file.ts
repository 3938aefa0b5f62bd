/**
 * The cost ledger on disk: `$XDG_STATE_HOME/mission-control/cost-ledger.json` (else under ~/.local/state), one
 * entry per VM (`project/zone/instance`) with its usage intervals keyed by the API timestamp that began them. Every
 * process that observes a VM merges what it saw under the ledger's lock and writes the file atomically (a
 * temporary file renamed over it), so readers never see half a file and no interval is counted twice. A file that
 * cannot be read as a ledger is never overwritten: the error names it.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { localStateDir } from '../providers/gce/local-state.js';
import { costSoFar, mergeIntervals, type LedgerSummary, type UsageInterval, type UsageKind } from '../state/ledger.js';
import { withLedgerLock, type LedgerLockOptions } from './ledger-lock.js';

/** The ledger's file format version. */
export const LEDGER_VERSION = 1;

/** Closed intervals that ended longer ago than this are dropped (the ledger answers for this month and today). */
const KEEP_MS = 400 * 24 * 3_600_000;

/** One VM in the ledger. */
export interface LedgerVm {
  /** The worker name it was last observed as. */
  readonly worker: string;
  readonly intervals: Readonly<Record<string, UsageInterval>>;
}

/** The whole ledger. */
export interface LedgerData {
  readonly version: number;
  readonly vms: Readonly<Record<string, LedgerVm>>;
}

/** The ledger file is not a ledger (or cannot be read): named, left as it is, with what to do. */
export class LedgerFileError extends Error {
  constructor(readonly file: string, reason: string) {
    super(
      `the cost ledger ${file} cannot be read (${reason}); it was left as it is: fix it, or move it aside to start ` +
        'a new ledger (costs recorded so far are then not counted)',
    );
    this.name = 'LedgerFileError';
  }
}

/** `cost-ledger.json` in the XDG state directory. */
export function defaultLedgerPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(localStateDir(env), 'cost-ledger.json');
}

const KINDS: readonly UsageKind[] = ['running', 'suspended', 'stopped'];

function isInterval(value: unknown): value is UsageInterval {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    KINDS.includes(v.kind as UsageKind) &&
    Number.isFinite(v.start) &&
    Number.isFinite(v.end) &&
    typeof v.open === 'boolean' &&
    (v.perHour === null || Number.isFinite(v.perHour))
  );
}

/** Checks a parsed file; a message saying what is wrong, or the ledger. */
function validate(parsed: unknown): LedgerData | string {
  if (typeof parsed !== 'object' || parsed === null) return 'not a JSON object';
  const { version, vms } = parsed as Record<string, unknown>;
  if (version !== LEDGER_VERSION) return `version ${JSON.stringify(version)}, expected ${LEDGER_VERSION}`;
  if (typeof vms !== 'object' || vms === null) return '`vms` is not an object';
  for (const [key, vm] of Object.entries(vms)) {
    const entry = vm as Record<string, unknown> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.worker !== 'string' || typeof entry.intervals !== 'object' || entry.intervals === null) {
      return `entry ${JSON.stringify(key)} is malformed`;
    }
    for (const [name, interval] of Object.entries(entry.intervals)) {
      if (!isInterval(interval)) return `interval ${JSON.stringify(name)} of ${JSON.stringify(key)} is malformed`;
    }
  }
  return parsed as LedgerData;
}

/** The cost ledger of this machine's user. */
export class CostLedger {
  readonly file: string;
  readonly #lock: LedgerLockOptions;

  constructor(file: string = defaultLedgerPath(), lock: LedgerLockOptions = {}) {
    this.file = file;
    this.#lock = lock;
  }

  /** The ledger (empty when there is no file yet). Rejects with {@link LedgerFileError} when the file is not a ledger. */
  async read(): Promise<LedgerData> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: LEDGER_VERSION, vms: {} };
      throw new LedgerFileError(this.file, (error as Error).message);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new LedgerFileError(this.file, `not JSON: ${(error as Error).message}`);
    }
    const checked = validate(parsed);
    if (typeof checked === 'string') throw new LedgerFileError(this.file, checked);
    return checked;
  }

  /** Merges what one observation of a VM showed, under the lock; the file is replaced atomically. */
  async record(vmKey: string, worker: string, observed: readonly UsageInterval[], now: number = Date.now()): Promise<void> {
    await withLedgerLock(
      `${this.file}.lock`,
      async () => {
        const data = await this.read();
        const before = data.vms[vmKey];
        const merged = mergeIntervals(before?.intervals ?? {}, observed);
        for (const [key, interval] of Object.entries(merged)) if (!interval.open && interval.end < now - KEEP_MS) delete merged[key];
        const next: LedgerData = { version: LEDGER_VERSION, vms: { ...data.vms, [vmKey]: { worker, intervals: merged } } };
        if (before && before.worker === worker && JSON.stringify(before.intervals) === JSON.stringify(merged)) return;
        await this.#write(next);
      },
      this.#lock,
    );
  }

  /** Today's and this month's cost per worker and for the fleet (every VM in the ledger). */
  async summary(now: number = Date.now()): Promise<LedgerSummary> {
    return summarizeLedger(await this.read(), now);
  }

  async #write(data: LedgerData): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temp, `${JSON.stringify(data, null, 1)}\n`, { mode: 0o600 });
    await rename(temp, this.file);
  }
}

/** Sums the ledger per worker name and for the fleet. */
export function summarizeLedger(data: LedgerData, now: number): LedgerSummary {
  const byWorker = new Map<string, UsageInterval[]>();
  const all: UsageInterval[] = [];
  for (const vm of Object.values(data.vms)) {
    const intervals = Object.values(vm.intervals);
    all.push(...intervals);
    byWorker.set(vm.worker, [...(byWorker.get(vm.worker) ?? []), ...intervals]);
  }
  return {
    currency: 'USD',
    fleet: costSoFar(all, now),
    workers: Object.fromEntries([...byWorker].map(([worker, intervals]) => [worker, costSoFar(intervals, now)])),
  };
}
