/**
 * The cost ledger's lock: held only for one read-merge-write, by a file made with O_EXCL that names its holder
 * (PID and a token of its own, so two ledgers in one process exclude each other too). A holder that died cannot
 * keep it: a lock whose PID is gone is taken over at once, and one whose holder never wrote its name (it died
 * between making the file and writing it) once it is older than `staleMs`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { alive } from '../notify/lock.js';

/** Options of {@link withLedgerLock}. */
export interface LedgerLockOptions {
  /** How long to wait for a live holder before giving up; default 10 s. */
  readonly timeoutMs?: number;
  /** Age after which a lock file with no holder written in it is stale; default 5 s. */
  readonly staleMs?: number;
}

/** The lock could not be taken in time: who holds it, and what to do. */
export class LedgerLockError extends Error {
  constructor(readonly path: string, holder: string | undefined) {
    super(
      `the cost ledger's lock ${path} is held${holder ? ` by process ${holder}` : ''} and was not released in time; ` +
        'if no mission-control process is running, remove that file',
    );
    this.name = 'LedgerLockError';
  }
}

/** The holder written in the lock file (`PID TOKEN`), or undefined when it has none (yet) or is gone. */
function readHolder(path: string): { pid: number; token: string } | undefined {
  try {
    const match = /^(\d{1,10}) ([0-9a-f]+)\n$/.exec(readFileSync(path, 'utf8'));
    return match ? { pid: Number(match[1]), token: match[2]! } : undefined;
  } catch {
    return undefined;
  }
}

function tryCreate(path: string, content: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Removes the lock file if it is stale: its holder is dead, or it stayed nameless longer than `staleMs`. */
function clearIfStale(path: string, staleMs: number): void {
  const holder = readHolder(path);
  let stale: boolean;
  if (holder) stale = !alive(holder.pid);
  else {
    try {
      stale = Date.now() - statSync(path).mtimeMs > staleMs;
    } catch {
      return; // gone already
    }
  }
  if (!stale) return;
  // Re-read first: a lock another process took in the meantime is left alone.
  const again = readHolder(path);
  if (again?.token !== holder?.token) return;
  try {
    unlinkSync(path);
  } catch {
    // someone else cleared it
  }
}

/** Runs `work` holding the lock at `path`; the lock is released however `work` ends. */
export async function withLedgerLock<T>(path: string, work: () => Promise<T>, options: LedgerLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 5000;
  const token = randomBytes(8).toString('hex');
  const content = `${process.pid} ${token}\n`;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  let pause = 5;
  while (!tryCreate(path, content)) {
    clearIfStale(path, staleMs);
    if (Date.now() > deadline) {
      const holder = readHolder(path);
      throw new LedgerLockError(path, holder ? String(holder.pid) : undefined);
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 100);
  }
  try {
    return await work();
  } finally {
    if (readHolder(path)?.token === token) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  }
}
