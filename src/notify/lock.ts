/**
 * One process at a time runs `notify.command`: a dashboard and a `watch` wallboard side by side see the same
 * transitions, and the user's phone should buzz once. The first process to need the lock takes it (a file made
 * with O_EXCL holding its PID) and keeps it until it ends; the others leave the command to it. A lock whose PID is
 * no longer alive (a process that crashed) is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { localStateDir } from '../providers/gce/local-state.js';

/** `$XDG_STATE_HOME/mission-control/notify.lock`, else under `~/.local/state`. */
export function defaultNotifyLockPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(localStateDir(env), 'notify.lock');
}

/** A lock held for the life of the process. */
export interface NotifyLock {
  /** True when this process holds the lock, taking it first when it is free or stale. */
  acquire(): boolean;
  /** Lets go of the lock (only if held: another process's lock is never removed). */
  release(): void;
}

/** Whether a process with this PID is alive (EPERM means alive, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the lock at `path` for this process (`pid`). Failing to write the directory means: not held. */
export function createNotifyLock(path: string = defaultNotifyLockPath(), pid: number = process.pid): NotifyLock {
  let held = false;
  /** Makes the lock file with our PID; false when it exists (or cannot be made). */
  const create = (): boolean => {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, `${pid}\n`);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch {
      return false;
    }
  };
  const take = (): boolean => {
    if (create()) return true;
    const owner = readPid(path);
    if (owner === pid) return true;
    // A file being written has no PID yet: its writer is alive, so it is not stale.
    if (owner === undefined || alive(owner)) return false;
    try {
      // Only the file of that dead owner is removed: re-read so a lock another process just took is left alone.
      if (readPid(path) === owner) unlinkSync(path);
    } catch {
      return false;
    }
    return create();
  };
  return {
    acquire() {
      if (held && readPid(path) === pid) return true;
      held = take();
      return held;
    },
    release() {
      if (!held) return;
      held = false;
      try {
        if (readPid(path) === pid) unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}
