/**
 * Network and sshd faults on a watched worker: a link that drops every packet (no reset), an sshd frozen with
 * SIGSTOP (listener and the per-connection processes serving the fleet's live connections) then resumed, and a
 * link slowed to a 2 s round trip.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetState } from '../../src/state/store.js';
import type { WatchedFault } from './watch.js';
import type { FaultWorld } from './world.js';

/** The worker is up and has been refreshed since `since` (ms since epoch). */
export const upSince = (worker: string, since: () => number) => (state: FleetState) => {
  const view = state.workers[worker];
  return view?.connection === 'up' && (view.lastRefresh ?? 0) > since();
};

/** The worker is shown down. */
export const shownDown = (worker: string) => (state: FleetState) => state.workers[worker]?.connection === 'down';

/** Pids of every descendant of `pid`, from /proc/<pid>/task/<tid>/children. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${parent}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
        if (found.length < 10_000 && !found.includes(child)) {
          found.push(child);
          visit(child);
        }
      }
    }
  };
  visit(pid);
  return found;
}

const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

/** The three network faults. */
export function networkFaults(world: FaultWorld): (WatchedFault | { name: string; notRun: string })[] {
  const faults: (WatchedFault | { name: string; notRun: string })[] = [];
  const ns = world.ns;
  let healed = 0;
  const healedAt = () => healed;
  if (!ns) faults.push({ name: 'link cut (w0, packets dropped)', notRun: 'no network namespace could be made (ip/iptables as root)' });
  else {
    faults.push({
      name: 'link cut (w0, packets dropped)',
      targets: ['w0'],
      inject: () => ns.cut(),
      heal: async () => {
        await ns.restore();
        healed = Date.now();
      },
      detected: shownDown('w0'),
      recovered: upSince('w0', healedAt),
    });
  }

  // sshd's own pid file names the listener; the processes serving connections are its descendants named sshd.
  const stopped: number[] = [];
  let stoppedTotal = 0;
  const w1 = world.worker('w1');
  faults.push({
    name: 'sshd stopped (w1, SIGSTOP) then resumed',
    targets: ['w1'],
    async inject() {
      const listener = Number(readFileSync(join(w1.sshd.dir, 'sshd.pid'), 'utf8').trim());
      const serving = descendants(listener).filter((pid) => comm(pid) === 'sshd');
      for (const pid of [listener, ...serving]) {
        process.kill(pid, 'SIGSTOP');
        stopped.push(pid);
      }
      stoppedTotal = stopped.length;
    },
    async heal() {
      for (const pid of stopped.splice(0)) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // gone
        }
      }
      healed = Date.now();
    },
    detected: shownDown('w1'),
    recovered: upSince('w1', healedAt),
    after: async () => ({ note: `${stoppedTotal} sshd processes stopped (listener + serving)` }),
  });

  faults.push({
    name: 'link slowed to 2 s RTT (w2)',
    targets: ['w2'],
    async inject() {
      world.proxy.setOneWayDelay(1000);
    },
    async heal() {
      world.proxy.setOneWayDelay(0);
      healed = Date.now();
    },
    // Shown: either the round trip (≥ 1 s) or the worker as down; either way the user sees the link is bad.
    detected: (state) => {
      const view = state.workers['w2'];
      return view?.connection === 'down' || (view?.rttMs ?? 0) >= 1000;
    },
    recovered: (state) => upSince('w2', healedAt)(state) && (state.workers['w2']?.rttMs ?? 0) < 1000,
    holdMs: 12_000,
  });
  return faults;
}
