import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AgentName } from '../../src/agents/schema.js';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import type { WorkerConfig } from '../../src/config/schema.js';
import { createJobActions, type JobActions } from '../../src/jobs/actions.js';
import type { JobSettings } from '../../src/jobs/kinds.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import type { Job } from '../../src/state/types.js';
import { waitFor } from './ssh-fleet.js';

const exec = promisify(execFile);

/** The fake agents' sources (test/fixtures/agents), one per preset. */
export const FAKE_AGENTS_DIR = resolve(import.meta.dirname, '../fixtures/agents');

/** The fake agents installed: one per built-in preset, and `custom-agent` for a custom agent in a config. */
export const FAKE_AGENTS = ['claude', 'gemini', 'codex', 'aider', 'opencode', 'custom-agent'] as const;

/**
 * Writes the {@link FAKE_AGENTS} into `dir/bin`: sh programs that run the fake agents with this Node. Returns
 * the bin directory (put it first on the PATH, or name a program by its absolute path).
 */
export async function installFakeAgents(dir: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  for (const name of FAKE_AGENTS) {
    const path = join(bin, name);
    const source = name === 'custom-agent' ? 'custom' : (name satisfies AgentName);
    await writeFile(path, `#!/bin/sh\nexec '${process.execPath}' '${join(FAKE_AGENTS_DIR, `${source}.mjs`)}' "$@"\n`);
    await chmod(path, 0o755);
  }
  return bin;
}

/** The local worker the fake-agent tests run jobs on: a private tmux socket, records under `stateDir`. */
export function localAgentWorker(socket: string, stateDir: string): WorkerConfig {
  return { name: 'w', provider: 'local', tmuxSocket: socket, maxJobs: 8, pollIntervalMs: 1000, stateDir, sessionPrefix: 'mc', hostKeyPolicy: 'strict' } as WorkerConfig;
}

/**
 * Refreshes the fleet until job `id` is in `state`, then returns it; on time-out says what the job was and what its
 * pane (on the tmux server at `socket`) shows.
 */
export async function jobReaches(fleet: Fleet, socket: string, id: string, state: Job['state']): Promise<Job> {
  let last: Job | undefined;
  const current = async () => {
    await fleet.refreshAll();
    return (last = selectAllJobs(fleet.store.getState()).find((j) => j.id === id));
  };
  try {
    await waitFor(`${id} to be ${state}`, async () => (await current())?.state === state, 30_000);
  } catch (error) {
    const screen = last?.paneId ? (await exec('tmux', ['-S', socket, 'capture-pane', '-p', '-t', last.paneId]).catch(() => ({ stdout: '' }))).stdout : '';
    throw new Error(`${(error as Error).message}; it is ${last?.state} (${last?.reason}); its pane shows:\n${screen}`);
  }
  return last!;
}

/** A private tmux server, the fake agents first on the PATH, and a fleet of one local worker running jobs there. */
export interface AgentBench {
  readonly dir: string;
  readonly socket: string;
  readonly fleet: Fleet;
  readonly actions: JobActions;
  /** Restores the PATH, closes the fleet, kills the private tmux server and removes `dir`. */
  close(): Promise<void>;
}

/** Starts an {@link AgentBench} in a fresh directory named from `prefix`, with the job settings `settingsFor(dir)`. */
export async function startAgentBench(prefix: string, settingsFor: (dir: string) => JobSettings): Promise<AgentBench> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const socket = join(dir, 'tmux.sock');
  // The fake agents are found on the PATH, as the real ones are; the private tmux server inherits it.
  const bin = await installFakeAgents(dir);
  const originalPath = process.env.PATH;
  process.env.PATH = `${bin}:${originalPath ?? ''}`;
  const settings = settingsFor(dir);
  const fleet = createFleet({ workers: [localAgentWorker(socket, join(dir, 'state'))], hostKeyPolicy: 'strict', source: undefined, jobs: settings });
  return {
    dir,
    socket,
    fleet,
    actions: createJobActions(fleet, settings),
    async close() {
      process.env.PATH = originalPath;
      await fleet.close();
      await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}
