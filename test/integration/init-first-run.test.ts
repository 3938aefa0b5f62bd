import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { initOffer, runInit, sshAliases, type InitContext } from '../../src/cli/init.js';
import { UsageError } from '../../src/cli/usage.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import type { FleetConfig, WorkerConfig } from '../../src/config/schema.js';
import { createJobActions } from '../../src/jobs/actions.js';
import { kindsSchema, resolveJobSettings } from '../../src/jobs/kinds.js';
import { JobStepError } from '../../src/jobs/remote.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { git, makeRemote } from '../support/git-remote.js';

const exec = promisify(execFile);

let dir: string;
let remote: string;
let checkout: string;
let home: string;
let bin: string;
const fleets: Fleet<WorkerProvider>[] = [];
const sockets: string[] = [];

const SSH_CONFIG = ['Host h1 h2', '  HostName 127.0.0.1', 'Host *', '  User me', 'Host web-* !bastion', 'Host=h3 # the third', 'Match host x', ''].join('\n');

/** A context as a fresh machine would give: HOME and XDG_CONFIG_HOME in the temp dir, `claude` and `codex` on PATH. */
function context(cwd: string, answers?: string[]): InitContext & { out: { text: string }; err: { text: string }; asked: string[] } {
  const out = { text: '', write: (t: string) => (out.text += t) };
  const err = { text: '', write: (t: string) => (err.text += t) };
  const asked: string[] = [];
  return {
    cwd,
    env: { HOME: home, XDG_CONFIG_HOME: join(dir, 'xdg'), PATH: bin },
    out,
    err,
    asked,
    ...(answers && {
      ask: async (question: string) => {
        asked.push(question);
        return answers.shift() ?? '';
      },
    }),
  };
}

const written = () => join(dir, 'xdg', 'mission-control', 'config.yaml');

async function loaded(file: string): Promise<FleetConfig> {
  const result = await loadConfig(file);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'mc-init-')));
  remote = await makeRemote(dir, []);
  checkout = join(dir, 'checkout');
  await git(['clone', '-q', remote, checkout]);
  await mkdir(join(checkout, 'sub'));
  home = join(dir, 'home');
  await mkdir(join(home, '.ssh'), { recursive: true });
  await writeFile(join(home, '.ssh', 'config'), SSH_CONFIG);
  bin = join(dir, 'bin');
  await mkdir(bin);
  for (const agent of ['codex', 'claude']) {
    await writeFile(join(bin, agent), '#!/bin/sh\n');
    await chmod(join(bin, agent), 0o755);
  }
});

afterAll(async () => {
  await Promise.all(fleets.map((f) => f.close()));
  for (const socket of sockets) await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

describe('mission-control init', () => {
  it('--yes inside a checkout writes a config that loads: the checkout as the local main clone, origin as repo.url, the first agent on PATH', async () => {
    const ctx = context(join(checkout, 'sub'));
    expect(await runInit(['--yes'], undefined, ctx)).toBe(0);
    const config = await loaded(written());
    expect(config.workers).toHaveLength(1);
    expect(config.workers[0]).toMatchObject({ name: 'local', provider: 'local', mainDir: checkout });
    expect(config.jobs.repo.url).toBe(remote);
    expect([...config.jobs.kinds.values()].filter((k) => k.agent !== undefined).map((k) => k.agent)).toContain('claude');
    expect([...config.jobs.kinds.values()].map((k) => k.agent)).not.toContain('gemini');
    const text = await readFile(written(), 'utf8');
    expect(text).toMatch(/^# mission-control config/);
    expect(text).toContain('# The existing checkout is the main clone');
    expect(ctx.out.text).toContain(`Wrote ${written()}:`);
    expect(ctx.out.text).toContain(`worker local (this machine), main clone ${checkout}`);
    expect(ctx.out.text).toContain(`repo.url ${remote}`);
  });

  it('refuses to replace an existing config, naming it, and replaces it with --force', async () => {
    const before = await readFile(written(), 'utf8');
    const refused = context(checkout);
    expect(await runInit(['--yes', '--ssh', 'h1'], undefined, refused)).toBe(2);
    expect(refused.err.text).toContain(`${written()} exists already`);
    expect(refused.err.text).toContain('--force');
    expect(await readFile(written(), 'utf8')).toBe(before);

    expect(await runInit(['--yes', '--force', '--ssh', 'h1'], undefined, context(checkout))).toBe(0);
    expect((await loaded(written())).workers.map((w) => w.name)).toEqual(['local', 'h1']);
  });

  it('--ssh picks Host aliases of ~/.ssh/config into SSH workers, and refuses one that is not there', async () => {
    const file = join(dir, 'picked.yaml');
    const ctx = context(checkout);
    expect(await runInit(['--yes', '--ssh', 'h3,h1', '--agent', 'codex'], file, ctx)).toBe(0);
    const config = await loaded(file);
    expect(config.workers.map((w) => [w.name, w.provider, w.provider === 'ssh' ? w.ssh : undefined])).toEqual([
      ['local', 'local', undefined],
      ['h3', 'ssh', { alias: 'h3' }],
      ['h1', 'ssh', { alias: 'h1' }],
    ]);
    expect(ctx.out.text).toContain('mission-control setup WORKER');
    await expect(runInit(['--yes', '--ssh', 'web-1'], join(dir, 'never.yaml'), context(checkout))).rejects.toThrow(UsageError);
    await expect(readFile(join(dir, 'never.yaml'))).rejects.toThrow();
  });

  it('lists the aliases of an ssh config, without patterns', () => {
    expect(sshAliases(SSH_CONFIG)).toEqual(['h1', 'h2', 'h3']);
  });

  it('asks in a terminal, with defaults in brackets', async () => {
    const file = join(dir, 'asked.yaml');
    const ctx = context(checkout, ['', 'h2, nothere', 'codex']);
    expect(await runInit([], file, ctx)).toBe(0);
    expect(ctx.asked).toEqual([expect.stringContaining('[Y/n]'), expect.stringContaining('h1, h2, h3) [none]'), expect.stringContaining('[claude]')]);
    const config = await loaded(file);
    expect(config.workers.map((w) => w.name)).toEqual(['local', 'h2']);
    expect(ctx.err.text).toContain('left out: nothere');
    expect(ctx.out.text).toContain(`to be written to ${file}`);
    expect([...config.jobs.kinds.values()].map((k) => k.agent)).toContain('codex');
  });

  it('outside a git checkout writes the local worker alone, which loads', async () => {
    const file = join(dir, 'plain.yaml');
    const ctx = context(home);
    expect(await runInit(['--yes'], file, ctx)).toBe(0);
    const config = await loaded(file);
    expect(config.workers).toEqual([expect.objectContaining({ name: 'local', provider: 'local' })]);
    expect(config.workers[0]!.mainDir).toBeUndefined();
    expect(config.jobs.repo.url).toBeUndefined();
  });

  it('without a config, says what init would write inside a checkout, and nothing elsewhere', async () => {
    const line = await initOffer(join(checkout, 'sub'), '/x/config.yaml');
    expect(line).toContain('no config at /x/config.yaml');
    expect(line).toContain('`mission-control init`');
    expect(line).toContain(`${checkout} as its main clone`);
    expect(line).toContain(remote);
    expect(await initOffer(home, '/x/config.yaml')).toBeUndefined();
  });
});

describe('a worker mainDir', () => {
  const kinds = kindsSchema.parse({
    head: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'cat README > seen.txt'], worktree: { fetch: 'main' } },
  });

  function localWorker(name: string, extra: Partial<WorkerConfig> = {}): WorkerConfig {
    const socket = join(dir, `${name}.sock`);
    sockets.push(socket);
    return { name, provider: 'local', tmuxSocket: socket, maxJobs: 4, pollIntervalMs: 1000, stateDir: join(dir, `${name}-state`), sessionPrefix: 'mc', hostKeyPolicy: 'strict', ...extra } as WorkerConfig;
  }

  it('is rejected when relative', () => {
    const result = parseConfig('workers:\n  - name: a\n    provider: local\n    mainDir: dev/main\n', 'c.yaml');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]!.message).toContain('a directory path on the worker');
  });

  it('is the main clone a launch makes worktrees from (the checkout init found), over repo.mainDir', async () => {
    const config = await loaded(written());
    const local = config.workers.find((w) => w.name === 'local')!;
    const settings = resolveJobSettings({ kinds, repo: { url: remote, mainDir: join(dir, 'never-cloned'), worktreesDir: join(dir, 'worktrees') } });
    const fleet = createFleet({ workers: [localWorker('own', { mainDir: local.mainDir! })], hostKeyPolicy: 'strict', source: undefined, jobs: settings });
    fleets.push(fleet);
    const actions = createJobActions(fleet, settings);
    const setup = await actions.setup('own');
    expect(setup.unchanged).toContain(`main clone ${checkout}`);
    const launched = await actions.launch({ kind: 'head', params: { n: '1' } });
    expect(launched.created).toBe(true);
    const worktrees = (await git(['-C', checkout, 'worktree', 'list', '--porcelain'])).stdout;
    expect(worktrees).toContain(`worktree ${join(dir, 'worktrees', '1-head')}`);
    await expect(readFile(join(dir, 'never-cloned', 'README'))).rejects.toThrow();
  });

  it('missing, with no repo.url, fails the launch with the one command that fixes it', async () => {
    const settings = resolveJobSettings({ kinds, repo: { mainDir: join(dir, 'no-clone'), worktreesDir: join(dir, 'worktrees') } });
    const fleet = createFleet({ workers: [localWorker('bare')], hostKeyPolicy: 'strict', source: undefined, jobs: settings });
    fleets.push(fleet);
    const failure = await createJobActions(fleet, settings).launch({ kind: 'head', params: { n: '2' } }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(JobStepError);
    expect((failure as JobStepError).detail).toContain('no main clone');
    expect((failure as JobStepError).hint).toContain('`mission-control init` inside your checkout');

    const cloneable = resolveJobSettings({ kinds, repo: { url: remote, mainDir: join(dir, 'no-clone'), worktreesDir: join(dir, 'worktrees') } });
    const other = createFleet({ workers: [localWorker('bare2')], hostKeyPolicy: 'strict', source: undefined, jobs: cloneable });
    fleets.push(other);
    const again = await createJobActions(other, cloneable).launch({ kind: 'head', params: { n: '3' } }).catch((e: unknown) => e);
    expect((again as JobStepError).hint).toBe('run `mission-control setup bare2` first');
  });
});
