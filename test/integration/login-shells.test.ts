import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObserveCommands } from '../../src/app/observe-commands.js';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import type { FleetConfig } from '../../src/config/schema.js';
import { createJobActions } from '../../src/jobs/actions.js';
import { runLogs, type CliIo } from '../../src/jobs/cli.js';
import { kindsSchema, resolveJobSettings, type JobSettings } from '../../src/jobs/kinds.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { shellJoin } from '../../src/ssh/quote.js';
import { run } from '../harness/process.js';
import { makeRemote } from '../support/git-remote.js';
import { startTestFleet, waitFor, type TestFleet } from '../support/ssh-fleet.js';

/** A synced file with every byte that quoting gets wrong: quotes, backslash, `%`, a leading `-`, NUL, no final newline. */
const AWKWARD = Buffer.concat([Buffer.from("-n it's a \\back%slash\n$(touch pwned) `x` !! \r\n"), Buffer.from([0, 0xff, 0x80]), Buffer.from('end')]);

// Each shell reads the commands mission-control sends in its own way: fish takes `\'` as a quote inside single
// quotes, csh and tcsh refuse a newline inside quotes, zsh expands `=word`. Every operation must work for all.
describe.each(['/usr/bin/fish', '/usr/bin/tcsh', '/usr/bin/zsh'])('a worker whose login shell is %s (real sshd, tmux, git)', (shell) => {
  let world: TestFleet;
  let config: FleetConfig;
  let settings: JobSettings;
  let home: string;
  let terminal: string;
  // Every fleet made here is closed after the tests.
  const fleets: Fleet<WorkerProvider>[] = [];
  const fleet = () => fleets[fleets.push(createFleet(config)) - 1]!;
  const jobLog = (id: string) => readFile(join(home, '.mission-control', 'jobs', id, 'output.log'), 'utf8').catch(() => '');
  const jobExited = (id: string) => existsSync(join(home, '.mission-control', 'jobs', id, 'exit'));

  beforeAll(async () => {
    world = await startTestFleet(['w'], { loginShell: shell });
    const worker = world.workers[0]!;
    home = worker.sshd.home;
    expect((await run('getent', ['passwd', worker.sshd.user])).stdout.trim().endsWith(`:${shell}`)).toBe(true);
    // The origin lives in the user's home, owned by the user (git refuses repositories of other users).
    const remote = await makeRemote(home, []);
    await run('chown', ['-R', `${worker.sshd.user}:`, remote]);
    const awkward = join(world.dir, 'awkward.bin');
    await writeFile(awkward, AWKWARD);

    const loaded = await loadConfig(await world.writeConfig());
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    config = { ...loaded.config, workers: loaded.config.workers.map((w) => ({ ...w, stateDir: '~/.mission-control' })) };
    settings = resolveJobSettings({
      kinds: kindsSchema.parse({
        show: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', `echo "it's job $1 in $PWD"`, 'job', '{n}'], worktree: { fetch: 'main' } },
        sleepy: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'echo started-$1; exec sleep 60', 'job', '{n}'], worktree: { fetch: 'main' } },
      }),
      repo: { url: remote, sync: [{ from: awkward, to: "~/.agent/it's settings" }] },
    });
    terminal = join(world.dir, 'terminal.sock');
  }, 60_000);

  afterAll(async () => {
    await run('tmux', ['-S', terminal, 'kill-server'], { allowFailure: true });
    await Promise.all(fleets.map((f) => f.close()));
    await world?.stop();
  });

  it('sets the worker up: directories, clone, a synced file byte for byte (0600); again: nothing changes', async () => {
    const actions = createJobActions(fleet(), settings);
    const first = await actions.setup('w');
    expect(first.changed).toEqual(expect.arrayContaining([expect.stringMatching(/^cloned .*\/dev\/main$/), expect.stringContaining('settings copied')]));
    const synced = join(home, '.agent', "it's settings");
    expect(await readFile(synced)).toEqual(AWKWARD);
    expect((await stat(synced)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(home, 'pwned'))).toBe(false);
    expect((await actions.setup('w')).changed).toEqual([]);
  });

  it('launches a job in a worktree, scans it as exited, and reads its log', async () => {
    const f = fleet();
    const launched = await createJobActions(f, settings).launch({ kind: 'show', params: { n: '7' } });
    expect(launched).toMatchObject({ worker: 'w', created: true, worktree: join(home, 'dev', 'worktrees', '7-show') });
    await waitFor('the exit code', () => jobExited('7-show'));
    await f.refreshAll();
    expect(selectAllJobs(f.store.getState()).find((j) => j.id === '7-show')).toMatchObject({ state: 'exited', exitCode: 0 });
    let out = '';
    const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true }, confirm: async () => false };
    expect(await runLogs(f, ['7-show'], io, settings)).toBe(0);
    expect(out).toContain(`it's job 7 in ${join(home, 'dev', 'worktrees', '7-show')}`);
  });

  it("attaches with the user's own ssh (the login shell parses the remote command), then stops and removes the job", async () => {
    const f = fleet();
    const actions = createJobActions(f, settings);
    await actions.launch({ kind: 'sleepy', params: { n: '3' } });
    await waitFor('the job to start', async () => (await jobLog('3-sleepy')).includes('started-3'));
    await f.refreshAll();
    const command = createObserveCommands(f).attachCommand('w/3-sleepy');
    expect(command.argv[0]).toBe('ssh');
    // A real terminal for the attach: a pane of a private tmux server here, running the exact argv.
    const attach = shellJoin(['env', 'TERM=xterm', ...command.argv]);
    await run('tmux', ['-S', terminal, 'start-server', ';', 'set-option', '-g', 'remain-on-exit', 'on', ';', 'new-session', '-d', '-x', '100', '-y', '30', attach]);
    const screen = async () => (await run('tmux', ['-S', terminal, 'capture-pane', '-p'], { allowFailure: true })).stdout;
    await waitFor('the job on the attached screen', async () => (await screen()).includes('started-3'), 20_000).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}; the terminal shows:\n${await screen()}`);
    });
    const clients = await world.workers[0]!.tmux(['list-clients', '-F', '#{session_name}']);
    expect(clients.stdout.split('\n')).toContain('mc-3-sleepy');
    await run('tmux', ['-S', terminal, 'kill-server'], { allowFailure: true });

    expect(await actions.stop('w/3-sleepy', { graceMs: 3000 })).toBe('interrupted');
    const removed = await actions.remove('w/3-sleepy');
    expect(removed).toMatchObject({ worktreeRemoved: join(home, 'dev', 'worktrees', '3-sleepy') });
    expect(existsSync(join(home, 'dev', 'worktrees', '3-sleepy'))).toBe(false);
    expect(existsSync(join(home, '.mission-control', 'jobs', '3-sleepy'))).toBe(false);
  });

  it('kills a command that runs past its time limit on the worker, with what it started', async () => {
    const provider = fleet().provider('w')!;
    const pidFile = join(home, 'slow.pid');
    const slow = provider.exec({ argv: ['sh', '-c', `sleep 300 & echo $! > ${pidFile}; wait`] }, { target: 'host', timeoutMs: 2000 });
    await expect(slow).rejects.toThrow(/did not finish within 2000 ms/);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
    await waitFor('the slow command to be killed', () => !existsSync(`/proc/${pid}`), 15_000);
  });
});
