import { describe, expect, it } from 'vitest';
import { buildScanCommand, foregroundScript, MAX_CAPTURED_PANES, MAX_FOREGROUND_PANES, MAX_FOREGROUND_PROCESSES } from '../../src/scanners/worker-scan/command.js';
import { findPrompt, parseCaptures, parseForeground, ScreenMemory, SCREEN_LINES, silentPanePids } from '../../src/scanners/worker-scan/screens.js';
import type { Section } from '../../src/scanners/worker-scan/sections.js';
import type { JobRecord, StateReport } from '../../src/scanners/worker-scan/types.js';
import { deriveJobs } from '../../src/state/derive-jobs.js';
import { NOW_S, record, scan, session } from '../support/scan-fixtures.js';

const US = '\x1f';
const options = { sessionPrefix: 'mc', idleAfterSeconds: 60, now: NOW_S * 1000 };
const capture = (lines: string[]): Section => ({ name: 'capture', body: lines.map((l) => `${l}\n`).join(''), status: 0 });
const PATTERNS = ['\\[y/N\\]', '^Allow .*\\?$'];
/** A job of the kind `prompted`, whose config lists waiting patterns. */
const patterned = (id: string, report?: StateReport): JobRecord => {
  const base = record(id);
  return { ...base, meta: { ...base.meta!, kind: 'prompted' }, ...(report ? { report } : {}) };
};
const patternsFor = (kind: string) => (kind === 'prompted' ? PATTERNS : undefined);

describe('screen captures in the scan', () => {
  it('asks only for the requested panes, bounded, and only when their activity changed', () => {
    const none = (buildScanCommand({ tmuxSocketArgs: ['-S', '/s'], stateDir: '~/.mc', nonce: 'abcdefgh12' }) as { script: string }).script;
    expect(none).not.toContain('capture-pane');
    const many = Array.from({ length: 40 }, (_, i) => ({ paneId: `%${i}`, seen: 1000 + i }));
    const script = (buildScanCommand({ tmuxSocketArgs: ['-S', '/s'], stateDir: '~/.mc', nonce: 'abcdefgh12', capture: [{ paneId: '%1;rm', seen: 0 }, ...many] }) as { script: string }).script;
    expect(script).toContain(`w=' %0:1000 %1:1001`);
    expect(script).toContain(`%${MAX_CAPTURED_PANES - 1}:${1000 + MAX_CAPTURED_PANES - 1} '`);
    expect(script).not.toContain('%1;rm');
    expect(script).toMatch(/capture-pane -p -J -t "\$p" <\/dev\/null 2>\/dev\/null \| tail -c 4096 \| sed 's\/\^\/\|\/'/);
  });

  it('reads each pane\'s last non-empty lines; captured text cannot pass for a pane header', () => {
    const screens = parseCaptures(
      capture([
        `C${US}%3${US}1800000000`, '|$ make', `|C${US}%9${US}1`, ...Array.from({ length: 12 }, (_, i) => `|line ${i}`), '|Allow Bash(npm test)?   ', '|', '|',
        `C${US}%4${US}1799999999`,
        `C${US}bad${US}1`, '|ignored',
      ]),
    );
    expect([...screens.keys()]).toEqual(['%3', '%4']);
    expect(screens.get('%3')!.lines).toHaveLength(SCREEN_LINES);
    expect(screens.get('%3')!.lines.at(-1)).toBe('Allow Bash(npm test)?');
    expect(screens.get('%4')).toEqual({ activity: 1_799_999_999, lines: [] });
  });

  it('remembers screens across scans: watches patterned jobs\' panes, recaptures a pane caught in the second it changed', () => {
    const memory = new ScreenMemory(patternsFor);
    expect(memory.requests()).toEqual([]);
    const sessions = [session('mc-a', { id: '$1' }, { id: '%1' }), session('mc-b', { id: '$2' }, { id: '%2' })];
    const jobs = [patterned('a'), record('b')];
    memory.update(new Map(), sessions, jobs, NOW_S);
    expect(memory.requests()).toEqual([{ paneId: '%1', seen: 0 }]);
    const shown = memory.update(new Map([['%1', { activity: NOW_S, lines: ['Allow x?', 'the footer'] }]]), sessions, jobs, NOW_S);
    expect(shown.get('%1')).toEqual({ activity: NOW_S, lines: ['Allow x?', 'the footer'], prompt: 'Allow x?' });
    // Caught in the very second of its last change: asked for again.
    expect(memory.requests()).toEqual([{ paneId: '%1', seen: 0 }]);
    memory.update(new Map([['%1', { activity: NOW_S, lines: ['Allow x?'] }]]), sessions, jobs, NOW_S + 2);
    expect(memory.requests()).toEqual([{ paneId: '%1', seen: NOW_S }]);
    // Not captured this time (unchanged): the last screen still counts; a pane that is gone is forgotten.
    expect(memory.update(new Map(), sessions, jobs, NOW_S + 4).get('%1')?.lines).toEqual(['Allow x?']);
    expect(memory.update(new Map(), [], jobs, NOW_S + 6).size).toBe(0);
  });
});

describe('waiting from the screen', () => {
  const live = session('mc-a', { id: '$1', activity: NOW_S - 20 }, { id: '%1' });
  const derive = (job: JobRecord, prompt: string | undefined, activity = NOW_S - 20) =>
    deriveJobs('w', { ...scan([live], [job]), screens: new Map([['%1', { activity, lines: [], ...(prompt ? { prompt } : {}) }]]) }, new Map(), options)[0]!;

  it('finds the lowest line a pattern matches; a pattern that is not a regular expression matches nothing', () => {
    expect(findPrompt(PATTERNS, ['Allow Bash(ls)?', 'output', 'Proceed? [y/N]  ', 'footer'])).toBe('Proceed? [y/N]');
    expect(findPrompt(PATTERNS, ['all good'])).toBeUndefined();
    expect(findPrompt(['(', 'ok$'], ['fine', 'all ok'])).toBe('all ok');
  });

  it('a prompt on screen makes the job waiting, with the prompt as the reason, since the screen changed', () => {
    expect(derive(patterned('a'), 'Proceed? [y/N]')).toMatchObject({ state: 'waiting', reason: 'Proceed? [y/N]', since: (NOW_S - 20) * 1000 });
    expect(derive(patterned('a'), undefined)).toMatchObject({ state: 'running' });
  });

  it('the newer of the report and the screen stands', () => {
    expect(derive(patterned('a', { state: 'done', at: NOW_S - 10, reason: '' }), 'Proceed? [y/N]')).toMatchObject({ state: 'done' });
    expect(derive(patterned('a', { state: 'working', at: NOW_S - 30, reason: '' }), 'Proceed? [y/N]')).toMatchObject({ state: 'waiting', reason: 'Proceed? [y/N]' });
  });
});

describe('a foreground process blocked reading the terminal', () => {
  it('is looked for only under the given pane processes, bounded', () => {
    expect(foregroundScript([])).toEqual([]);
    const script = foregroundScript([12, -1, Number.NaN, ...Array.from({ length: 80 }, (_, i) => 100 + i)]).join('\n');
    expect(script).toMatch(/^b fg; for r in 12 100 101 /);
    expect(script).toContain(` ${100 + MAX_FOREGROUND_PANES - 2};`);
    expect(script).not.toContain(` ${100 + MAX_FOREGROUND_PANES - 1};`);
    expect(script).toContain(`while [ $n -lt ${MAX_FOREGROUND_PROCESSES} ]`);
  });

  it('counts a process waiting in read(0) of its terminal, not one sleeping, polling or reading elsewhere', () => {
    const section: Section = {
      name: 'fg',
      body: [
        'F 10 10 10 do_wait 61 0xffffffff', 'F 10 11 10 wait_woken 0 0x0', 'F 20 20 20 hrtimer_nanosleep 230 0x0', 'F 30 31 30 do_epoll_wait 281 0xd',
        'F 40 41 40 wait_woken 0 0x5', 'F 50 51 50 wait_woken 63 0x0', 'F x 1 1 wait_woken 0 0x0',
        // An interactive shell (job control: a group of its own) at its prompt.
        'F 60 61 61 wait_woken 0 0x0', '',
      ].join('\n'),
      status: 0,
    };
    expect([...parseForeground(section)]).toEqual([10, 50]);
  });

  it('makes a job that reports nothing and shows no prompt waiting, since its last output; a report wins', () => {
    const live = session('mc-r', { id: '$1', activity: NOW_S - 30 }, { id: '%1', pid: 10 });
    const derive = (job: JobRecord) => deriveJobs('w', { ...scan([live], [job]), readingTerminal: new Set([10]) }, new Map(), options)[0]!;
    expect(derive(record('r', { logModified: NOW_S - 30 }))).toMatchObject({ state: 'waiting', reason: 'waiting for input: reads its terminal', since: (NOW_S - 30) * 1000 });
    expect(derive({ ...record('r'), report: { state: 'working', at: NOW_S - 40, reason: '' } })).toMatchObject({ state: 'working' });
    expect(silentPanePids([live, session('mc-s', { id: '$2' }, { id: '%2', pid: 20, dead: true }), session('by-hand', { id: '$3' }, { id: '%3', pid: 30 })], [record('r')])).toEqual([10]);
    expect(silentPanePids([live], [{ ...record('r'), report: { state: 'done', at: 1, reason: '' } }])).toEqual([]);
  });
});
