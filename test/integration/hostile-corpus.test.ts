/**
 * The hostile-string corpus (test/support/hostile-corpus.ts) driven through every path of a local worker that
 * reaches a shell, tmux, git or the terminal: hand-made sessions on a real tmux server, job records made by any
 * process on the worker, launch parameters through the real pipeline (tmux, git), config fields, and everything
 * shown of them (dashboard, preview, jobs, status, --json, logs). Each string's payload would create a file in the
 * canary directory if anything executed it: the directory must stay empty.
 */
import { attachSessionArgs } from '../../src/providers/tmux.js';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';
import type { FleetConfig, WorkerConfig } from '../../src/config/schema.js';
import { createJobActions, type JobActions } from '../../src/jobs/actions.js';
import { runRm } from '../../src/jobs/cli.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import { JobRequestError, SAFE_NAME } from '../../src/jobs/params.js';
import { JobStepError } from '../../src/jobs/remote.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { escaped, terminalLeaks } from '../fuzz/terminal-checks.js';
import { makeRemote } from '../support/git-remote.js';
import { makeCanary, writeHostileRecords, type Canary } from '../support/hostile-corpus.js';
import { captureIo } from '../support/cli-io.js';
import { everythingShown, leaksIn } from '../support/hostile-output.js';
import { fleetTracker, launchHostileSays, makeHostileSessions, SAY_KIND } from '../support/hostile-scenarios.js';
import { waitFor } from '../support/ssh-fleet.js';

const exec = promisify(execFile);
const tmux = (socket: string, args: string[]) => exec('tmux', ['-u', '-S', socket, ...args]).then(() => true, () => false);

let dir: string;
let canary: Canary;
let settings: JobSettings;
const fleets = fleetTracker();
const sockets: string[] = [];

function workerConfig(name: string, overrides: Partial<WorkerConfig> = {}): WorkerConfig {
  const socket = join(dir, `${name}.sock`);
  sockets.push(overrides.tmuxSocket ?? socket);
  return { name, provider: 'local', tmuxSocket: socket, maxJobs: 100, pollIntervalMs: 1000, stateDir: join(dir, `${name}-state`), sessionPrefix: 'mc', hostKeyPolicy: 'strict', ...overrides } as WorkerConfig;
}

function configOf(...workers: WorkerConfig[]): FleetConfig {
  return { workers, hostKeyPolicy: 'strict', source: undefined, jobs: settings };
}

beforeAll(async () => {
  canary = makeCanary();
  dir = await mkdtemp(join(tmpdir(), 'mc-hostile-'));
  const remote = await makeRemote(dir);
  settings = resolveJobSettings({
    kinds: kindsSchema.parse({
      ...SAY_KIND,
      ref: { params: { ref: { pattern: '^[\\s\\S]*$' } }, command: ['true'], worktree: { fetch: 'refs/heads/{ref}', branch: 'mc/{ref}' } },
    }),
    repo: { url: remote, mainDir: join(dir, 'main'), worktreesDir: join(dir, 'worktrees') },
  });
});

afterAll(async () => {
  await fleets.closeAll();
  for (const socket of sockets) await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  canary?.remove();
});

describe('the hostile corpus on a local worker (real tmux, real git)', () => {
  it('has live payloads: run unquoted by sh, or named raw in tmux, they fire (the canary works)', async () => {
    const control = makeCanary();
    const socket = join(dir, 'control.sock');
    try {
      const raw = control.corpus.filter((s) => ['command substitution', 'backticks', 'semicolon', 'redirection'].includes(s.label));
      for (const s of raw) await exec('sh', ['-c', `echo ${s.value}`]).catch(() => undefined);
      // tmux runs a #() job in a session name, and kills it if the client that asked goes first: ask until it ran.
      const tmuxFormat = control.corpus.find((s) => s.label === 'tmux #() in a format')!;
      for (let i = 0; i < 20 && !control.fired().some((f) => f.startsWith(`${tmuxFormat.n} `)); i++) {
        await tmux(socket, ['new-session', '-d', '-s', `${tmuxFormat.value}${i}`]);
        await waitFor('the #() job', () => control.fired().some((f) => f.startsWith(`${tmuxFormat.n} `)), 1000).catch(() => undefined);
      }
      await waitFor('every control payload to fire', () => control.fired().length === raw.length + 1, 20_000).catch((error: Error) => {
        throw new Error(`${error.message}; fired: ${control.fired().join(', ') || 'none'}`);
      });
    } finally {
      await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
      control.remove();
    }
  });

  it('hand-made sessions with hostile names (and panes printing them) stay inert in the scan, every view, the preview and attach', async () => {
    const config = configOf(workerConfig('sessions'));
    const socket = config.workers[0]!.tmuxSocket;
    const made = await makeHostileSessions(canary, (args) => tmux(socket, args));
    const fleet = fleets.fleet(config);
    const shown = await everythingShown(fleet, config, settings);
    const jobs = selectAllJobs(fleet.store.getState());
    expect(jobs.filter((j) => j.session !== undefined)).toHaveLength(made);
    for (const job of jobs) {
      const argv = fleet.provider('sessions')!.attachCommand(job.session!.id).argv;
      expect(argv).toEqual(['tmux', '-u', '-S', socket, ...attachSessionArgs(job.session!.id)]);
      expect(job.session!.id).toMatch(/^\$\d+$/);
    }
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });

  it('job records made on the worker with hostile directory names, meta.json, exit files and logs stay inert', async () => {
    const config = configOf(workerConfig('records'));
    const jobsDir = join(config.workers[0]!.stateDir, 'jobs');
    await writeHostileRecords(jobsDir, canary);
    const fleet = fleets.fleet(config);
    const shown = await everythingShown(fleet, config, settings);
    // rm --purge of records whose meta.json names a hostile worktree: data to git, never a command.
    for (const [i] of canary.corpus.entries()) {
      const job = selectAllJobs(fleet.store.getState()).find((j) => j.id === `h${i}` && !j.adhoc);
      if (job) await runRm(fleet, [job.key, '--purge'], captureIo(), settings);
    }
    expect(existsSync(dir)).toBe(true);
    expect(canary.fired()).toEqual([]);
    // A record directory whose name is not a safe id is a problem on the worker, not a job.
    const unsafe = selectAllJobs(fleet.store.getState()).filter((j) => !j.adhoc && !SAFE_NAME.test(j.id));
    expect.soft(unsafe.map((j) => escaped(j.id))).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });

  it('hostile launch parameters reach the command as one argv word, or the git ref check refuses them', async () => {
    const config = configOf(workerConfig('launches'));
    const fleet = fleets.fleet(config);
    const actions: JobActions = createJobActions(fleet, settings);
    await actions.setup('launches');
    await launchHostileSays(actions, canary, undefined, (id) => join(config.workers[0]!.stateDir, 'jobs', id, 'output.log'));
    for (const s of canary.corpus) {
      const outcome = await actions.launch({ kind: 'ref', params: { ref: s.value } }).then(
        () => 'launched',
        (error: unknown) => (error instanceof JobStepError || error instanceof JobRequestError ? 'refused' : error),
      );
      expect(['launched', 'refused']).toContain(outcome);
    }
    const shown = await everythingShown(fleet, config, settings);
    for (const job of selectAllJobs(fleet.store.getState())) await actions.remove(job.key, { purge: true }).catch(() => undefined);
    expect(canary.fired()).toEqual([]);
    expect.soft(leaksIn(shown)).toEqual([]);
  });

  it('hostile worker and container names are refused with inert messages; hostile paths stay data', async () => {
    for (const s of canary.corpus) {
      for (const yaml of [
        `workers:\n  - name: ${JSON.stringify(s.value)}\n    provider: local\n`,
        `workers:\n  - name: w\n    provider: local\n    container:\n      name: ${JSON.stringify(s.value)}\n`,
      ]) {
        const result = parseConfig(yaml, 'config.yaml');
        expect(result.ok).toBe(false);
        if (!result.ok) expect(terminalLeaks(result.errors.map(formatConfigError).join('\n'))).toEqual([]);
      }
    }
    // Paths are data: a state directory and a tmux socket named with payloads (no spaces: the socket rule).
    for (const s of canary.fileCorpus.filter((x) => !/\s/.test(x.value)).slice(0, 6)) {
      const name = `paths${s.n}`;
      const config = configOf(workerConfig(name, { stateDir: join(dir, `state-${s.value}`), tmuxSocket: join(dir, `s${s.n}-${s.value.slice(0, 40)}`) }));
      const fleet = fleets.fleet(config);
      await fleet.refreshAll();
      await createJobActions(fleet, settings).launch({ kind: 'say', params: { msg: 'hello' }, worker: name }).catch(() => undefined);
      await fleet.refreshAll();
    }
    expect(canary.fired()).toEqual([]);
  });
});
