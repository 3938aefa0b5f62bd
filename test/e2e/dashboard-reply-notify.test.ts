/**
 * The real binary in a tmux pane: a job with a record asks a question; `i` in the dashboard answers it without
 * attaching; the job then fails, and `notify.command` (a real program) receives exactly one event for that
 * transition, none for the job that had already failed before the dashboard started, and one only although a
 * `watch` wallboard beside it saw the same transition; both terminals' bells ring.
 * `send` on the command line answers another job the same way.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, LocalWorld, TuiDriver } from './tui-driver.js';

let world: LocalWorld;
let tui: TuiDriver;
let wallboard: TuiDriver;
let events: string;

/** A job record as the job wrapper writes it, for the session `mc-<id>`. */
function record(id: string, exitCode?: number): string {
  const dir = join(world.stateDir, 'jobs', id);
  mkdirSync(dir, { recursive: true });
  const meta = { id, kind: 'review', params: { pr: '1' }, command: ['agent'], session: `mc-${id}`, createdAt: new Date().toISOString() };
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta)}\n`);
  if (exitCode !== undefined) writeFileSync(join(dir, 'exit'), `${exitCode}\n`);
  return dir;
}

/** A program that asks, records the line it reads, then ends with exit code 3 (recorded as its wrapper would). */
function asker(id: string): string {
  const dir = record(id);
  const answer = join(dir, 'answer');
  world.startJob(id, `printf 'Allow Bash(npm test)? '; IFS= read -r a; printf '%s' "$a" > '${answer}'; echo 3 > '${join(dir, 'exit')}'; exit 3`);
  return answer;
}

const readText = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

beforeAll(async () => {
  assertBuilt();
  world = LocalWorld.create();
  events = join(world.dir, 'events.jsonl');
  const receiver = join(world.dir, 'receive.cjs');
  writeFileSync(receiver, `let s = ''; process.stdin.on('data', (d) => (s += d)); process.stdin.on('end', () => require('fs').appendFileSync(${JSON.stringify(events)}, s));`);
  appendFileSync(world.configPath, ['notify:', '  bell: true', '  desktop: true', `  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(receiver)}]`, ''].join('\n'));
  record('old', 1);
  asker('ask');
  // A dashboard and a watch wallboard side by side, sharing the state directory (and so the notify lock).
  const env = { XDG_STATE_HOME: join(world.dir, 'xdg-state') };
  tui = await TuiDriver.start({ argv: world.argv(), env });
  wallboard = await TuiDriver.start({ argv: world.argv('watch'), env });
  await tui.waitFor('─ Jobs 2 ─', { what: 'the two jobs' });
  await wallboard.waitFor('Jobs 2', { what: 'the two jobs on the wallboard' });
});

afterAll(async () => {
  await tui?.stop();
  await wallboard?.stop();
  world?.close();
});

describe('replies and notifications, on the binary', () => {
  it('answers a job with i, without attaching, and announces its failure once through notify.command', async () => {
    await tui.waitFor((s) => s.includes('failed (exit 1)') && s.includes('Allow Bash(npm test)?'), { what: 'the old failure and the question' });
    // The job `ask` is first (fleet order follows the record ids): select it and reply.
    await tui.send('/');
    await tui.type('ask');
    await tui.send('Enter');
    await tui.waitFor('─ Jobs 1 of 2 ─ filter: ask ─');
    await tui.send('i');
    await tui.waitFor('reply to local/ask ›');
    await tui.type('yes; go $(ahead)');
    await tui.send('Enter');
    await tui.waitFor('sent to local/ask');
    const answer = join(world.stateDir, 'jobs', 'ask', 'answer');
    await tui.waitUntil(() => readText(answer) !== undefined, 'the job to read the reply');
    expect(readText(answer)).toBe('yes; go $(ahead)');
    await tui.waitFor('failed (exit 3)');
    await wallboard.waitFor('failed (exit 3)');
    await tui.waitUntil(() => (readText(events) ?? '').length > 0, 'the notify command to run');
    // Both saw the failure; more scans follow: still one event, from whichever holds the lock.
    await tui.send('r');
    await tui.waitFor('refreshing every worker');
    const lines = (readText(events) ?? '').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ worker: 'local', job: 'local/ask', state: 'failed', reason: 'exit code recorded by the job wrapper: exit 3' });
    // Each rang its own terminal's bell: notifications are not mutations, the wallboard has them too.
    for (const pane of [tui, wallboard]) expect((await pane.tmux('display-message', '-p', '-t', 'tui', '#{window_bell_flag}')).trim()).toBe('1');
    // The lock is held while they run.
    expect(readText(join(world.dir, 'xdg-state', 'mission-control', 'notify.lock'))).toMatch(/^\d+\n$/);
  });

  it('answers a job from the command line with send', async () => {
    const answer = asker('cli');
    await tui.waitFor('Jobs 1 of 3');
    execFileSync(world.argv()[0]!, [...world.argv('send', 'cli', 'approve', 'it').slice(1)], { encoding: 'utf8' });
    await tui.waitUntil(() => readText(answer) !== undefined, 'the job to read what send typed', 15_000);
    expect(readText(answer)).toBe('approve it');
  });
});
