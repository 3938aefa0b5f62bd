/**
 * `mission-control send` against a real tmux server: a program in a session asks a question and records the line
 * it reads, so what reached the pane is checked byte for byte.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { createFleetCommands } from '../../src/app/fleet-commands.js';
import { createObserveCommands } from '../../src/app/observe-commands.js';
import { runSend } from '../../src/cli/send.js';
import type { WorkerConfig } from '../../src/config/schema.js';
import { resolveJobSettings } from '../../src/jobs/kinds.js';
import { refreshStale } from '../../src/jobs/placement.js';
import { readOnlyView } from '../../src/providers/read-only.js';
import { ReadOnlyError, type WorkerProvider } from '../../src/providers/types.js';
import { tmuxArgv } from '../../src/providers/tmux.js';
import { targetOf } from '../../src/state/job-target.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { waitFor } from '../support/ssh-fleet.js';
import { captureIo } from '../support/cli-io.js';

const exec = promisify(execFile);

let dir: string;
let socket: string;
let fleet: Fleet<WorkerProvider>;

const io = captureIo;

/** Starts a session (by hand, as a user would) whose program asks, reads one line, and writes it to `<name>.out`. */
async function agent(name: string): Promise<string> {
  const out = join(dir, `${name}.out`);
  const script = `printf 'Allow Bash(npm test)? '; IFS= read -r answer; printf '%s' "$answer" > '${out}'; echo; echo done; sleep 600`;
  await exec('tmux', ['-S', socket, 'new-session', '-d', '-s', name, '-x', '100', '-y', '20', 'sh', '-c', script]);
  return out;
}

const answerOf = (path: string) => readFile(path, 'utf8').catch(() => undefined);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-send-'));
  socket = join(dir, 'sock');
  const worker = {
    name: 'local',
    provider: 'local',
    tmuxSocket: socket,
    maxJobs: 4,
    pollIntervalMs: 1000,
    stateDir: join(dir, 'state'),
    sessionPrefix: 'mc',
    hostKeyPolicy: 'strict',
  } as WorkerConfig;
  fleet = createFleet({ workers: [worker], hostKeyPolicy: 'strict', source: undefined, jobs: resolveJobSettings() });
});

afterAll(async () => {
  await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
  await fleet.close();
  await rm(dir, { recursive: true, force: true });
});

describe('send', () => {
  it('types the text literally into the pane, then Enter', async () => {
    const out = await agent('lit');
    const cli = io();
    const text = `-l C-c Enter $(touch ${dir}/pwned) ; 'q' "x" \\n #{session_name} ünï`;
    expect(await runSend(fleet, ['lit', '--', text], cli)).toBe(0);
    expect(cli.err()).toBe('');
    expect(cli.out()).toMatch(/^sent to local\/\$\d+ \(session lit\)\n$/);
    await waitFor('the answer', async () => (await answerOf(out)) !== undefined, 10_000);
    expect(await answerOf(out)).toBe(text);
    await expect(readFile(join(dir, 'pwned'))).rejects.toThrow(/ENOENT/);
  });

  it('types text and keys that end in ; as they are (tmux reads a final ; as the end of a command)', async () => {
    const out = await agent('semi');
    for (const text of ['a;', ';', 'b\\;', 'c\\']) expect(await runSend(fleet, ['semi', '--no-enter', '--', text], io())).toBe(0);
    expect(await runSend(fleet, ['semi', '--keys', ';', 'Enter'], io())).toBe(0);
    await waitFor('the answer', async () => (await answerOf(out)) !== undefined, 10_000);
    expect(await answerOf(out)).toBe('a;;b\\;c\\;');
  });

  it('leaves the line unsent with --no-enter, and sends named keys with --keys', async () => {
    const out = await agent('keys');
    expect(await runSend(fleet, ['keys', '--no-enter', 'yes', 'please'], io())).toBe(0);
    expect(await runSend(fleet, ['keys', '--keys', 'BSpace', 'BSpace', 'Enter'], io())).toBe(0);
    await waitFor('the answer', async () => (await answerOf(out)) !== undefined, 10_000);
    expect(await answerOf(out)).toBe('yes plea');
  });

  it('refuses what it cannot send, before touching the pane, with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['lit'], /give the TEXT to send/],
      [['lit', 'a\nb'], /control character .*--keys Enter/],
      [['lit', '--keys', 'Enter;', 'x'], /"Enter;" is not a tmux key name/],
      [['lit', '--keys', '--no-enter', 'Enter'], /--no-enter does not apply to --keys/],
      [['nosuch', 'x'], /no job matches "nosuch"/],
    ];
    for (const [args, message] of cases) {
      const cli = io();
      expect(await runSend(fleet, args, cli)).toBe(2);
      expect(cli.err()).toMatch(message);
    }
  });

  it('goes through the command layer for the dashboard, and a read-only provider refuses it', async () => {
    const out = await agent('dash');
    await refreshStale(fleet, 0);
    const job = selectAllJobs(fleet.store.getState()).find((j) => j.session?.name === 'dash');
    expect(job).toBeDefined();
    const commands = createFleetCommands(fleet, createObserveCommands(fleet));
    await commands.sendToJob(targetOf(job!), { text: 'from the dashboard', keys: ['Enter'] });
    await waitFor('the answer', async () => (await answerOf(out)) !== undefined, 10_000);
    expect(await answerOf(out)).toBe('from the dashboard');
    // Below the UI: the read-only view has no exec, and its observe refuses a command that is not an observation.
    const readOnly = readOnlyView(fleet.provider('local')!);
    expect('exec' in readOnly).toBe(false);
    const sendKeys = { argv: tmuxArgv(readOnly.tmux, ['send-keys', '-t', job!.paneId!, '-l', '--', 'x']) };
    await expect(readOnly.observe(sendKeys as never)).rejects.toThrow(ReadOnlyError);
  });

  it('says so when the session the user chose was replaced by another of the same name', async () => {
    await agent('swap');
    await refreshStale(fleet, 0);
    const job = selectAllJobs(fleet.store.getState()).find((j) => j.session?.name === 'swap')!;
    await exec('tmux', ['-S', socket, 'kill-session', '-t', job.session!.id]);
    const out = await agent('swap');
    const commands = createFleetCommands(fleet, createObserveCommands(fleet));
    await expect(commands.sendToJob(targetOf(job), { text: 'x', keys: ['Enter'] })).rejects.toThrow(/send failed on local: session \$\d+ \(swap\) is gone, and \$\d+ now has its name: left alone/);
    expect(await answerOf(out)).toBeUndefined();
  });
});
