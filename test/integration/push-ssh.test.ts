import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { stateScript } from '../../src/agents/state-script.js';
import { loadConfig } from '../../src/config/load.js';
import type { WorkerObserver } from '../../src/providers/types.js';
import { PUSH_CHANNEL, PUSH_GEN_OPTION, PUSH_HOOK_INDEX } from '../../src/scanners/worker-events/command.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { run } from '../harness/process.js';
import { startTestFleet, waitFor, type TestFleet } from '../support/ssh-fleet.js';

/**
 * Every worker is polled once a minute: whatever reaches the store within the waits below (15 s) after the first
 * scan came through the push stream, not the poll.
 */
describe('pushed changes (real sshd, real tmux; polled once a minute)', () => {
  let world: TestFleet;
  let fleet: Fleet<WorkerObserver>;
  let localSocket: string;
  const pwned = join('/tmp', `mc-push-pwned-${process.pid}`);
  const localTmux = (args: readonly string[]) => run('tmux', ['-u', '-S', localSocket, ...args], { allowFailure: true });
  const tmuxOf = (name: string) => (name === 'local' ? localTmux : world.workers.find((w) => w.name === name)!.tmux);
  const sessions = (worker: string) =>
    selectAllJobs(fleet.store.getState())
      .filter((j) => j.worker === worker && j.session)
      .map((j) => j.session!.name)
      .sort();
  const armed = async (worker: string) => (await tmuxOf(worker)(['show-hooks', '-g'])).stdout.includes(PUSH_CHANNEL);

  beforeAll(async () => {
    world = await startTestFleet(['alpha', 'beta']);
    localSocket = join(world.dir, 'local.sock');
    const loaded = await loadConfig(await world.writeConfig({ pollInterval: '60s', local: true }));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const workers = loaded.config.workers.map((w) => (w.name === 'beta' ? { ...w, push: false } : w));
    for (const name of ['alpha', 'beta', 'local']) expect((await tmuxOf(name)(['new-session', '-d', '-s', 'mc-base', 'sleep 600'])).code).toBe(0);
    // Read-only: streams are observations, allowed there too.
    fleet = createFleet({ ...loaded.config, workers }, { readOnly: true });
    fleet.startPolling();
    await waitFor('the first scans', () => ['alpha', 'beta', 'local'].every((w) => sessions(w).includes('mc-base')), 30_000);
    await waitFor('hooks armed on alpha and local', async () => (await armed('alpha')) && (await armed('local')), 30_000);
  });
  afterAll(async () => {
    await fleet?.close();
    await localTmux(['kill-server']);
    await world?.stop();
  });

  it('a new session reaches the store on an SSH worker and on this machine without a poll', async () => {
    for (const name of ['alpha', 'local']) expect((await tmuxOf(name)(['new-session', '-d', '-s', 'mc-new', 'sleep 600'])).code).toBe(0);
    await waitFor('mc-new on alpha and local', () => sessions('alpha').includes('mc-new') && sessions('local').includes('mc-new'));
  });

  it('a job ending reaches the store', async () => {
    await world.workers[0]!.tmux(['new-session', '-d', '-s', 'mc-short', 'read x']);
    await waitFor('mc-short', () => sessions('alpha').includes('mc-short'));
    await world.workers[0]!.tmux(['send-keys', '-t', '=mc-short:', 'Enter']);
    await waitFor('mc-short gone', () => !sessions('alpha').includes('mc-short'));
  });

  it('an agent state write (mc-state inside the job) reaches the store', async () => {
    const jobDir = join(world.workers[0]!.sshd.home, 'state', 'jobs', '7-probe');
    await mkdir(jobDir, { recursive: true });
    const meta = { id: '7-probe', kind: 'probe', params: {}, command: ['probe'], session: 'mc-7-probe', createdAt: new Date().toISOString() };
    await writeFile(join(jobDir, 'meta.json'), JSON.stringify(meta));
    await writeFile(join(jobDir, 'mc-state'), stateScript(jobDir));
    await world.workers[0]!.tmux(['new-session', '-d', '-s', 'mc-7-probe', `read x; sh ${jobDir}/mc-state waiting 'needs a reply'; sleep 600`]);
    const probe = () => selectAllJobs(fleet.store.getState()).find((j) => j.worker === 'alpha' && j.id === '7-probe');
    await waitFor('the probe job', () => probe()?.session !== undefined);
    // Typing into the pane fires no hook: only the state write can wake the watcher.
    await world.workers[0]!.tmux(['send-keys', '-t', '=mc-7-probe:', 'Enter']);
    await waitFor('the probe waiting', () => probe()?.state === 'waiting');
    expect(probe()?.reason).toBe('needs a reply');
  });

  it('hostile session names reach the store as data and never tmux format or shell expansion', async () => {
    const names = [`mc-##(touch ${pwned})`, 'mc-##{pane_id}x', `mc-$(touch ${pwned})`, 'mc-semi\\;'];
    for (const name of names) expect((await world.workers[0]!.tmux(['new-session', '-d', '-s', name, 'sleep 600'])).code).toBe(0);
    const expected = [`mc-#(touch ${pwned})`, 'mc-#{pane_id}x', `mc-$(touch ${pwned})`, 'mc-semi;'];
    await waitFor('the hostile names', () => expected.every((name) => sessions('alpha').includes(name)));
    await world.workers[0]!.tmux(['kill-session', '-t', '=mc-#{pane_id}x']);
    await waitFor('one of them gone', () => !sessions('alpha').includes('mc-#{pane_id}x'));
    expect(existsSync(pwned)).toBe(false);
    const hooks = (await world.workers[0]!.tmux(['show-hooks', '-g'])).stdout.split('\n').filter((l) => l.includes(`[${PUSH_HOOK_INDEX}]`));
    expect(hooks.length).toBeGreaterThanOrEqual(5);
    // Only the fixed signal, as tmux shows it back: the counter option and the channel, nothing from a session.
    const fixed = `set-option -Fg ${PUSH_GEN_OPTION} "#{e|+|:#{${PUSH_GEN_OPTION}},1}" ; wait-for -S ${PUSH_CHANNEL}`;
    for (const line of hooks) expect(line.replace(/^[a-z-]+\[\d+\] /, '')).toBe(fixed);
  });

  it('a tmux server killed and started again gets its hooks back', async () => {
    await world.workers[0]!.tmux(['kill-server']);
    await waitFor('alpha without sessions', () => sessions('alpha').length === 0);
    await world.workers[0]!.tmux(['new-session', '-d', '-s', 'mc-again', 'sleep 600']);
    await waitFor('mc-again', () => sessions('alpha').includes('mc-again'));
    // The worker is polled at once when its stream loses the server: the hooks come back within the watcher's retry.
    await waitFor('hooks armed again', () => armed('alpha'));
    await world.workers[0]!.tmux(['new-session', '-d', '-s', 'mc-again-2', 'sleep 600']);
    await waitFor('mc-again-2', () => sessions('alpha').includes('mc-again-2'));
  });

  it('push: false opens no stream: its server gets no hooks and its changes wait for a scan', async () => {
    expect(await armed('beta')).toBe(false);
    await world.workers[1]!.tmux(['new-session', '-d', '-s', 'mc-beta-new', 'sleep 600']);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(sessions('beta')).not.toContain('mc-beta-new');
    fleet.refreshNow('beta');
    await waitFor('mc-beta-new after a scan', () => sessions('beta').includes('mc-beta-new'));
  });

  it('a dropped connection: the stream comes back by itself and pushes again', async () => {
    const alpha = world.workers[0]!;
    await alpha.sshd.kill();
    await waitFor('alpha down', () => fleet.store.getState().workers.alpha!.connection === 'down', 30_000);
    await alpha.sshd.restart();
    // The first scan after the drop is the stream's own (the poll backs off for 30 s after the failure).
    await waitFor('alpha up again', () => fleet.store.getState().workers.alpha!.connection === 'up', 20_000);
    await alpha.tmux(['new-session', '-d', '-s', 'mc-after-drop', 'sleep 600']);
    await waitFor('mc-after-drop', () => sessions('alpha').includes('mc-after-drop'));
  });
});
