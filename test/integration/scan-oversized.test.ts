/**
 * Hostile job records on real workers (this machine, and a real sshd with the pooled connection and its long-lived
 * shell): an 8 MiB meta.json, a job directory named with terminal escapes, a scan that prints past its cap.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { refreshWorker } from '../../src/app/refresh.js';
import { loadConfig } from '../../src/config/load.js';
import { observation, type Observation, type WorkerProvider } from '../../src/providers/types.js';
import { buildScanCommand, newScanNonce } from '../../src/scanners/worker-scan/command.js';
import { parseScan } from '../../src/scanners/worker-scan/parse.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { startTestFleet, type TestFleet } from '../support/ssh-fleet.js';

const HUGE = 8 * 1024 * 1024;
const ESCAPE_NAME = 'x\x1b]0;TITLE\x07\x1b]52;c;cHduZWQ=\x07';

function meta(id: string, extra = ''): string {
  return `${JSON.stringify({ id, kind: 'review', params: { pr: `1${extra}` }, command: ['true'], session: `mc-${id}`, createdAt: '2026-11-23T00:00:00.000Z' })}\n`;
}

async function writeRecords(stateDir: string): Promise<void> {
  const job = async (id: string, files: Record<string, string>) => {
    await mkdir(join(stateDir, 'jobs', id), { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(stateDir, 'jobs', id, name), text);
  };
  await job('1-ok', { 'meta.json': meta('1-ok'), exit: '0\n', 'output.log': 'done\n' });
  await job('2-huge', { 'meta.json': meta('2-huge', 'x'.repeat(HUGE)), 'output.log': 'log\n' });
  await job('3-ok', { 'meta.json': meta('3-ok'), exit: '4\n' });
  await job(ESCAPE_NAME, { 'meta.json': meta('4-escape') });
  // A state report is one short line: a 1 MiB one (without a newline to stop a reader) is not read.
  await job('5-bigstate', { 'meta.json': meta('5-bigstate'), state: `waiting 1 ${'y'.repeat(1024 * 1024)}` });
}

describe('a worker with an 8 MiB meta.json and a job directory named with escapes', () => {
  let world: TestFleet;
  let fleet: Fleet<WorkerProvider>;

  beforeAll(async () => {
    world = await startTestFleet(['remote']);
    const loaded = await loadConfig(await world.writeConfig({ local: true }));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    await writeRecords(join(world.dir, 'local-state'));
    await writeRecords(join(world.workers[0]!.sshd.home, 'state'));
    fleet = createFleet(loaded.config);
  });

  afterAll(async () => {
    await fleet?.close();
    await world?.stop();
  });

  it.each([['local'], ['remote']])('%s stays up, lists the other jobs and the big one as unknown, and says why', async (name) => {
    // Several scans in a row: each must be answered, none may time out.
    for (let i = 0; i < 3; i++) {
      const results = await fleet.refreshAll();
      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    }
    const state = fleet.store.getState();
    expect(state.workers[name]).toMatchObject({ connection: 'up', lastError: undefined });
    const jobs = selectAllJobs(state).filter((j) => j.worker === name);
    expect(jobs.map((j) => j.id).sort()).toEqual(['1-ok', '2-huge', '3-ok', '5-bigstate']);
    expect(jobs.find((j) => j.id === '5-bigstate')?.state).toBe('lost');
    expect(jobs.find((j) => j.id === '1-ok')).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(jobs.find((j) => j.id === '3-ok')).toMatchObject({ state: 'failed', exitCode: 4 });
    expect(jobs.find((j) => j.id === '2-huge')?.state).toBe('unknown');
    expect(jobs.find((j) => j.id === '2-huge')?.reason).toMatch(/record too large: meta\.json is \d+ bytes, over the 64 KiB limit/);

    // The scan itself, through the same provider: the problems name the record, its size, and the escaped name.
    const provider = fleet.provider(name)!;
    const nonce = newScanNonce();
    const command = buildScanCommand({ tmuxSocketArgs: provider.tmux.socketArgs, stateDir: provider.stateDir, nonce });
    const scan = parseScan((await provider.observe(command, { target: 'host' })).stdout, nonce);
    expect(scan.problems).toEqual([
      expect.stringMatching(/^job 2-huge: record too large: meta\.json is \d{7} bytes, over the 64 KiB limit; not read$/),
      'job 5-bigstate: record too large: the state file is 1048586 bytes, over the 2 KiB limit; not read',
      'job directory "x\\u001b]0;TITLE\\u0007\\u001b]52;c;cHduZWQ=\\u0007" skipped: a job id is letters, digits, _ and - only',
    ]);
  });

  it.each([['local'], ['remote']])('%s: a scan printing past its cap fails with an error naming the cap, and the next scan works', async (name) => {
    const provider = fleet.provider(name)!;
    const store = fleet.store;
    // The same refresh path, with a provider whose scans print 9 MiB of noise first.
    const noisy = new Proxy(provider, {
      get(target, key) {
        if (key !== 'observe') return Reflect.get(target, key);
        return (command: { script: string }, options: object) => target.observe(buildNoisy(command.script), options);
      },
    });
    await expect(refreshWorker(store, noisy, 1000)).rejects.toThrow(/printed more than 8 MiB, the most one command may return/);
    expect(store.getState().workers[name]?.lastError).toMatch(/8 MiB/);
    await refreshWorker(store, provider, 1000);
    expect(store.getState().workers[name]).toMatchObject({ connection: 'up', lastError: undefined });
  });
});

/** The scan, after 9 MiB of noise. */
function buildNoisy(script: string): Observation {
  return observation({ script: `head -c ${9 * 1024 * 1024} /dev/zero; ${script}` });
}
