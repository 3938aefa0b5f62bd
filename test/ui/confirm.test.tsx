import { afterEach, describe, expect, it } from 'vitest';
import { removeRequest, startStopRequest, stopRequest, suspendRequest } from '../../src/ui/actions/confirmations.js';
import { callsOf, fleetState, job, NOW, smallFleet, testDashboard, worker } from './fixtures.js';
import { dialogLines, KEYS, linesOf, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const dialog = dialogLines;

describe('marks and bulk actions', () => {
  it('space marks a row and moves on; the header counts marks; esc clears them', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(KEYS.space, KEYS.space);
    expect([...dashboard.ui.getState().marks]).toEqual(['local/12-review', 'local/13-fix']);
    const screen = linesOf(mounted.screen());
    expect(screen.filter((line) => line.startsWith('*'))).toHaveLength(2);
    expect(screen[0]).toContain('2 marked');
    expect(dashboard.selectedJob()?.id).toBe('14-ready');
    await mounted.press(KEYS.esc);
    expect(dashboard.ui.getState().marks.size).toBe(0);
  });

  it('s on two marked jobs asks, naming exactly those jobs, and y stops exactly those', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(KEYS.space, KEYS.space, 's');
    expect(dialog(mounted.screen())).toEqual([
      'Stop 2 jobs?',
      '  local/12-review  running  review pr=12',
      '  local/13-fix  idle  fix pr=13',
      'Each job is interrupted (ctrl-c), then killed if it has not ended after a grace period.',
      'y stop 2 jobs   n / esc cancel',
    ]);
    expect(callsOf(dashboard)).toEqual([]);
    await mounted.press('y');
    expect(callsOf(dashboard).filter((c) => c.name === 'stopJob')).toEqual([
      { name: 'stopJob', args: [{ key: 'local/12-review', worker: 'local', recordId: '12-review', session: { id: '$9', name: 'mc-12-review' } }, '<progress>'] },
      { name: 'stopJob', args: [{ key: 'local/13-fix', worker: 'local', recordId: '13-fix', session: { id: '$6', name: 'mc-13-fix' } }, '<progress>'] },
    ]);
    expect(dashboard.ui.getState().marks.size).toBe(0);
    expect(callsOf(dashboard).filter((c) => c.name === 'refresh')).toEqual([
      { name: 'refresh', args: ['local'] },
      { name: 'refresh', args: ['local'] },
    ]);
  });

  it('n or esc cancels without calling anything', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('s');
    expect(dialog(mounted.screen())[0]).toBe('Stop job local/12-review?');
    await mounted.press('n');
    expect(mounted.screen()).toContain('cancelled');
    await mounted.press('x', KEYS.esc);
    expect(callsOf(dashboard)).toEqual([]);
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
  });

  it('x removes the selected job after saying what goes and what stays', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('j', 'j', 'x');
    expect(dialog(mounted.screen())).toEqual([
      'Remove job local/14-ready?',
      '  local/14-ready  failed  ready pr=14',
      "Kills each job's tmux session and removes its worktree; its logs are kept.",
      'y remove 1 job   n / esc cancel',
    ]);
    await mounted.press('y');
    expect(callsOf(dashboard).filter((c) => c.name === 'removeJob')).toEqual([
      { name: 'removeJob', args: [{ key: 'local/14-ready', worker: 'local', recordId: '14-ready', session: undefined }, {}, '<progress>'] },
    ]);
  });

  it('stopping a job that already ended says so instead of asking', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('j', 'j', 's');
    expect(mounted.screen()).toContain('nothing to stop: local/14-ready has already ended');
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
  });

  it('shows progress in place while a stop runs, and input stays live', async () => {
    let finish: () => void = () => undefined;
    const { recordingCommands } = await import('./fixtures.js');
    const commands = recordingCommands({ stopJob: () => new Promise<void>((resolve) => (finish = resolve)) });
    const dashboard = testDashboard({ access: { readOnly: false, commands } });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('s', 'y');
    expect(mounted.screen()).toContain('… stop local/12-review: starting');
    await mounted.press('j', 'j');
    expect(dashboard.selectedJob()?.id).toBe('14-ready');
    finish();
    await mounted.press('k');
    expect(mounted.screen()).toContain('stopped local/12-review');
  });

  it('S on a cloud worker that runs asks to stop it, listing the live jobs that stop with it', async () => {
    const state = fleetState(
      [worker('gce-1', { provider: 'gce-cos', path: 'iap' })],
      [job('1-review', { worker: 'gce-1' }), job('2-fix', { worker: 'gce-1', kind: 'fix', state: 'failed', exitCode: 1 })],
    );
    const dashboard = testDashboard({ state });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(KEYS.tab, 'S');
    expect(dialog(mounted.screen())).toEqual(['Stop worker gce-1?', 'Stops the gce-cos machine of worker gce-1.', '1 live job stops with it:', '  gce-1/1-review  running  review pr=12', 'y stop gce-1   n / esc cancel']);
    await mounted.press('y');
    expect(callsOf(dashboard).filter((c) => c.name === 'stopWorker')).toEqual([{ name: 'stopWorker', args: ['gce-1', '<progress>'] }]);
  });

  it('Z on a running GCE worker asks to suspend it, naming the live jobs that pause with it; y suspends exactly that worker', async () => {
    const state = fleetState(
      [worker('local'), worker('gce-1', { provider: 'gce-cos', path: 'iap', machine: { state: 'running', detail: 'RUNNING' } })],
      [job('1-review', { worker: 'gce-1', state: 'waiting' }), job('2-fix', { worker: 'gce-1', kind: 'fix', state: 'failed', exitCode: 1 })],
    );
    const dashboard = testDashboard({ state });
    mounted = await renderDashboard(dashboard, 140, 30);
    await mounted.press(KEYS.tab, 'j', 'Z');
    expect(dialog(mounted.screen())).toEqual([
      'Suspend worker gce-1?',
      'Suspends the gce-cos VM of worker gce-1: its memory is kept and compute billing stops (its disk is still billed).',
      '1 live job pauses with it and carries on after a start (S, a launch or an attach):',
      '  gce-1/1-review  waiting  review pr=12',
      'y suspend gce-1   n / esc cancel',
    ]);
    expect(callsOf(dashboard).filter((c) => c.name === 'suspendWorker')).toEqual([]);
    await mounted.press('y');
    expect(callsOf(dashboard).filter((c) => c.name === 'suspendWorker')).toEqual([{ name: 'suspendWorker', args: ['gce-1', '<progress>'] }]);
  });

  it('enter on a job of a suspended worker resumes the worker first, then attaches to the same job', async () => {
    const state = fleetState(
      [worker('gce-1', { provider: 'gce-cos', machine: { state: 'suspended', detail: 'SUSPENDED' } })],
      [job('1-review', { worker: 'gce-1', state: 'waiting' })],
    );
    const dashboard = testDashboard({ state });
    mounted = await renderDashboard(dashboard, 140, 30);
    await mounted.press(KEYS.enter);
    await mounted.press('j');
    expect(callsOf(dashboard).filter((c) => c.name === 'startWorker')).toEqual([{ name: 'startWorker', args: ['gce-1', '<progress>'] }]);
    expect(dashboard.requests).toEqual(['attach gce-1/1-review']);
    expect(mounted.screen()).toContain('resumed gce-1');
  });

  it(':suspend WORKER asks for that worker; a worker that cannot be suspended is said so, and Z is disabled there', async () => {
    const state = fleetState([worker('local'), worker('gce-1', { provider: 'gce-linux', machine: { state: 'running' } })], []);
    const dashboard = testDashboard({ state });
    mounted = await renderDashboard(dashboard, 140, 30);
    await mounted.press(':', ...'suspend gce-1', KEYS.enter);
    expect(dialog(mounted.screen())[0]).toBe('Suspend worker gce-1?');
    await mounted.press('n', ':', ...'suspend local', KEYS.enter);
    expect(mounted.screen()).toContain('cannot suspend local: only GCE workers can be suspended (it is local)');
    await mounted.press(KEYS.tab, 'Z');
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
    expect(callsOf(dashboard).filter((c) => c.name === 'suspendWorker')).toEqual([]);
  });
});

describe('a session started by hand beside a job of the same name', () => {
  // The session `zz` (no record) and the job `zz` (session mc-zz): two keys, and each action reaches only its own.
  const twins = () =>
    fleetState(
      [worker('local')],
      [
        job('zz', { session: { id: '$1', name: 'mc-zz', attached: 0, created: 100 } }),
        job('$3', { adhoc: true, kind: 'session', params: {}, command: ['sh'], session: { id: '$3', name: 'zz', attached: 0, created: 200 } }),
      ],
    );

  it('x on the hand-made session removes that session only, as it was when the dialog opened', async () => {
    const dashboard = testDashboard({ state: twins() });
    mounted = await renderDashboard(dashboard, 120, 30);
    expect(linesOf(mounted.screen()).filter((line) => /\bzz\b/.test(line) && line.includes('local '))).toHaveLength(2);
    await mounted.press('j', 'x');
    expect(dialog(mounted.screen())).toEqual([
      'Remove job local/$3?',
      '  local/$3 (session zz)  running  session',
      "Kills each job's tmux session and removes its worktree; its logs are kept.",
      'Still running, ended without a grace period: local/$3',
      'Started by hand, only the session ends (no record or worktree is touched): local/$3',
      'y remove 1 job   n / esc cancel',
    ]);
    // A refresh while the dialog is open reorders the rows: `y` still acts on what the dialog named.
    const [record, byHand] = dashboard.source.getState().jobsByWorker['local']!;
    dashboard.source.setState({ jobsByWorker: { local: [byHand!, record!] } });
    await mounted.press('y');
    expect(callsOf(dashboard).filter((c) => c.name === 'removeJob')).toEqual([
      { name: 'removeJob', args: [{ key: 'local/$3', worker: 'local', recordId: undefined, session: { id: '$3', name: 'zz', created: 200 } }, {}, '<progress>'] },
    ]);
  });

  it('s on the job stops the job, never the session that shares its name', async () => {
    const dashboard = testDashboard({ state: twins() });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('s', 'y');
    expect(callsOf(dashboard).filter((c) => c.name === 'stopJob')).toEqual([
      { name: 'stopJob', args: [{ key: 'local/zz', worker: 'local', recordId: 'zz', session: { id: '$1', name: 'mc-zz', created: 100 } }, '<progress>'] },
    ]);
  });
});

describe('rebuild', () => {
  it('R on a cloud worker says what is lost and which live jobs end, then rebuilds through the command layer', async () => {
    const state = fleetState(
      [worker('gce-1', { provider: 'gce-cos', path: 'iap' })],
      [job('1-review', { worker: 'gce-1' }), job('2-fix', { worker: 'gce-1', kind: 'fix', state: 'failed', exitCode: 1 })],
    );
    const dashboard = testDashboard({ state });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(KEYS.tab, 'R');
    expect(dialog(mounted.screen())).toEqual([
      'Rebuild worker gce-1?',
      'Deletes the gce-cos machine of worker gce-1 with its boot disk, then provisions it again.',
      'Worktrees, logs and job records on that disk are lost.',
      '1 live job ends with it:',
      '  gce-1/1-review  running  review pr=12',
      'y rebuild gce-1   n / esc cancel',
    ]);
    await mounted.press('n');
    expect(callsOf(dashboard).filter((c) => c.name === 'rebuildWorker')).toEqual([]);
    await mounted.press('R', 'y');
    expect(callsOf(dashboard).filter((c) => c.name === 'rebuildWorker')).toEqual([{ name: 'rebuildWorker', args: ['gce-1', '<progress>'] }]);
  });
});

describe('rebuild of a docker worker', () => {
  it('R says the container goes and the mounted worktrees stay, then rebuilds through the command layer', async () => {
    const state = fleetState([worker('sandbox', { provider: 'docker', path: 'local' })], [job('1-review', { worker: 'sandbox' })]);
    const dashboard = testDashboard({ state });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(KEYS.tab, 'R');
    expect(dialog(mounted.screen()).slice(0, 3)).toEqual([
      'Rebuild worker sandbox?',
      'Removes the container of worker sandbox, then creates it again from its image.',
      'Worktrees, logs and job records in its mounted directories stay.',
    ]);
    await mounted.press('y');
    expect(callsOf(dashboard).filter((c) => c.name === 'rebuildWorker')).toEqual([{ name: 'rebuildWorker', args: ['sandbox', '<progress>'] }]);
  });
});

describe('confirmation texts', () => {
  it('list at most eight jobs and count the rest', () => {
    const jobs = Array.from({ length: 11 }, (_, i) => job(`${i}-review`));
    const request = removeRequest(jobs);
    expect(typeof request === 'string' ? request : request.lines.at(8)).toBe('  … and 3 more');
  });

  it('leave ended jobs out of a stop and say so', () => {
    const [running, , failed] = smallFleet().jobsByWorker['local'] ?? [];
    const request = stopRequest([running!, failed!]);
    expect(typeof request === 'string' ? request : request.lines).toEqual([
      '  local/12-review  running  review pr=12',
      'Each job is interrupted (ctrl-c), then killed if it has not ended after a grace period.',
      'Left alone (already ended): local/14-ready',
    ]);
  });

  it('suspend: only a running GCE VM; an asleep one is said so', () => {
    const gce = (state: 'stopped' | 'suspended' | 'suspending') => worker('gce-2', { provider: 'gce-linux', machine: { state }, lastRefresh: NOW });
    expect(suspendRequest(gce('suspended'), [])).toBe('nothing to suspend: gce-2 is already suspended');
    expect(suspendRequest(gce('suspending'), [])).toBe('nothing to suspend: gce-2 is already suspending');
    expect(suspendRequest(gce('stopped'), [])).toBe('cannot suspend gce-2: its VM is stopped, and only a running VM can be suspended');
  });

  it('start a stopped worker', () => {
    const request = startStopRequest(worker('gce-2', { provider: 'gce-linux', machine: { state: 'stopped', detail: 'TERMINATED' }, lastRefresh: NOW }), []);
    expect(request.title).toBe('Start worker gce-2?');
    expect(request.action).toEqual({ type: 'start-worker', worker: 'gce-2' });
  });
});
