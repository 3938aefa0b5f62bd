/**
 * The hostile-corpus scenarios every kind of worker goes through (local, SSH, container): sessions named with each
 * string, and each string as a launch parameter. What differs per worker is how a session is made and where logs are.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import type { FleetConfig } from '../../src/config/schema.js';
import type { JobActions } from '../../src/jobs/actions.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { literalForTmux, type Canary } from './hostile-corpus.js';
import { waitFor } from './ssh-fleet.js';

/** Fleets made by a test (of the config `config()` gives, unless one is passed), to close together in `afterAll`. */
export function fleetTracker(config?: () => FleetConfig): { fleet(of?: FleetConfig): Fleet<WorkerProvider>; closeAll(): Promise<void> } {
  const fleets: Fleet<WorkerProvider>[] = [];
  return {
    fleet(of) {
      const chosen = of ?? config?.();
      if (!chosen) throw new Error('fleetTracker: no config given');
      const created = createFleet(chosen);
      fleets.push(created);
      return created;
    },
    closeAll: async () => {
      await Promise.all(fleets.map((f) => f.close()));
    },
  };
}

/**
 * Makes one session per corpus string, named with it (kept literal for tmux) and printing it in its pane;
 * `tmux` runs tmux with these arguments on the session host. Returns how many tmux accepted (expected: most).
 */
export async function makeHostileSessions(canary: Canary, tmux: (args: string[]) => Promise<boolean>): Promise<number> {
  let made = 0;
  for (const s of canary.corpus) {
    const args = ['new-session', '-d', '-x', '120', '-y', '20', '-s', literalForTmux(s.value), 'sh', '-c', 'printf "%s\\n" "$1"; exec sleep 600', 'sh', s.value];
    if (await tmux(args)) made += 1;
  }
  expect(made).toBeGreaterThan(canary.corpus.length / 2);
  return made;
}

/**
 * Launches the `say` kind (`printf 'said:%s:end\n' {msg}`) with every corpus string on `worker`, and checks each
 * job's log (`logOf(id)`) says exactly the string: it reached the command as one argv word.
 */
export async function launchHostileSays(actions: JobActions, canary: Canary, worker: string | undefined, logOf: (id: string) => string): Promise<void> {
  const logs: { file: string; value: string }[] = [];
  for (const s of canary.corpus) {
    const launched = await actions.launch({ kind: 'say', params: { msg: s.value }, ...(worker ? { worker } : {}) });
    expect(launched.session).toMatch(/^mc-[A-Za-z0-9_-]+$/);
    logs.push({ file: logOf(launched.id), value: s.value });
  }
  for (const { file, value } of logs) {
    await waitFor(`output of ${JSON.stringify(value.slice(0, 20))}`, async () => (await readFile(file, 'utf8').catch(() => '')).includes(':end'));
    // The log is what the pane's terminal wrote: its line discipline turns each newline into CR LF.
    expect((await readFile(file, 'utf8')).replace(/\r\n/g, '\n')).toContain(`said:${Buffer.from(value).toString('utf8')}:end`);
  }
}

/** The `say` kind the scenarios launch: its one parameter takes anything. */
export const SAY_KIND = { say: { params: { msg: { pattern: '^[\\s\\S]*$' } }, command: ['printf', 'said:%s:end\\n', '{msg}'], worktree: false } } as const;
