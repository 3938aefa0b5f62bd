/**
 * Faults of a whole worker: a reboot (its tmux server and its container killed, then the container started again:
 * its jobs must show as lost, with the reason, and nothing else be disturbed) and a clock an hour ahead
 * (libfaketime in the worker's sshd sessions and tmux: job ages and states must still be right).
 */
import { isLiveState } from '../../src/state/selectors.js';
import type { FleetState } from '../../src/state/store.js';
import type { Job } from '../../src/state/types.js';
import { upSince } from './network.js';
import type { WatchedFault } from './watch.js';
import type { FaultWorld } from './world.js';

const jobsOf = (state: FleetState, worker: string): readonly Job[] => state.jobsByWorker[worker] ?? [];

/** The reboot of w3 (needs the private dockerd). */
export function rebootFault(world: FaultWorld): WatchedFault | { name: string; notRun: string } {
  const name = 'worker reboot (w3: container + its tmux killed)';
  const docker = world.docker;
  if (!docker) return { name, notRun: world.dockerProblem ?? 'no docker' };
  const w3 = world.worker('w3');
  let healed = 0;
  let killedTmux = '';
  return {
    name,
    targets: ['w3'],
    async inject() {
      // A reboot ends every process at once: the container is killed (SIGKILL to its init, the kernel ends the rest,
      // the tmux server among them), so no job wrapper gets to record an exit code. Killing tmux first instead would be
      // a tmux crash, where the wrappers see the hangup and record exit 129.
      const pid = (await w3.tmux(['display', '-p', '#{pid}'])).stdout.trim();
      const killed = await docker.docker(['kill', 'maintainer-worker']);
      killedTmux = killed.code === 0 ? `container killed, its tmux server (pid ${pid || '?'}) with it` : `docker kill: ${killed.stderr.trim()}`;
    },
    async heal() {
      await docker.docker(['start', 'maintainer-worker']);
      healed = Date.now();
    },
    // Detected: none of its jobs is shown running any more.
    detected: (state) => jobsOf(state, 'w3').length > 0 && jobsOf(state, 'w3').every((job) => !isLiveState(job.state)),
    // Recovered: the worker is up with its container running, and its jobs are shown lost with a reason.
    recovered: (state) =>
      upSince('w3', () => healed)(state) &&
      state.workers['w3']?.container?.running === true &&
      jobsOf(state, 'w3').every((job) => job.state === 'lost' && job.reason !== ''),
    expectLost: true,
    async after() {
      const jobs = jobsOf(world.fleet.store.getState(), 'w3');
      const reasons = [...new Set(jobs.map((job) => `${job.state}: ${job.reason}`))].join(' | ');
      return { note: `${killedTmux}; w3 jobs now ${reasons || 'none'}` };
    },
  };
}

/** Jobs launched on w4 (an hour ahead) while watched: states, ages and skew checked against our clock. */
export function clockFault(world: FaultWorld): WatchedFault {
  let launchedAt = 0;
  const ids: string[] = [];
  return {
    name: 'worker clock +1 h (w4, libfaketime)',
    targets: ['w4'],
    async inject() {
      launchedAt = Date.now();
      for (const [kind, n] of [['sleeper', '50'], ['quick', '51']] as const) {
        const launched = await world.actions.launch({ kind, params: { n }, worker: 'w4' });
        ids.push(launched.key);
      }
      world.fleet.refreshNow('w4');
    },
    async heal() {},
    holdMs: 6000,
    async after() {
      const state = world.fleet.store.getState();
      const now = Date.now();
      const jobs = jobsOf(state, 'w4');
      const problems: string[] = [];
      const skew = state.workers['w4']?.host?.now;
      const skewS = skew ? skew - Math.floor(now / 1000) : NaN;
      if (!(Math.abs(skewS - 3600) < 60)) problems.push(`worker clock is ${skewS}s off, not ~3600 s (the fault is not in effect)`);
      const [sleeper, quick] = ids.map((key) => jobs.find((job) => job.key === key));
      if (sleeper?.state !== 'running') problems.push(`sleeper is ${sleeper?.state ?? 'missing'} (${sleeper?.reason ?? ''}), not running`);
      if (quick?.state !== 'failed' || quick.exitCode !== 3) problems.push(`quick job is ${quick?.state ?? 'missing'} exit ${quick?.exitCode}, not failed exit 3`);
      // libfaketime moves the clock processes read, not the kernel's file times: a log's mtime stays on the real
      // clock while `date` runs an hour ahead. A real skewed worker has both ahead; a time off by exactly the skew on a
      // job whose last output comes from a file time is that artifact, reported apart.
      const artifacts: string[] = [];
      const off = (job: Job, what: string, ms: number) => {
        const fromFileTime = Math.abs((job.lastOutputAt ?? 0) - now / 1000) < 60;
        (fromFileTime && Math.abs(ms + 3_600_000) < 60_000 ? artifacts : problems).push(`${job.id} ${what} ${Math.round(ms / 1000)}s from its launch`);
      };
      for (const job of [sleeper, quick]) {
        if (!job) continue;
        const created = (job.createdAt ?? 0) * 1000;
        if (Math.abs(created - launchedAt) > 15_000) off(job, 'created', created - launchedAt);
        if (job.since > now + 1000 || job.since < launchedAt - 15_000) off(job, 'in its state since', job.since - launchedAt);
      }
      for (const job of jobs) {
        if (ids.includes(job.key)) continue;
        // Jobs launched at the start: running, or idle for about as long as they have existed (not an hour more).
        const quiet = /no output for (\d+)s/.exec(job.reason);
        const age = now / 1000 - (job.createdAt ?? 0);
        if (job.state === 'running' || (job.state === 'idle' && quiet && Number(quiet[1]) <= age + 15)) continue;
        problems.push(`${job.id} is ${job.state}: ${job.reason} (${Math.round(age)}s old)`);
      }
      return {
        note: `skew ${Number.isNaN(skewS) ? '?' : `${skewS}s`}; ${problems.length ? problems.slice(0, 3).join('; ') : 'states, ages and exit code right'}${artifacts.length ? `; harness limit (file times not skewed): ${artifacts.join(', ')}` : ''}`,
        noteMet: problems.length === 0,
      };
    },
  };
}
