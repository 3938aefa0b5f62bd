import { afterEach, describe, expect, it } from 'vitest';
import { callsOf, fleetState, job, recordingObserve, testDashboard, worker } from './fixtures.js';
import { renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const lostFirst = () =>
  fleetState(
    [worker('local')],
    [
      job('9-review', { params: { pr: '9' }, state: 'lost', session: undefined, paneId: undefined }),
      job('12-review'),
      job('10-review', { params: { pr: '10' }, state: 'failed', exitCode: 129, session: undefined, paneId: undefined }),
    ],
  );

describe('the u key', () => {
  it('resumes the selected lost job, exactly the one shown', async () => {
    const dashboard = testDashboard({ state: lostFirst() });
    mounted = await renderDashboard(dashboard, 160, 30);
    await mounted.press('u');
    const calls = callsOf(dashboard).filter((call) => call.name === 'resumeJob');
    expect(calls).toEqual([{ name: 'resumeJob', args: [{ key: 'local/9-review', worker: 'local', recordId: '9-review', session: undefined }, '<progress>'] }]);
  });

  it('resumes a job ended by the hangup of its killed tmux server', async () => {
    const dashboard = testDashboard({ state: lostFirst() });
    mounted = await renderDashboard(dashboard, 160, 30);
    await mounted.press('/', ...'10-review', '\r', 'u');
    const calls = callsOf(dashboard).filter((call) => call.name === 'resumeJob');
    expect(calls.map((call) => (call.args[0] as { key: string }).key)).toEqual(['local/10-review']);
  });

  it('does not resume a job that is not lost, and says why', async () => {
    const dashboard = testDashboard({ state: lostFirst() });
    mounted = await renderDashboard(dashboard, 160, 30);
    await mounted.press('j', 'u');
    expect(callsOf(dashboard).filter((call) => call.name === 'resumeJob')).toEqual([]);
    expect(mounted.screen()).toContain('only a lost job');
  });

  it('does nothing in a read-only dashboard', async () => {
    const dashboard = testDashboard({ state: lostFirst(), access: { readOnly: true, commands: recordingObserve() } });
    mounted = await renderDashboard(dashboard, 160, 30);
    await mounted.press('u');
    expect(callsOf(dashboard)).toEqual([]);
    expect(dashboard.mutate).toBeUndefined();
  });
});
