/**
 * Who holds a launch lock. A launcher writes its token into the lock it takes: this machine's boot id, its pid and
 * the pid's start time. A later launch from the same machine that finds the lock can then tell a launcher that is
 * still at work from one that was killed (its pid gone, or reused by another process since), and take the lock over
 * at once instead of waiting for the lock to grow stale. Locks of other machines' launchers still wait for staleness.
 */
import { readFileSync } from 'node:fs';

/** What a token looks like: `<boot id>/<pid>/<start time in clock ticks>`. */
const TOKEN = /^([0-9a-f-]{36})\/(\d{1,10})\/(\d{1,20})$/;

function bootId(): string | undefined {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return /^[0-9a-f-]{36}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A process's start time (field 22 of /proc/PID/stat), or undefined when there is no such process. */
function startTime(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** This process's token, or undefined where /proc does not tell (then locks are judged by age alone). */
export function launcherToken(): string | undefined {
  const boot = bootId();
  const started = startTime('self');
  return boot && started ? `${boot}/${process.pid}/${started}` : undefined;
}

/** True when `token` names a launcher on this machine that is no longer running. */
export function isDeadLauncherHere(token: string): boolean {
  const match = TOKEN.exec(token);
  if (!match || match[1] !== bootId()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  const started = startTime(pid);
  return started === undefined || started !== match[3];
}
