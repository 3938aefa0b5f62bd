import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { createObserveCommands } from '../../src/app/observe-commands.js';
import type { WorkerConfig } from '../../src/config/schema.js';
import { createJobActions } from '../../src/jobs/actions.js';
import { runDiff } from '../../src/jobs/cli.js';
import { readJobDiff } from '../../src/jobs/diff.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { captureIo } from '../support/cli-io.js';
import { git, makeRemote } from '../support/git-remote.js';
import { waitFor } from '../support/ssh-fleet.js';

const exec = promisify(execFile);

let dir: string;
let settings: JobSettings;
let fleet: Fleet<WorkerProvider>;
let worker: WorkerConfig;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-diff-'));
  const remote = await makeRemote(dir);
  const kinds = kindsSchema.parse({
    // Writes a new file and changes a tracked one, committing nothing.
    scribble: {
      params: { pr: { pattern: '^[0-9]+$' } },
      command: ['sh', '-c', 'echo hi > hi.txt; echo changed >> pr.txt; exit 3'],
      worktree: { fetch: 'pull/{pr}/head' },
    },
    plain: { params: { n: { pattern: '^[0-9]+$' } }, command: ['true'] },
  });
  settings = resolveJobSettings({ kinds, repo: { url: remote, mainDir: join(dir, 'main'), worktreesDir: join(dir, 'worktrees') } });
  worker = {
    name: 'd1',
    provider: 'local',
    tmuxSocket: join(dir, 'd1.sock'),
    maxJobs: 4,
    pollIntervalMs: 1000,
    stateDir: join(dir, 'd1-state'),
    sessionPrefix: 'mc',
    hostKeyPolicy: 'strict',
  } as WorkerConfig;
  fleet = createFleet({ workers: [worker], hostKeyPolicy: 'strict', source: undefined, jobs: settings });
  await createJobActions(fleet, settings).setup('d1');
});

afterAll(async () => {
  await fleet.close();
  await exec('tmux', ['-S', join(dir, 'd1.sock'), 'kill-server']).catch(() => undefined);
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

describe('diff', () => {
  it('records the start commit and shows what the job changed, tracked and untracked, since then', async () => {
    const actions = createJobActions(fleet, settings);
    const launched = await actions.launch({ kind: 'scribble', params: { pr: '12' } });
    const jobDir = join(worker.stateDir, 'jobs', launched.id);
    await waitFor('exit code', () => existsSync(join(jobDir, 'exit')));
    const meta = JSON.parse(await readFile(join(jobDir, 'meta.json'), 'utf8')) as { baseCommit?: string; worktree: string };
    const head = (await git(['-C', meta.worktree, 'rev-parse', 'HEAD'])).stdout.trim();
    expect(meta.baseCommit).toBe(head);

    const stat = captureIo();
    await fleet.refreshAll();
    expect(await runDiff(fleet, [launched.key, '--stat'], stat, settings)).toBe(0);
    expect(stat.out()).toMatch(/pr\.txt \| +1 \+/);
    expect(stat.out()).toContain('hi.txt | new file, untracked');
    expect(stat.err()).toBe('');

    const full = await readJobDiff(fleet.provider('d1')!, worker.stateDir, launched.id);
    expect(full.base).toBe(head);
    expect(full.text).toContain('+changed');
    expect(full.text).toContain('+++ b/hi.txt');
    expect(full.text).toContain('+hi');
    expect(full.truncated).toBe(false);

    // The dashboard's `d` reads the same through the observing commands, with git's colours.
    const shown = await createObserveCommands(fleet).readDiff(launched.key);
    expect(shown).toContain('hi.txt | new file, untracked');
    expect(shown).toMatch(/\x1b\[32m\+(\x1b\[m\x1b\[32m)?changed/);
  });

  it('shows what was committed after the start too, and cuts a diff larger than the cap', async () => {
    const actions = createJobActions(fleet, settings);
    const job = (await actions.find('d1/12-scribble'));
    const meta = JSON.parse(await readFile(join(worker.stateDir, 'jobs', job.id, 'meta.json'), 'utf8')) as { worktree: string };
    await git(['-C', meta.worktree, 'add', 'pr.txt']);
    await git(['-C', meta.worktree, 'commit', '-qm', 'job work']);
    const diff = await readJobDiff(fleet.provider('d1')!, worker.stateDir, job.id, { maxBytes: 40 });
    expect(diff.truncated).toBe(true);
    expect(Buffer.byteLength(diff.text)).toBe(40);
    const whole = await readJobDiff(fleet.provider('d1')!, worker.stateDir, job.id, { stat: true });
    expect(whole.text).toMatch(/pr\.txt \| +1 \+/);
  });

  it('diffs a job recorded before start commits were against HEAD, and says so', async () => {
    const metaFile = join(worker.stateDir, 'jobs', '12-scribble', 'meta.json');
    const { baseCommit: _dropped, ...older } = JSON.parse(await readFile(metaFile, 'utf8')) as Record<string, unknown>;
    await writeFile(metaFile, `${JSON.stringify(older)}\n`);
    const out = captureIo();
    expect(await runDiff(fleet, ['d1/12-scribble', '--stat'], out, settings)).toBe(0);
    expect(out.err()).toContain('d1/12-scribble was launched before start commits were recorded');
    // pr.txt was committed in the worktree by the test before: only the untracked file is left.
    expect(out.out()).toBe(' hi.txt | new file, untracked\n');
  });

  it('says plainly when a job has no worktree to diff', async () => {
    const actions = createJobActions(fleet, settings);
    const launched = await actions.launch({ kind: 'plain', params: { n: '1' } });
    await fleet.refreshAll();
    const out = captureIo();
    expect(await runDiff(fleet, [launched.key], out, settings)).toBe(1);
    expect(out.err()).toContain('runs without a worktree of its own');
  });
});
