/**
 * `notify.command` as a real program: a node script that appends what it reads on stdin to a file, so each run
 * leaves exactly one line.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetState } from '../../src/state/store.js';
import type { Job, JobState } from '../../src/state/types.js';
import { createNotifyLock } from '../../src/notify/lock.js';
import { createNotifier } from '../../src/notify/notifier.js';
import { fleetState, job, NOW, worker } from '../ui/fixtures.js';

const dirs: string[] = [];
const children: { kill(): boolean }[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'mc-notify-cmd-'));
  dirs.push(dir);
  const out = join(dir, 'events.jsonl');
  const script = join(dir, 'receive.cjs');
  writeFileSync(script, `const fs = require('fs'); let s = ''; process.stdin.on('data', (d) => (s += d)); process.stdin.on('end', () => fs.appendFileSync(${JSON.stringify(out)}, JSON.stringify(s) + '\\n'));`);
  return { dir, out, command: [process.execPath, script], lockPath: join(dir, 'state', 'mission-control', 'notify.lock') };
}

function scan(states: Record<string, JobState>, at: number, reasons: Record<string, string> = {}): FleetState {
  const jobs: Job[] = Object.entries(states).map(([id, state]) => job(id, { state, reason: reasons[id] ?? '', since: at }));
  return fleetState([worker('local', { lastRefresh: at })], jobs);
}

const received = (out: string): unknown[] => {
  let text = '';
  try {
    text = readFileSync(out, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
};

describe('notify.command', () => {
  it('gets exactly one JSON event per transition on its stdin, none for the first scan', async () => {
    const { out, command, lockPath } = setup();
    const written: string[] = [];
    const notifier = createNotifier({
      settings: { bell: false, desktop: true, command },
      write: (text) => written.push(text),
      lock: createNotifyLock(lockPath),
      now: () => NOW,
    });
    notifier.observe(scan({ a: 'waiting', b: 'working' }, NOW, { a: 'old question' }));
    notifier.observe(scan({ a: 'waiting', b: 'waiting' }, NOW + 2000, { a: 'old question', b: 'Allow Bash(npm test)?\x1b]52;c;eA==\x07\x85' }));
    notifier.observe(scan({ a: 'waiting', b: 'waiting' }, NOW + 4000, { a: 'old question', b: 'Allow Bash(npm test)?\x1b]52;c;eA==\x07\x85' }));
    notifier.observe(scan({ a: 'failed', b: 'waiting', c: 'done' }, NOW + 6000, { b: 'Allow Bash(npm test)?\x1b]52;c;eA==\x07\x85', c: 'turn over' }));
    await notifier.stop();
    expect(received(out)).toEqual([
      `{"worker":"local","job":"local/b","state":"waiting","reason":"Allow Bash(npm test)?\\u001b]52;c;eA==\\u0007\\u0085","since":"${new Date(NOW + 2000).toISOString()}"}\n`,
      `{"worker":"local","job":"local/a","state":"failed","reason":"","since":"${new Date(NOW + 6000).toISOString()}"}\n`,
      `{"worker":"local","job":"local/c","state":"done","reason":"turn over","since":"${new Date(NOW + 6000).toISOString()}"}\n`,
    ]);
    expect(written).toHaveLength(3);
    // The lock is let go when the notifier stops.
    expect(() => readFileSync(lockPath)).toThrow(/ENOENT/);
  });

  it('is left to the process holding the lock, while the terminal still rings here', async () => {
    const { out, command, lockPath } = setup();
    // Another mission-control (a live process) holds the lock.
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(other);
    const lock = createNotifyLock(lockPath);
    mkdirSync(dirname(lockPath), { recursive: true });
    writeFileSync(lockPath, `${other.pid}\n`);
    const written: string[] = [];
    const notifier = createNotifier({ settings: { bell: true, desktop: false, command }, write: (text) => written.push(text), lock, now: () => NOW });
    notifier.observe(scan({ a: 'working' }, NOW));
    notifier.observe(scan({ a: 'waiting' }, NOW + 2000, { a: 'y/n?' }));
    await notifier.stop();
    expect(written).toEqual(['\x07']);
    expect(received(out)).toEqual([]);
    expect(readFileSync(lockPath, 'utf8')).toBe(`${other.pid}\n`);
  });
});
