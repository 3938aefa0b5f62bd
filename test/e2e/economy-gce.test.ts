/**
 * A fleet that costs nothing while it waits, on the built binary: a COS worker on the local Compute server (a real
 * sshd backs the VM, its boot script starts the real container on a private dockerd) with a seconds-scale idle
 * policy. A job asks its user and waits: `status` counts down to the suspend, `autopilot --once` suspends the VM
 * through the API once due, and the job's session survives the suspend. A launch wakes the worker (a resume, no
 * boot) and the waiting job still waits, same pid. A working job whose output flows keeps the worker up: the
 * autopilot says so and does nothing. Once it ends, the dashboard's workers pane counts down and the dashboard
 * suspends the worker, while a `watch` wallboard beside it only shows; `attach WORKER/JOB` then resumes it.
 *
 * The jobs report their states through `"$MISSION_CONTROL_STATE"` (the contract every agent preset's hooks end in):
 * the worker image has sh, tmux and git but no Node for the fake agents.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startCosWorker, type CosWorker } from '../harness/compute/cos-worker.js';
import { PROJECT, ZONE } from '../harness/compute/gce-worker.js';
import { runBinary, type BinaryRun } from '../support/binary.js';
import { waitFor } from '../support/ssh-fleet.js';
import { assertBuilt, BIN, TuiDriver } from './tui-driver.js';

/** One decision line of `autopilot --json`. */
interface Decision {
  readonly worker: string;
  readonly decision: string;
  readonly text: string;
}

/** What `status --json` says of one job. */
interface JobDoc {
  readonly id: string;
  readonly state: string;
  readonly reason: string | null;
}

describe('suspend while waiting, resume on launch, kept up while working (built binary, local Compute server, real sshd + dockerd)', () => {
  let cos: CosWorker;
  let config: string;
  let env: NodeJS.ProcessEnv;
  /** The waiting job's pane pid before the first suspend. */
  let askPid = '';
  const mc = (...args: string[]): Promise<BinaryRun> => runBinary([...args, '--config', config], { env });
  const status = async () => {
    const run = await mc('status', '--json');
    return JSON.parse(run.stdout) as { workers: { name: string; machine: string; idle: { label: string | null; keptUpBy: string | null } | null }[]; jobs: JobDoc[] };
  };
  const job = async (id: string) => (await status()).jobs.find((j) => j.id === id);
  /** Waits for job `id` to be in `state` (or one of them); on time-out says what status last printed. */
  const jobReaches = async (id: string, state: string | readonly string[]) => {
    const states: readonly string[] = typeof state === 'string' ? [state] : state;
    let last = '';
    await waitFor(`${id} to be ${states.join(' or ')}`, async () => {
      const run = await mc('status', '--json');
      last = `${run.stdout}${run.stderr}`;
      return states.includes((JSON.parse(run.stdout) as { jobs: JobDoc[] }).jobs.find((j) => j.id === id)?.state ?? '');
    }, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}; status --json printed:\n${last}`);
    });
  };
  const autopilotOnce = async (): Promise<Decision[]> => {
    const run = await mc('autopilot', '--once', '--json');
    expect(run.code, run.stderr).toBe(0);
    return run.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Decision);
  };
  /** The pid of the session's pane, read in the container (where the job runs). */
  const panePid = async (session: string) => {
    const r = await cos.docker.docker(['exec', 'maintainer-worker', 'tmux', '-L', 'mission-control', 'display-message', '-p', '-t', session, '#{pane_pid}']);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const lifecycleCalls = () =>
    cos.fake.requests.filter((r) => r.method === 'POST' && /\/instances\/cos-eco\/(start|resume|suspend|stop)$/.test(r.path)).map((r) => r.path.split('/').at(-1));

  beforeAll(async () => {
    assertBuilt();
    cos = await startCosWorker({
      name: 'cos-eco',
      privateRun: true,
      mountHome: true,
      entry: { pollInterval: '1s', idle: { after: '5s', action: 'suspend', waitingAfter: '40s' } },
    });
    await cos.provider.provision();
    const home = join(cos.dir, 'home');
    await mkdir(home);
    config = join(cos.dir, 'config.yaml');
    const ask = 'echo asking; "$MISSION_CONTROL_STATE" waiting "Allow edit?"; printf "Allow edit? [y/n] "; read a; echo answered-$a; sleep 600';
    const work = '"$MISSION_CONTROL_STATE" working; i=0; while :; do i=$((i+1)); echo tick-$i; sleep 1; done';
    await writeFile(
      config,
      stringify({
        workers: [{ project: PROJECT, zone: ZONE, ...cos.entry }],
        kinds: {
          ask: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', ask], worktree: false },
          work: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', work], worktree: false },
        },
      }),
    );
    env = { ...process.env, HOME: home, XDG_STATE_HOME: join(home, 'state'), XDG_CONFIG_HOME: join(home, 'config'), MISSION_CONTROL_COMPUTE_EMULATOR: cos.fake.url };
  }, 180_000);

  afterAll(async () => {
    await cos?.close();
  });

  it('a waiting job: the countdown, then the autopilot suspends the VM and the session survives', async () => {
    const launched = await mc('launch', '--worker', 'cos-eco', 'ask', '1');
    expect(launched.code, `${launched.stdout}${launched.stderr}`).toBe(0);
    await jobReaches('1-ask', 'waiting');
    askPid = await panePid('mc-1-ask');

    // The countdown, while the job waits for less than waitingAfter.
    const text = await mc('status');
    expect(text.stdout).toMatch(/idle: cos-eco suspends in \d+s/);
    const doc = await status();
    expect(doc.workers[0]!.idle?.label).toMatch(/^suspends in \d+s$/);

    // The autopilot counts down, then suspends once due.
    let decisions: Decision[] = [];
    const seen: Decision[] = [];
    await waitFor('an autopilot --once to suspend the worker', async () => {
      decisions = await autopilotOnce();
      seen.push(...decisions);
      return decisions.some((d) => d.decision === 'done');
    }, 120_000);
    expect(decisions.map((d) => d.decision)).toEqual(['countdown', 'suspend', 'done']);
    // Each run saw the worker (one query of its published host keys per run, rate-limited by GCE, never blinds it).
    for (const d of seen) expect(['countdown', 'suspend', 'done'], d.text).toContain(d.decision);
    expect(seen[0]!.text).toMatch(/^cos-eco: suspends in \d+s \(1-ask has waited \d+s for its user\)$/);
    expect(decisions.at(-1)!.text).toMatch(/^cos-eco: suspended/);
    expect(lifecycleCalls()).toEqual(['suspend']);
    const asleep = await status();
    expect(asleep.workers[0]).toMatchObject({ name: 'cos-eco', machine: 'suspended' });
    expect(cos.backing.frozen.length).toBeGreaterThan(0);

    // Asleep, nothing is decided on what cannot be seen, and nothing is done.
    expect((await autopilotOnce()).map((d) => d.decision)).toEqual(['asleep']);
    expect(lifecycleCalls()).toEqual(['suspend']);

    // A launch wakes it: a resume (no second boot), and the waiting job is the same process, still waiting.
    const second = await mc('launch', '--worker', 'cos-eco', 'work', '2');
    expect(second.code, `${second.stdout}${second.stderr}`).toBe(0);
    expect(lifecycleCalls()).toEqual(['suspend', 'resume']);
    expect(cos.backing.boots).toHaveLength(1);
    expect(await panePid('mc-1-ask')).toBe(askPid);
    expect((await job('1-ask'))?.state).toBe('waiting');
  }, 300_000);

  it('a working job with output flowing keeps the worker up: the autopilot says why and does nothing', async () => {
    await jobReaches('2-work', 'working');
    const before = lifecycleCalls().length;
    let decisions: Decision[] = [];
    for (let round = 0; round < 3; round++) decisions.push(...(await autopilotOnce()));
    expect(decisions.length).toBeGreaterThan(0);
    for (const d of decisions) expect(d).toMatchObject({ worker: 'cos-eco', decision: 'kept-up', text: 'cos-eco: kept up: 2-work working' });
    expect(lifecycleCalls()).toHaveLength(before);
    expect((await status()).workers[0]).toMatchObject({ machine: 'running', idle: { keptUpBy: '2-work working' } });
  }, 180_000);

  it('the dashboard shows the countdown and suspends the worker, a watch wallboard beside it never acts; attach wakes it', async () => {
    // The working job ends: only the waiting job is left, and it has waited past waitingAfter.
    const stopped = await mc('stop', 'cos-eco/2-work', '--grace', '1');
    expect(stopped.code, `${stopped.stdout}${stopped.stderr}`).toBe(0);
    await jobReaches('2-work', ['exited', 'failed']);
    const tuiEnv = { HOME: env.HOME!, XDG_STATE_HOME: env.XDG_STATE_HOME!, XDG_CONFIG_HOME: env.XDG_CONFIG_HOME!, MISSION_CONTROL_COMPUTE_EMULATOR: cos.fake.url };
    const before = lifecycleCalls().length;
    const watch = await TuiDriver.start({ argv: [process.execPath, BIN, 'watch', '--config', config], env: tuiEnv, columns: 160 });
    try {
      await watch.waitFor(/cos-eco.*suspends (in \d+s|now)/, { what: 'the wallboard counting down', timeoutMs: 60_000 });
      await watch.waitFor(/cos-eco.*suspends now/, { what: 'the wallboard showing the worker due', timeoutMs: 90_000 });
      const dashboard = await TuiDriver.start({ argv: [process.execPath, BIN, '--config', config], env: tuiEnv, columns: 160 });
      try {
        await dashboard.waitFor(/cos-eco.*suspend/, { what: 'the dashboard showing the countdown', timeoutMs: 60_000 });
        await dashboard.waitFor(/cos-eco.*suspended/, { what: 'the dashboard showing the worker suspended', timeoutMs: 120_000 });
      } finally {
        await dashboard.stop();
      }
      // The wallboard saw it due all along and never acted: the one suspend is the dashboard's.
      expect(lifecycleCalls().slice(before)).toEqual(['suspend']);
      await watch.waitFor(/cos-eco.*suspended/, { what: 'the wallboard showing the worker suspended', timeoutMs: 60_000 });
    } finally {
      await watch.stop();
    }

    // attach WORKER/JOB wakes it (a resume), and the job is still the one asking, same process.
    expect((await status()).workers[0]).toMatchObject({ machine: 'suspended' });
    const attach = await TuiDriver.start({ argv: [process.execPath, BIN, 'attach', 'cos-eco/1-ask', '--config', config], env: tuiEnv });
    try {
      await attach.waitFor('Allow edit? [y/n]', { what: 'the attached job still asking', timeoutMs: 120_000 });
    } finally {
      await attach.stop();
    }
    expect(lifecycleCalls().slice(before)).toEqual(['suspend', 'resume']);
    expect(await panePid('mc-1-ask')).toBe(askPid);
  }, 400_000);
});
