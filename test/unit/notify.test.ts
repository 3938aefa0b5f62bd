import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';
import type { FleetState } from '../../src/state/store.js';
import type { Job, JobState } from '../../src/state/types.js';
import { createTransitionTracker, type NotifyEvent } from '../../src/notify/events.js';
import { createNotifyLimiter, DEFAULT_LIMITS } from '../../src/notify/limiter.js';
import { createNotifyLock, defaultNotifyLockPath } from '../../src/notify/lock.js';
import { createNotifier } from '../../src/notify/notifier.js';
import { oscText, terminalNotification } from '../../src/notify/terminal.js';
import { fleetState, job, NOW, worker } from '../ui/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-notify-'));
  dirs.push(dir);
  return dir;
};

/** A fleet with one worker `local` and jobs in the given states, as a scan at `at` left it. */
function scan(states: Record<string, JobState>, at = NOW, reasons: Record<string, string> = {}): FleetState {
  const jobs: Job[] = Object.entries(states).map(([id, state]) => job(id, { state, reason: reasons[id] ?? `${state} reason`, since: at }));
  return fleetState([worker('local', { lastRefresh: at })], jobs);
}

const summary = (events: readonly NotifyEvent[]) => events.map((e) => `${e.job} ${e.state}`);

describe('transitions', () => {
  it('announces nothing the first scan finds, then each job entering waiting, failed or done once', () => {
    const track = createTransitionTracker();
    expect(track(fleetState([worker('local', { lastRefresh: undefined })], []))).toEqual([]);
    expect(track(scan({ a: 'waiting', b: 'failed', c: 'working' }))).toEqual([]);
    expect(track(scan({ a: 'waiting', b: 'failed', c: 'waiting' }, NOW + 2000, { c: 'Allow Bash(npm test)?' }))).toEqual([
      { worker: 'local', job: 'local/c', state: 'waiting', reason: 'Allow Bash(npm test)?', since: new Date(NOW + 2000).toISOString() },
    ]);
    expect(summary(track(scan({ a: 'working', b: 'failed', c: 'waiting', d: 'done' }, NOW + 4000)))).toEqual(['local/d done']);
    expect(summary(track(scan({ a: 'done', b: 'failed', c: 'exited', d: 'done' }, NOW + 6000)))).toEqual(['local/a done']);
    expect(summary(track(scan({ a: 'failed', b: 'failed', c: 'exited', d: 'done' }, NOW + 8000)))).toEqual(['local/a failed']);
  });

  it('keeps what was known across an outage of the worker: no repeat, but what changed meanwhile', () => {
    const track = createTransitionTracker();
    track(scan({ a: 'waiting', b: 'working' }));
    const down = fleetState(
      [worker('local', { connection: 'down', lastRefresh: NOW })],
      [job('a', { state: 'unknown', reason: 'worker unreachable' }), job('b', { state: 'unknown', reason: 'worker unreachable' })],
    );
    expect(track(down)).toEqual([]);
    expect(summary(track(scan({ a: 'waiting', b: 'failed' }, NOW + 60_000)))).toEqual(['local/b failed']);
  });

  it('does not look at a worker whose jobs did not change', () => {
    const track = createTransitionTracker();
    const first = scan({ a: 'working' });
    track(first);
    expect(track({ ...first, configErrors: ['x'] })).toEqual([]);
  });
});

describe('the limiter', () => {
  const event = (jobKey: string, state: JobState, reason = 'r'): NotifyEvent => ({ worker: 'local', job: jobKey, state, reason, since: '' });

  it('lets a flapping job ring once a state, not twenty times', () => {
    const allowed = createNotifyLimiter();
    const rung = Array.from({ length: 20 }, (_, i) => allowed(event('local/a', i % 2 ? 'done' : 'waiting', 'Allow?'), NOW + i * 1000)).filter(Boolean);
    expect(rung).toHaveLength(2);
    // After the gap, a new question rings again; the same one does not until the repeat window passed.
    expect(allowed(event('local/a', 'waiting', 'Allow?'), NOW + DEFAULT_LIMITS.jobGapMs + 40_000)).toBe(false);
    expect(allowed(event('local/a', 'waiting', 'Which branch?'), NOW + DEFAULT_LIMITS.jobGapMs + 40_000)).toBe(true);
  });

  it('announces a job answered quickly both when it waits and when it finishes its turn', () => {
    const allowed = createNotifyLimiter();
    expect(allowed(event('local/a', 'waiting', 'Allow Bash(npm test)?'), NOW)).toBe(true);
    expect(allowed(event('local/a', 'done', 'finished its turn'), NOW + 5000)).toBe(true);
    // Back to waiting on the same question within the gap: that is the flapping the limits hold back.
    expect(allowed(event('local/a', 'waiting', 'Which branch?'), NOW + 10_000)).toBe(false);
  });

  it('caps a burst over the fleet', () => {
    const allowed = createNotifyLimiter();
    const rung = Array.from({ length: 12 }, (_, i) => allowed(event(`local/j${i}`, 'done'), NOW)).filter(Boolean);
    expect(rung).toHaveLength(DEFAULT_LIMITS.burst);
    expect(allowed(event('local/late', 'done'), NOW + DEFAULT_LIMITS.windowMs)).toBe(true);
  });
});

describe('the terminal writer', () => {
  const hostile = 'Allow\x1b]52;c;cGF5bG9hZA==\x07 rm\x9c -rf;\x1b\\ now?\u202e\r\nnext';

  it('strips every control from the text it puts in an escape sequence, and the 777 field separator', () => {
    expect(oscText(hostile)).toBe('Allow]52;c;cGF5bG9hZA== rm -rf;\\ now? next');
    expect(oscText(hostile, { fieldSeparator: true })).toBe('Allow]52,c,cGF5bG9hZA== rm -rf,\\ now? next');
    expect([...oscText('x'.repeat(500))]).toHaveLength(200);
  });

  it('writes OSC 9, OSC 777 and the bell, each as switched, with one ESC per sequence start', () => {
    const text = terminalNotification({ title: 'mission-control: local/a needs you', body: hostile, bell: true, desktop: true, tmux: false });
    expect(text).toBe(
      '\x1b]9;mission-control: local/a needs you: Allow]52,c,cGF5bG9hZA== rm -rf,\\ now? next\x07' +
        '\x1b]777;notify;mission-control: local/a needs you;Allow]52,c,cGF5bG9hZA== rm -rf,\\ now? next\x07' +
        '\x07',
    );
    expect(terminalNotification({ title: 't', body: 'b', bell: true, desktop: false, tmux: false })).toBe('\x07');
    expect(terminalNotification({ title: 't', body: 'b', bell: false, desktop: false, tmux: true })).toBe('');
    expect(terminalNotification({ title: '4;1', body: 'b', bell: false, desktop: true, tmux: false }).startsWith('\x1b]9;4,1: b\x07')).toBe(true);
  });

  it("wraps the OSC sequences in tmux's passthrough inside tmux, inner ESCs doubled", () => {
    const text = terminalNotification({ title: 'T', body: 'B', bell: true, desktop: true, tmux: true });
    expect(text).toBe('\x1bPtmux;\x1b\x1b]9;T: B\x07\x1b\\' + '\x1bPtmux;\x1b\x1b]777;notify;T;B\x07\x1b\\' + '\x07');
  });
});

describe('the notifier', () => {
  it('rings and raises a desktop notification through the terminal on a transition, never on the first scan', () => {
    const written: string[] = [];
    const notifier = createNotifier({ settings: { bell: true, desktop: false, command: [] }, write: (t) => written.push(t), now: () => NOW });
    notifier.observe(scan({ a: 'waiting' }));
    expect(written).toEqual([]);
    notifier.observe(scan({ a: 'waiting', b: 'waiting' }, NOW + 1));
    expect(written).toEqual(['\x07']);
  });
});

describe('the notify lock', () => {
  it('lives in the XDG state directory', () => {
    expect(defaultNotifyLockPath({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' })).toBe('/x/state/mission-control/notify.lock');
    expect(defaultNotifyLockPath({ HOME: '/home/u' })).toBe('/home/u/.local/state/mission-control/notify.lock');
  });

  it('is held by one process at a time, and taken over from a process that died', async () => {
    const path = join(scratch(), 'state', 'mission-control', 'notify.lock');
    const mine = createNotifyLock(path);
    expect(mine.acquire()).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    // Another live process (our parent) holding it: not ours to take.
    mine.release();
    writeFileSync(path, `${process.ppid}\n`);
    expect(createNotifyLock(path).acquire()).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(`${process.ppid}\n`);
    // A process that has ended leaves a stale lock: taken over.
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    await new Promise((resolve) => child.on('close', resolve));
    writeFileSync(path, `${deadPid}\n`);
    const next = createNotifyLock(path);
    expect(next.acquire()).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    next.release();
    expect(existsSync(path)).toBe(false);
  });
});

describe('notify: in the config', () => {
  it('is checked, with errors that say what is expected', () => {
    const good = parseConfig('notify:\n  bell: false\n  command: [notify-send, mission-control]\n', 'c.yaml');
    expect(good.ok && good.config.notify).toEqual({ bell: false, desktop: true, command: ['notify-send', 'mission-control'] });
    const bad = parseConfig('notify:\n  bel: false\n  command: notify-send\n', 'c.yaml');
    expect(bad.ok ? [] : bad.errors.map(formatConfigError)).toEqual([
      expect.stringMatching(/^c\.yaml:2:3: notify\.bel: .*bell/),
      expect.stringMatching(/^c\.yaml:3:12: notify\.command: expected a program and its arguments as a list of strings.*got "notify-send"$/),
    ]);
  });
});
