import { afterEach, describe, expect, it } from 'vitest';
import { computeJobRows, parseFilter } from '../../src/ui/state/job-rows.js';
import { NOW, smallFleet, testDashboard } from './fixtures.js';
import { KEYS, linesOf, renderDashboard, type Rendered } from './render.js';
import { selectAllJobs } from '../../src/state/selectors.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const jobRows = (screen: string) => linesOf(screen).filter((line) => /^[ *][ !]\d+-\w+/.test(line)).map((line) => line.slice(2).split(' ')[0]);

describe('the / filter', () => {
  it('keeps rows whose text contains the typed substring, live as it is typed, and esc clears it', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    expect(jobRows(mounted.screen())).toEqual(['12-review', '13-fix', '14-ready', '15-review', '7-implement']);
    await mounted.press('/', 'r', 'e', 'v');
    expect(jobRows(mounted.screen())).toEqual(['12-review', '15-review']);
    expect(mounted.screen()).toContain('─ Jobs 2 of 5 ─ filter: rev ─');
    expect(mounted.screen()).toContain('/rev   text · enter keeps it · esc clears');
    await mounted.press(KEYS.enter);
    expect(jobRows(mounted.screen())).toEqual(['12-review', '15-review']);
    await mounted.press('j', 'q');
    expect(dashboard.requests).toEqual(['quit']);
    await mounted.press('/', KEYS.esc);
    expect(jobRows(mounted.screen())).toHaveLength(5);
    expect(dashboard.ui.getState().filter).toBe('');
  });

  it('takes /regex/ and ! to invert, and says when a regex does not compile', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('/', ...'/^1[34]-/');
    expect(jobRows(mounted.screen())).toEqual(['13-fix', '14-ready']);
    await mounted.press(KEYS.enter, '/', KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace);
    await mounted.press(...'!gpu-1');
    expect(jobRows(mounted.screen())).toEqual(['12-review', '13-fix', '14-ready']);
    await mounted.press(KEYS.esc, '/', ...'/(');
    expect(mounted.screen()).toContain('not a valid regular expression');
  });

  it('matches parameters, states and commands too', () => {
    const jobs = selectAllJobs(smallFleet());
    const ids = (filter: string) =>
      computeJobRows(jobs, { filter, workerFilter: undefined, attentionOnly: false, sort: { key: 'natural', descending: false }, now: NOW }).jobs.map((j) => j.id);
    expect(ids('issue=7')).toEqual(['7-implement']);
    expect(ids('FAILED')).toEqual(['14-ready']);
    expect(ids('/^idle$/')).toEqual(['13-fix', '15-review']);
    expect(ids('prompt-interactive')).toHaveLength(5);
    expect(parseFilter('/a[/').error).toMatch(/^not a valid regular expression/);
  });

  it('a lists only jobs needing attention; :worker and enter on a worker narrow to one worker', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('a');
    expect(jobRows(mounted.screen())).toEqual(['14-ready', '15-review', '7-implement']);
    expect(mounted.screen()).toContain('needing attention');
    await mounted.press('a', ':', ...'worker gpu-1', KEYS.enter);
    expect(jobRows(mounted.screen())).toEqual(['15-review', '7-implement']);
    expect(mounted.screen()).toContain('worker: gpu-1');
    await mounted.press(KEYS.esc, KEYS.tab, 'k', KEYS.enter);
    expect(jobRows(mounted.screen())).toEqual(['12-review', '13-fix', '14-ready']);
    expect(dashboard.ui.getState().focus).toBe('jobs');
  });

  it('sorts by column with o and reverses with O, the selection following its job', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('j', 'j');
    expect(dashboard.selectedJob()?.id).toBe('14-ready');
    await mounted.press(':', ...'sort state', KEYS.enter);
    expect(jobRows(mounted.screen())).toEqual(['14-ready', '7-implement', '13-fix', '15-review', '12-review']);
    expect(mounted.screen()).toContain('sort: state');
    expect(dashboard.selectedJob()?.id).toBe('14-ready');
    await mounted.press('O');
    expect(jobRows(mounted.screen())).toEqual(['12-review', '13-fix', '15-review', '7-implement', '14-ready']);
    await mounted.press('o');
    expect(dashboard.ui.getState().sort).toEqual({ key: 'age', descending: true });
  });
});
