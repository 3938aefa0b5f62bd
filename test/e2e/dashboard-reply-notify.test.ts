/**
 * The real binary in a tmux pane: a job with a record asks a question; `i` in the dashboard answers it without
 * attaching; the job then fails, and `notify.command` (a real program) receives exactly one event for that
 * transition, none for the job that had already failed before the dashboard started, and one only although a
 * `watch` wallboard beside it saw the same transition; both terminals' bells ring.
 * `send` on the command line answers another job the same way.
 *
 * Then an agent on an SSH worker (a private sshd, the fake Claude Code launched by `mission-control launch` with
 * its hooks wired): it waits for a permission → the header's "1 needs you" and the attention view show it with the
 * reason; `i` answers → working → done; `send` starts its next turn and answers again; `notify.command` receives
 * exactly one event for each transition to waiting and to done.
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFakeAgents } from '../support/fake-agents.js';
import { startTestFleet, type TestFleet } from '../support/ssh-fleet.js';
import { assertBuilt, BIN, LocalWorld, TuiDriver } from './tui-driver.js';

const runFile = promisify(execFile);

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

/**
 * A `notify.command` program that appends each event it reads to `dir/events.jsonl`: returns that path and the
 * config lines that name the program.
 */
function notifyReceiver(dir: string): { readonly events: string; readonly config: string[] } {
  const path = join(dir, 'events.jsonl');
  const receiver = join(dir, 'receive.cjs');
  writeFileSync(receiver, `let s = ''; process.stdin.on('data', (d) => (s += d)); process.stdin.on('end', () => require('fs').appendFileSync(${JSON.stringify(path)}, s));`);
  return { events: path, config: [`  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(receiver)}]`] };
}

/** The events `notify.command` received so far, parsed. */
const received = (path: string): Record<string, unknown>[] =>
  (readText(path) ?? '').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('replies and notifications, on the binary', () => {
  beforeAll(async () => {
    assertBuilt();
    world = LocalWorld.create();
    const receiver = notifyReceiver(world.dir);
    events = receiver.events;
    appendFileSync(world.configPath, ['notify:', '  bell: true', '  desktop: true', ...receiver.config, ''].join('\n'));
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
    await tui.waitUntil(() => received(events).some((event) => event.state === 'failed'), 'the notify command to run for the failure');
    // Both saw the failure; more scans follow: still one event, from whichever holds the lock.
    await tui.send('r');
    await tui.waitFor('refreshing every worker');
    // The failure is announced once. A scan that saw the job before its question was on screen may also have
    // announced the question (running → waiting): that too exactly once, never from both processes.
    const all = received(events);
    const failures = all.filter((event) => event.state === 'failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ worker: 'local', job: 'local/ask', state: 'failed', reason: 'exit code recorded by the job wrapper: exit 3' });
    expect(all.filter((event) => event.state !== 'failed').map((event) => [event.job, event.state])).toEqual(all.length === 1 ? [] : [['local/ask', 'waiting']]);
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

describe('an agent on an SSH worker: waiting, answered, working, done, on the binary', () => {
  let fleet: TestFleet;
  let agentTui: TuiDriver;
  let agentEvents: string;
  let configPath: string;
  /** The fake agent keeps working after its tool ran until this file exists. */
  let toolGate: string;
  const REASON = 'Claude needs your permission to use Bash';
  const mc = (...args: string[]) => runFile(process.execPath, [BIN, ...args, '--config', configPath], { encoding: 'utf8' });

  beforeAll(async () => {
    assertBuilt();
    fleet = await startTestFleet(['north']);
    const bin = await installFakeAgents(fleet.dir);
    toolGate = join(fleet.dir, 'tool-gate');
    // The worker is this machine: the kind's command names the fake agent by its absolute path, through a program
    // that gives it the gate (the preset puts its hook flags right after the program, so "$@" carries them).
    const agent = join(fleet.dir, 'gated-claude');
    writeFileSync(agent, `#!/bin/sh\nFAKE_AGENT_TOOL_GATE='${toolGate}' exec '${join(bin, 'claude')}' "$@"\n`, { mode: 0o755 });
    configPath = await fleet.writeConfig({ pollInterval: '1s' });
    const receiver = notifyReceiver(fleet.dir);
    agentEvents = receiver.events;
    appendFileSync(
      configPath,
      [
        'kinds:',
        '  ask:',
        "    params: { n: { pattern: '^[0-9]+$' } }",
        `    command: [${JSON.stringify(agent)}, 'Fix issue #{n}']`,
        '    agent: claude',
        '    worktree: false',
        'notify:',
        '  bell: false',
        '  desktop: false',
        ...receiver.config,
        '',
      ].join('\n'),
    );
    agentTui = await TuiDriver.start({ argv: [process.execPath, BIN, '--config', configPath], env: { XDG_STATE_HOME: join(fleet.dir, 'xdg-state') } });
    // The first scan is in: what it finds is never announced, so the job starts after it.
    await agentTui.waitFor(/workers 1 up/, { what: 'the worker up', timeoutMs: 20_000 });
    await mc('launch', '--worker', 'north', 'ask', '7');
  });

  afterAll(async () => {
    await agentTui?.stop();
    await fleet?.stop();
  });

  it('shows the waiting job in the header and the attention view, then follows i and send through working to done', async () => {
    const waiting = await agentTui.waitFor((s) => s.includes('1 needs you') && s.includes('? waiting'), { what: 'the job waiting', timeoutMs: 30_000 });
    expect(waiting).toMatch(/^mission-control {2}1 needs you {2}workers 1 up/m);
    expect(waiting).toContain(REASON);
    await agentTui.send('a');
    const attention = await agentTui.waitFor('needing attention', { what: 'the attention view' });
    expect(attention).toMatch(/!7-ask +north +ask +\? waiting .*Claude needs your permission/);

    // The first answer, from the dashboard: the agent runs its tool (working) and, once the gate opens, ends its turn.
    await agentTui.send('i');
    await agentTui.waitFor('reply to north/7-ask ›');
    await agentTui.type('yes');
    await agentTui.send('Enter');
    await agentTui.waitFor('sent to north/7-ask');
    await agentTui.send('a');
    const working = await agentTui.waitFor((s) => s.includes('● working') && !/needs? you/.test(s), { what: 'the job working', timeoutMs: 30_000 });
    expect(working).toMatch(/7-ask +north +ask +● working/);
    writeFileSync(toolGate, '');
    await agentTui.waitFor('✓ done', { what: 'the job done with its turn', timeoutMs: 30_000 });
    await agentTui.waitUntil(() => received(agentEvents).length === 2, 'two events: waiting, then done', 15_000).catch((error: Error) => {
      throw new Error(`${error.message}\nreceived: ${readText(agentEvents) ?? '(nothing)'}`);
    });
    // More scans find nothing new: still exactly one event per transition.
    await agentTui.send('r');
    await agentTui.waitFor('refreshing every worker');
    const events = received(agentEvents);
    expect(events.map((e) => e['state'])).toEqual(['waiting', 'done']);
    expect(events[0]).toMatchObject({ worker: 'north', job: 'north/7-ask', state: 'waiting', reason: REASON });
    expect(events[1]).toMatchObject({ worker: 'north', job: 'north/7-ask', state: 'done' });

    // The next turn, from the command line: a new prompt (the agent asks the same question again), then the answer.
    rmSync(toolGate);
    await mc('send', '7-ask', 'now run the tests');
    await agentTui.waitFor('1 needs you', { what: 'the job waiting again', timeoutMs: 30_000 });
    await mc('send', '7-ask', 'yes');
    await agentTui.waitFor((s) => s.includes('● working') && !/needs? you/.test(s), { what: 'the job working again', timeoutMs: 30_000 });
    writeFileSync(toolGate, '');
    await agentTui.waitFor('✓ done', { what: 'the job done again', timeoutMs: 30_000 });
    await agentTui.send('r');
    await agentTui.waitFor('refreshing every worker');
    // The same job, state and reason within ten minutes is not announced again (docs/notifications.md, "Few").
    expect(received(agentEvents)).toEqual(events);
  });
});
