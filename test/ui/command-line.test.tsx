import { afterEach, describe, expect, it } from 'vitest';
import { LINE_COMMANDS, lineCommandsFor } from '../../src/ui/keys/bindings.js';
import { completeLine, parseLine, type LineContext } from '../../src/ui/keys/command-line.js';
import { BUILTIN_LAUNCH_KINDS } from '../../src/ui/launch-kinds.js';
import { callsOf, testDashboard } from './fixtures.js';
import { KEYS, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const context: LineContext = { commands: LINE_COMMANDS, workers: ['local', 'gpu-1', 'gpu-2'], kinds: BUILTIN_LAUNCH_KINDS };

describe('parsing a command line', () => {
  it('reads every command', () => {
    expect(parseLine('worker gpu-1', context)).toEqual({ type: 'worker', worker: 'gpu-1' });
    expect(parseLine('w', context)).toEqual({ type: 'worker', worker: undefined });
    expect(parseLine('launch review pr=12 @gpu-2', context)).toEqual({ type: 'launch', kind: 'review', params: { pr: '12' }, worker: 'gpu-2' });
    expect(parseLine('  stop ', context)).toEqual({ type: 'stop' });
    expect(parseLine('rm', context)).toEqual({ type: 'remove' });
    expect(parseLine('q', context)).toEqual({ type: 'quit' });
    expect(parseLine('sort output', context)).toEqual({ type: 'sort', key: 'output' });
    expect(parseLine('filter a b', context)).toEqual({ type: 'filter', text: 'a b' });
    expect(parseLine('', context)).toEqual({ type: 'none' });
  });

  it('says what is wrong', () => {
    expect(parseLine('wroker', context)).toEqual({ type: 'error', message: "no command 'wroker' (commands: worker, filter, sort, refresh, launch, stop, suspend, remove, help, quit)" });
    expect(parseLine('worker gpu-9', context)).toEqual({ type: 'error', message: "no worker 'gpu-9' (workers: local, gpu-1, gpu-2)" });
    expect(parseLine('launch deploy', context)).toEqual({ type: 'error', message: "no job kind 'deploy' (kinds: review, fix, ready, implement, open)" });
    expect(parseLine('launch review 12', context)).toEqual({ type: 'error', message: "'12' is not NAME=VALUE or @WORKER" });
    expect(parseLine('sort colour', context).type).toBe('error');
  });

  it('has no mutating command when read-only', () => {
    const readOnly = { ...context, commands: lineCommandsFor(true) };
    expect(parseLine('launch review pr=1', readOnly).type).toBe('error');
    expect(parseLine('stop', readOnly).type).toBe('error');
  });
});

describe('tab completion', () => {
  it('completes commands, workers, kinds, parameters and @workers', () => {
    expect(completeLine('wo', context)).toEqual({ line: 'worker ', candidates: [] });
    expect(completeLine('worker gp', context)).toEqual({ line: 'worker gpu-', candidates: ['gpu-1', 'gpu-2'] });
    expect(completeLine('worker gpu-2', context)).toEqual({ line: 'worker gpu-2 ', candidates: [] });
    expect(completeLine('launch im', context)).toEqual({ line: 'launch implement ', candidates: [] });
    expect(completeLine('launch review ', context)).toEqual({ line: 'launch review ', candidates: ['pr=', '@local', '@gpu-1', '@gpu-2'] });
    expect(completeLine('launch review p', context)).toEqual({ line: 'launch review pr=', candidates: [] });
    expect(completeLine('launch review pr=3 @l', context)).toEqual({ line: 'launch review pr=3 @local ', candidates: [] });
    expect(completeLine('s', context)).toEqual({ line: 's', candidates: ['sort', 'stop', 'suspend'] });
    expect(completeLine('zz', context)).toEqual({ line: 'zz', candidates: [] });
  });
});

describe('the : command line on screen', () => {
  it('completes with tab, shows candidates, and runs :launch through the command layer', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(':', 'l', 'a', KEYS.tab);
    expect(mounted.screen()).toContain(':launch ');
    await mounted.press('r', KEYS.tab);
    expect(mounted.screen()).toContain(':launch re   review  ready');
    await mounted.press(...'view pr=12', KEYS.enter);
    expect(callsOf(dashboard).filter((c) => c.name === 'launch')).toEqual([{ name: 'launch', args: [{ kind: 'review', params: { pr: '12' } }, '<progress>'] }]);
    await mounted.press('j');
    expect(mounted.screen()).toContain('launched local/12-review on local (local first)');
  });

  it('refuses a launch with a bad parameter before calling anything', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(':', ...'launch review pr=1;rm', KEYS.enter);
    expect(mounted.screen()).toContain('pr must be a pull request number (^[0-9]+$)');
    expect(callsOf(dashboard)).toEqual([]);
  });

  it(':stop asks like s, :quit quits', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(':', ...'stop', KEYS.enter);
    expect(mounted.screen()).toContain('Stop job local/12-review?');
    await mounted.press(KEYS.esc, ':', ...'quit', KEYS.enter);
    expect(dashboard.requests).toEqual(['quit']);
  });
});
