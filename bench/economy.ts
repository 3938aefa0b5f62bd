/**
 * bench:economy — what the idle policy saves: a seeded day of jobs (`economy-day.ts`: bursts, agents waiting for
 * their user, a quiet night) replayed minute by minute on a virtual clock against three GCE workers in the fake
 * Compute API's world (its instances and their state transitions, with no delays), under three regimes:
 *
 * - always-on: the workers run all day;
 * - stop-only: the idle policy with `action: stop` (sessions and waiting agents are lost: their jobs resume later);
 * - suspend:   the idle policy with `action: suspend` (the default: memory kept).
 *
 * The idle decisions come from the product's own rule (`decideIdle`, with an observer's memory as the autopilot
 * keeps it). It prints VM-hours, the cost, and how often (and how long) a user waited for a worker to wake: a job
 * arriving with every running worker full, or a user coming back to answer a job whose worker was put away.
 *
 *   npm run bench:economy                 # seed 20261202, after 30m, waitingAfter 2h
 *   SEED=7 AFTER=15m WAITING_AFTER=1h npm run bench:economy
 */
import type { IdleAction, IdlePolicy } from '../src/config/idle-schema.js';
import { parseDuration } from '../src/config/duration.js';
import { DISK_PRICES_PER_GB_MONTH, estimateHourlyCost, HOURS_PER_MONTH, machineShape, FAMILY_RATES } from '../src/providers/gce/pricing.js';
import { decideIdle, rememberIdle, type IdleMemory } from '../src/state/idle.js';
import type { Job, JobState } from '../src/state/types.js';
import { FakeWorld } from '../test/harness/compute/state.js';
import { generateDay, type DayJob, type Minute } from './economy-day.js';

const SEED = Number(process.env['SEED'] ?? 20261202);
const AFTER_MS = parseDuration(process.env['AFTER'] ?? '30m') ?? 1_800_000;
const WAITING_AFTER_MS = parseDuration(process.env['WAITING_AFTER'] ?? '2h') ?? 7_200_000;
const WORKERS = 3;
const MAX_JOBS = 4;
const MACHINE = { machineType: 'e2-standard-4', bootDisk: { sizeGb: 200, type: 'pd-balanced' as const }, externalIp: false };

/**
 * Typical wake-up times, assumed (not measured here): a resume restores memory from storage and needs no boot
 * (about 30 s until the worker answers again); a start from stop boots the OS, runs the boot script, starts the
 * container and waits for readiness (about 90 s for a COS worker).
 */
const RESUME_SECONDS = 30;
const START_SECONDS = 90;
/**
 * A suspended VM is billed for the storage of its memory (besides its disk). Priced here at the standard persistent
 * disk rate per GB and month: an assumption, stated in the output.
 */
const SUSPENDED_MEMORY_PER_GB_MONTH = DISK_PRICES_PER_GB_MONTH['pd-standard'];

const MINUTE_MS = 60_000;
const DAY = 1440;
const PROJECT = 'bench';
const ZONE = 'us-central1-a';

type Regime = 'always-on' | 'stop-only' | 'suspend';

/** One job's placement and what happened to it. */
interface Placed {
  readonly job: DayJob;
  readonly worker: number;
  /** Minute offset of this copy of the day (the day is replayed twice, the second one measured). */
  readonly day: number;
}

/** What one regime's replay adds up to over the measured day. */
interface Totals {
  runningMinutes: number;
  suspendedMinutes: number;
  stoppedMinutes: number;
  cost: number;
  resumes: number;
  starts: number;
  waitSeconds: number;
  lostSessions: number;
}

/** A job's state at minute `t` of its day copy, or undefined when it has no session then. */
function stateAt(placed: Placed, t: Minute): { state: JobState; since: Minute; output: Minute; attached: boolean } | undefined {
  const { job } = placed;
  let at = placed.day + job.arrival;
  if (t < at) return undefined;
  let answered = false;
  for (const phase of job.phases) {
    const end = at + phase.minutes;
    if (t < end) {
      // A working stretch after a question starts with the user's answer: attached for a few minutes.
      return phase.state === 'working'
        ? { state: 'working', since: at, output: t, attached: answered && t < at + job.answerMinutes }
        : { state: 'waiting', since: at, output: at, attached: false };
    }
    answered = phase.state === 'waiting';
    at = end;
  }
  if (t < at + job.keptMinutes) return { state: 'done', since: at, output: at, attached: false };
  return undefined;
}

/** The jobs of one worker at minute `t`, as the rule sees them. */
function jobsAt(placed: readonly Placed[], worker: number, t: Minute): Job[] {
  const jobs: Job[] = [];
  for (const p of placed) {
    if (p.worker !== worker) continue;
    const s = stateAt(p, t);
    if (!s) continue;
    jobs.push({
      key: `w${worker}/${p.job.id}`,
      id: p.job.id,
      worker: `w${worker}`,
      kind: 'fix',
      params: {},
      command: [],
      state: s.state,
      reason: '',
      since: s.since * MINUTE_MS,
      exitCode: undefined,
      lastOutputAt: (s.output * MINUTE_MS) / 1000,
      createdAt: undefined,
      session: { id: '$1', name: `mc-${p.job.id}`, attached: s.attached ? 1 : 0 },
      paneId: '%1',
      adhoc: false,
      clockSkew: 0,
    });
  }
  return jobs;
}

/** Replays the day twice under `regime` and adds up the second copy. */
async function replay(regime: Regime, day: readonly DayJob[]): Promise<Totals> {
  const world = new FakeWorld({ provisioning: 0, staging: 0, stopping: 0, suspending: 0, deleting: 0 });
  const names = Array.from({ length: WORKERS }, (_, i) => `w${i}`);
  for (const name of names) world.addInstance(PROJECT, ZONE, { name }, 'RUNNING');
  const status = (i: number) => world.instances.get(FakeWorld.key(PROJECT, ZONE, names[i]!))!.status;
  const call = async (i: number, what: string) => {
    const operation = world.lifecycle(PROJECT, ZONE, names[i]!, what);
    if ('done' in operation) await operation.done;
  };
  const action: IdleAction | undefined = regime === 'always-on' ? undefined : regime === 'stop-only' ? 'stop' : 'suspend';
  const policy: IdlePolicy | undefined = action ? { afterMs: AFTER_MS, action, waitingAfterMs: WAITING_AFTER_MS } : undefined;
  const memories: (IdleMemory | undefined)[] = names.map(() => undefined);
  const placed: Placed[] = [];
  const totals: Totals = { runningMinutes: 0, suspendedMinutes: 0, stoppedMinutes: 0, cost: 0, resumes: 0, starts: 0, waitSeconds: 0, lostSessions: 0 };
  const arrivals = [0, DAY].flatMap((offset) => day.map((job) => ({ job, day: offset })));
  const answers = new Map<Minute, Placed[]>();
  const price = prices();

  /** Wakes worker `i` for a user who is waiting now; counts the wait in the measured day. */
  const wake = async (i: number, t: Minute) => {
    const state = status(i);
    if (state === 'RUNNING') return;
    const measured = t >= DAY;
    if (state === 'SUSPENDED') {
      await call(i, 'resume');
      if (measured) (totals.resumes++, (totals.waitSeconds += RESUME_SECONDS));
    } else {
      await call(i, 'start');
      if (measured) (totals.starts++, (totals.waitSeconds += START_SECONDS));
    }
  };

  for (let t = 0; t < 2 * DAY; t++) {
    // Arrivals: a running worker with room, else the one to wake (suspended first), else the least loaded.
    for (const { job, day: offset } of arrivals.filter((a) => a.day + a.job.arrival === t)) {
      const live = (i: number) => jobsAt(placed, i, t).filter((j) => j.state === 'working' || j.state === 'waiting').length;
      const order = names.map((_, i) => i);
      const running = order.filter((i) => status(i) === 'RUNNING' && live(i) < MAX_JOBS);
      const asleep = order.filter((i) => status(i) !== 'RUNNING').sort((a, b) => Number(status(b) === 'SUSPENDED') - Number(status(a) === 'SUSPENDED'));
      const worker = running[0] ?? asleep[0] ?? order.sort((a, b) => live(a) - live(b))[0]!;
      await wake(worker, t);
      const p = { job, worker, day: offset };
      placed.push(p);
      // The minutes at which the user comes back to answer each question.
      let at = offset + job.arrival;
      for (const phase of job.phases) {
        at += phase.minutes;
        if (phase.state === 'waiting') answers.set(at, [...(answers.get(at) ?? []), p]);
      }
    }
    // Users coming back to answer: the worker must be up; a stopped one has lost the session.
    for (const p of answers.get(t) ?? []) {
      const state = status(p.worker);
      if (state === 'TERMINATED' && t >= DAY) totals.lostSessions++;
      await wake(p.worker, t);
    }
    // The idle rule, as the autopilot applies it each minute.
    if (policy) {
      for (let i = 0; i < WORKERS; i++) {
        const running = status(i) === 'RUNNING';
        const memory = rememberIdle(memories[i], running, undefined, t * MINUTE_MS, 0);
        const verdict = running ? decideIdle({ policy, jobs: jobsAt(placed, i, t), now: t * MINUTE_MS, awakeSince: memory.awakeSince ?? t * MINUTE_MS, ...(memory.heldUntil !== undefined ? { heldUntil: memory.heldUntil } : {}) }) : undefined;
        memories[i] = rememberIdle(memory, running, verdict, t * MINUTE_MS);
        if (verdict?.kind === 'idle' && verdict.deadline <= t * MINUTE_MS) await call(i, policy.action);
      }
    }
    if (t < DAY) continue;
    for (let i = 0; i < WORKERS; i++) {
      const state = status(i);
      if (state === 'SUSPENDED') (totals.suspendedMinutes++, (totals.cost += price.suspended / 60));
      else if (state === 'TERMINATED') (totals.stoppedMinutes++, (totals.cost += price.stopped / 60));
      else (totals.runningMinutes++, (totals.cost += price.running / 60));
    }
  }
  return totals;
}

/** Prices per hour of one worker by state, from the product's price table. */
function prices(): { running: number; stopped: number; suspended: number; memoryGb: number } {
  const estimate = estimateHourlyCost(MACHINE);
  const shape = machineShape(MACHINE.machineType)!;
  const memoryGb = shape.memoryGb ?? shape.vcpus * FAMILY_RATES[shape.family]!.memoryPerVcpu[shape.class];
  const memoryPerHour = (memoryGb * SUSPENDED_MEMORY_PER_GB_MONTH) / HOURS_PER_MONTH;
  return { running: estimate.runningPerHour!, stopped: estimate.stoppedPerHour, suspended: estimate.stoppedPerHour + memoryPerHour, memoryGb };
}

const pad = (text: string, width: number, right = false) => (right ? text.padStart(width) : text.padEnd(width));

async function main(): Promise<void> {
  const day = generateDay(SEED);
  const price = prices();
  const waits = day.reduce((n, job) => n + job.phases.filter((phase) => phase.state === 'waiting').length, 0);
  const overnight = day.filter((job) => job.phases.some((phase) => phase.state === 'waiting' && phase.minutes > 8 * 60)).length;
  console.log(`bench:economy — seed ${SEED}: ${day.length} jobs in a day, ${waits} questions to their user (${overnight} left overnight)`);
  console.log(`${WORKERS} workers ${MACHINE.machineType}, ${MACHINE.bootDisk.sizeGb} GB ${MACHINE.bootDisk.type}; idle policy after ${AFTER_MS / 60_000}m, waitingAfter ${WAITING_AFTER_MS / 60_000}m`);
  console.log(
    `prices per worker and hour: running $${price.running.toFixed(4)}, stopped $${price.stopped.toFixed(4)} (disk), suspended $${price.suspended.toFixed(4)} (disk + ${price.memoryGb} GB of memory at $${SUSPENDED_MEMORY_PER_GB_MONTH}/GB-month, assumed)`,
  );
  console.log(`wake-up times assumed: resume ${RESUME_SECONDS} s, start from stop ${START_SECONDS} s\n`);
  const header = [pad('regime', 10), pad('VM-hours', 9, true), pad('suspended h', 12, true), pad('stopped h', 10, true), pad('cost', 9, true), pad('saved', 7, true), pad('waits', 6, true), pad('waited', 8, true), pad('lost', 5, true)];
  console.log(header.join('  '));
  let base: number | undefined;
  for (const regime of ['always-on', 'stop-only', 'suspend'] as const) {
    const t = await replay(regime, day);
    base ??= t.cost;
    const waitsText = t.resumes + t.starts === 0 ? '0' : `${t.resumes + t.starts}`;
    const row = [
      pad(regime, 10),
      pad((t.runningMinutes / 60).toFixed(1), 9, true),
      pad((t.suspendedMinutes / 60).toFixed(1), 12, true),
      pad((t.stoppedMinutes / 60).toFixed(1), 10, true),
      pad(`$${t.cost.toFixed(2)}`, 9, true),
      pad(`${Math.round((1 - t.cost / base) * 100)}%`, 7, true),
      pad(waitsText, 6, true),
      pad(`${Math.round(t.waitSeconds / 60)}m${String(t.waitSeconds % 60).padStart(2, '0')}s`, 8, true),
      pad(String(t.lostSessions), 5, true),
    ];
    console.log(row.join('  '));
    if (t.resumes + t.starts > 0) console.log(`${' '.repeat(12)}(${t.resumes} resumes of ${RESUME_SECONDS} s, ${t.starts} starts of ${START_SECONDS} s)`);
  }
  console.log('\nwaits: times a user waited for a worker to wake (a launch, or coming back to answer); lost: waiting sessions');
  console.log('a stop ended (the job is resumed after the start, its agent restarted). The second of two identical days is measured,');
  console.log('so the night carries the evening before.');
}

await main();
