import { afterEach, describe, expect, it } from 'vitest';
import { defaultApproveFor } from '../../src/app/approve.js';
import { approveRequest } from '../../src/ui/actions/confirmations.js';
import { bindingsFor } from '../../src/ui/keys/bindings.js';
import { callsOf, fleetState, job, NOW, recordingObserve, testDashboard, worker } from './fixtures.js';
import { dangerous, dialogLines, KEYS, linesOf, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const dialog = dialogLines;

const askTarget = { key: 'local/3-ask', worker: 'local', recordId: '3-ask', session: { id: '$5', name: 'mc-3-ask' } };

function waitingFleet() {
  return fleetState(
    [worker('local')],
    [
      job('3-ask', { state: 'waiting', reason: 'Allow Bash(npm test)?\x1b]0;x\x07', since: NOW - 30_000, agent: 'claude' }),
      job('4-busy', { state: 'working' }),
      job('5-own', { state: 'waiting', reason: 'Continue?', agent: 'mystery' }),
    ],
  );
}

describe('i: a reply without attaching', () => {
  it('types a line and sends it to the job it was opened on, then Enter', async () => {
    const dashboard = testDashboard({ state: waitingFleet() });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('i', ...'yes, run q and y', KEYS.backspace);
    expect(linesOf(mounted.screen()).find((line) => line.startsWith('reply to'))).toBe('reply to local/3-ask › yes, run q and    enter sends it, then Enter · esc cancels');
    // The selection moving under the open line does not change where the reply goes.
    dashboard.ui.setState({ selectedJobKey: 'local/4-busy' });
    await mounted.press(KEYS.enter);
    expect(callsOf(dashboard).filter((c) => c.name === 'sendToJob')).toEqual([{ name: 'sendToJob', args: [askTarget, { text: 'yes, run q and ', keys: ['Enter'] }] }]);
    expect(mounted.screen()).toContain('sent to local/3-ask');
  });

  it('esc cancels, and an empty reply sends nothing', async () => {
    const dashboard = testDashboard({ state: waitingFleet() });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('i', 'x', KEYS.esc, 'i', KEYS.enter);
    expect(callsOf(dashboard).filter((c) => c.name === 'sendToJob')).toEqual([]);
    expect(mounted.screen()).toContain('nothing sent: the reply was empty');
  });
});

describe('y: approve a waiting job', () => {
  it("asks first, showing what the job asks, then sends its agent's allow-once answer; the dialog keeps its own y", async () => {
    const dashboard = testDashboard({ state: waitingFleet() });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('y');
    expect(dialog(mounted.screen())).toEqual([
      'Approve local/3-ask?',
      '  Allow Bash(npm test)?\ufffd',
      "Sends Enter to its pane (claude: allow once).",
      'y approve local/3-ask   n / esc cancel',
    ]);
    expect(dangerous(mounted.frame())).toEqual([]);
    expect(callsOf(dashboard).filter((c) => c.name === 'sendToJob')).toEqual([]);
    await mounted.press('y');
    expect(callsOf(dashboard).filter((c) => c.name === 'sendToJob')).toEqual([{ name: 'sendToJob', args: [askTarget, { keys: ['Enter'] }] }]);
  });

  it('sends nothing when, by the time y confirms, the job asks something else or no longer waits', async () => {
    const dashboard = testDashboard({ state: waitingFleet() });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('y');
    expect(dialog(mounted.screen())[1]).toBe('  Allow Bash(npm test)?\ufffd');
    // A scan lands while the dialog is open: the agent now asks another question.
    const asking = (reason: string, state: 'waiting' | 'working' = 'waiting') =>
      dashboard.source.setState(
        fleetState([worker('local')], [job('3-ask', { state, reason, since: NOW - 5_000, agent: 'claude' }), job('4-busy', { state: 'working' })]),
      );
    asking('Allow Bash(rm -rf build)?');
    await mounted.press('y');
    expect(callsOf(dashboard).filter((c) => c.name === 'sendToJob')).toEqual([]);
    expect(mounted.screen()).toContain('not approved: local/3-ask now asks: Allow Bash(rm -rf build)?; press y again to see what it asks now');
    // Asked again, the dialog shows the new question; the job then answers itself before y.
    await mounted.press('y');
    expect(dialog(mounted.screen())[1]).toBe('  Allow Bash(rm -rf build)?');
    asking('working', 'working');
    await mounted.press('y');
    expect(callsOf(dashboard).filter((c) => c.name === 'sendToJob')).toEqual([]);
    expect(mounted.screen()).toContain('not approved: local/3-ask is no longer waiting (working)');
  });

  it('is refused, with the reason, for a job that is not waiting or whose agent has no known answer', async () => {
    const dashboard = testDashboard({ state: waitingFleet() });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('j', 'y');
    expect(mounted.screen()).toContain('the job is not waiting for an answer');
    await mounted.press('j', 'y');
    expect(mounted.screen()).toContain('cannot approve local/5-own: no approve answer is known for agent mystery; press i to reply, or enter to attach');
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
    expect(callsOf(dashboard).filter((c) => c.name === 'sendToJob')).toEqual([]);
  });

  it('knows the allow-once answers of the built-in agents, and nothing for other names', () => {
    expect(['claude', 'gemini', 'codex', 'constructor', '__proto__'].map((agent) => defaultApproveFor(job('a', { agent }))?.keys)).toEqual([
      ['Enter'],
      ['Enter'],
      ['y'],
      undefined,
      undefined,
    ]);
    expect(approveRequest(job('a', { state: 'working', agent: 'claude' }), { keys: ['Enter'] })).toBe('nothing to approve: local/a is not waiting for an answer');
  });
});

describe('in a read-only dashboard', () => {
  it('i and y do not exist', async () => {
    expect(bindingsFor(true).filter((b) => b.id === 'reply-job' || b.id === 'approve-job')).toEqual([]);
    const dashboard = testDashboard({ state: waitingFleet(), access: { readOnly: true, commands: recordingObserve() } });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('i', 'y', 'y');
    expect(dashboard.ui.getState().input).toBeUndefined();
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
    expect(callsOf(dashboard)).toEqual([]);
  });
});
