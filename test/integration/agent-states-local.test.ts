import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { createJobActions, type JobActions } from '../../src/jobs/actions.js';
import { kindsSchema, resolveJobSettings } from '../../src/jobs/kinds.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import type { Job } from '../../src/state/types.js';
import { jobReaches, localAgentWorker, startAgentBench, type AgentBench } from '../support/fake-agents.js';
import { waitFor } from '../support/ssh-fleet.js';

const exec = promisify(execFile);

let dir: string;
let socket: string;
let fleet: Fleet;
let actions: JobActions;
let bench: AgentBench | undefined;

const reaches = (id: string, state: Job['state']): Promise<Job> => jobReaches(fleet, socket, id, state);

async function paneShows(job: Job, text: string): Promise<void> {
  await waitFor(`${job.id}'s pane to show ${text}`, async () => (await exec('tmux', ['-S', socket, 'capture-pane', '-p', '-t', job.paneId!])).stdout.includes(text), 30_000);
}

/** Types a reply into the job's pane, as a person (or `send`) does: the text, then Enter. */
async function reply(job: Job, text: string, keys: readonly string[] = ['Enter']): Promise<void> {
  if (text !== '') await exec('tmux', ['-S', socket, 'send-keys', '-t', job.paneId!, '-l', text]);
  await exec('tmux', ['-S', socket, 'send-keys', '-t', job.paneId!, ...keys]);
}

beforeAll(async () => {
  bench = await startAgentBench('mc-agents-', (at) => {
    const kinds = kindsSchema.parse({
      ask: { params: { n: { pattern: '^[0-9]+$' } }, prompt: 'task {n}', agent: 'claude' },
      gem: { params: { n: { pattern: '^[0-9]+$' } }, prompt: 'task {n}', agent: 'gemini' },
      cod: { params: { n: { pattern: '^[0-9]+$' } }, prompt: 'task {n}', agent: 'codex' },
      prompted: {
        params: { n: { pattern: '^[0-9]+$' } },
        command: ['sh', '-c', 'echo working; printf "Overwrite the file? [y/N] "; read a; i=0; while [ $i -lt 12 ]; do i=$((i+1)); echo "writing $i"; done; exec sleep 60'],
        waitingPatterns: ['\\[y/N\\]'],
      },
      reader: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'echo "name?"; read a; echo "hello $a"; exec sleep 60'] },
      script: {
        params: { n: { pattern: '^[0-9]+$' } },
        command: ['sh', '-c', '"$MISSION_CONTROL_STATE" waiting "Pick a colour"; echo "colour?"; read c; "$MISSION_CONTROL_STATE" working; echo "painting $c"; "$MISSION_CONTROL_STATE" done; exec sleep 60'],
      },
    });
    return resolveJobSettings({ kinds, repo: { mainDir: join(at, 'main'), worktreesDir: join(at, 'worktrees') } });
  });
  ({ dir, socket, fleet, actions } = bench);
});

afterAll(() => bench?.close());

describe('agent states reported by the agents\' own hooks (fake agents, real tmux)', () => {
  it('claude: waiting with the reason → approve with Enter → done → a new prompt works and finishes; no hook output', async () => {
    await actions.launch({ kind: 'ask', params: { n: '1' } });
    const waiting = await reaches('1-ask', 'waiting');
    expect(waiting).toMatchObject({ agent: 'claude', reason: 'Claude needs your permission to use Bash' });
    await paneShows(waiting, 'Allow Bash(npm test)?');
    await reply(waiting, '');
    const done = await reaches('1-ask', 'done');
    expect(done.since).toBeGreaterThanOrEqual(waiting.since);
    await reply(done, 'and the docs');
    await reaches('1-ask', 'waiting');
    await reply(done, '');
    await reaches('1-ask', 'done');
    // The hooks were wired from the record directory: nothing in the job's working directory, the fake saw no problem.
    const log = await readFile(join(dir, 'state', 'jobs', '1-ask', 'output.log'), 'utf8');
    expect(log).toContain('claude (fake) starting: task 1');
    expect(log).not.toContain('[hook problem]');
  });

  it('gemini: the hooks print only JSON, and the Notification message is the reason', async () => {
    await actions.launch({ kind: 'gem', params: { n: '2' } });
    const waiting = await reaches('2-gem', 'waiting');
    expect(waiting).toMatchObject({ agent: 'gemini', reason: 'Allow execution of: npm test?' });
    await reply(waiting, '');
    await reaches('2-gem', 'done');
    expect(await readFile(join(dir, 'state', 'jobs', '2-gem', 'output.log'), 'utf8')).not.toContain('[hook problem]');
  });

  it('codex: its notify program reports the end of the turn', async () => {
    await actions.launch({ kind: 'cod', params: { n: '3' } });
    const asking = await reaches('3-cod', 'running');
    await paneShows(asking, 'Allow command `npm test`? [y/N]');
    await reply(asking, 'y');
    expect(await reaches('3-cod', 'done')).toMatchObject({ agent: 'codex', reason: 'finished its turn' });
    expect(await readFile(join(dir, 'state', 'jobs', '3-cod', 'output.log'), 'utf8')).not.toContain('[hook problem]');
  });

  it('an agent that dies without a final hook does not stay working or waiting', async () => {
    await actions.launch({ kind: 'ask', params: { n: '4' } });
    const waiting = await reaches('4-ask', 'waiting');
    await reply(waiting, 'die');
    expect(await reaches('4-ask', 'failed')).toMatchObject({ exitCode: 3 });
    // The program in the record directory outlives the job (only a private copy elsewhere is removed).
    await exec('test', ['-x', join(dir, 'state', 'jobs', '4-ask', 'mc-state')]);
  });

  it('any program can use MISSION_CONTROL_STATE directly', async () => {
    await actions.launch({ kind: 'script', params: { n: '5' } });
    const waiting = await reaches('5-script', 'waiting');
    expect(waiting.reason).toBe('Pick a colour');
    await reply(waiting, 'blue');
    await reaches('5-script', 'done');
    const state = await readFile(join(dir, 'state', 'jobs', '5-script', 'state'), 'utf8');
    expect(state).toMatch(/^done \d+ \n$/);
  });
});

describe('agent states from the screen (waitingPatterns), for programs that report nothing', () => {
  it('a prompt on screen is waiting with the prompt as the reason; once answered and scrolled away, running again', async () => {
    await actions.launch({ kind: 'prompted', params: { n: '6' } });
    const waiting = await reaches('6-prompted', 'waiting');
    expect(waiting.reason).toBe('Overwrite the file? [y/N]');
    await reply(waiting, 'y');
    expect(await reaches('6-prompted', 'running')).toMatchObject({ reason: 'session alive, recent output' });
  });
});

describe('agent states from a foreground process blocked reading the terminal', () => {
  it('a program that reports nothing and reads its terminal is waiting; answered, it runs again', async () => {
    await actions.launch({ kind: 'reader', params: { n: '8' } });
    const waiting = await reaches('8-reader', 'waiting');
    expect(waiting.reason).toBe('waiting for input: reads its terminal');
    await reply(waiting, 'ada');
    await reaches('8-reader', 'running');
  });
});

describe('MISSION_CONTROL_STATE where the record directory may not hold executables', () => {
  let mount: string;
  let noexecFleet: Fleet;
  let noexecActions: JobActions;

  beforeAll(async () => {
    // A noexec file system for the state directory, as /home is on Container-Optimized OS.
    mount = join(dir, 'noexec');
    await exec('mkdir', ['-p', mount]);
    await exec('mount', ['-t', 'tmpfs', '-o', 'noexec,size=4m', 'tmpfs', mount]);
    const kinds = kindsSchema.parse({
      script: { params: { n: { pattern: '^[0-9]+$' } }, command: ['sh', '-c', 'echo "uses $MISSION_CONTROL_STATE"; "$MISSION_CONTROL_STATE" waiting "from noexec"; read x'] },
    });
    const settings = resolveJobSettings({ kinds, repo: { mainDir: join(dir, 'main'), worktreesDir: join(dir, 'worktrees') } });
    noexecFleet = createFleet({ workers: [{ ...localAgentWorker(socket, join(dir, 'state')), name: 'nx', stateDir: join(mount, 'state') }], hostKeyPolicy: 'strict', source: undefined, jobs: settings });
    noexecActions = createJobActions(noexecFleet, settings);
  });

  afterAll(async () => {
    await noexecFleet?.close();
    await exec('tmux', ['-S', socket, 'kill-session', '-t', '=mc-7-script']).catch(() => undefined);
    await exec('umount', ['-l', mount]).catch(() => undefined);
  });

  it('runs a private copy from a directory that may, and removes it when the job ends', async () => {
    await noexecActions.launch({ kind: 'script', params: { n: '7' } });
    let job: Job | undefined;
    await waitFor('the job to wait', async () => {
      await noexecFleet.refreshAll();
      job = selectAllJobs(noexecFleet.store.getState()).find((j) => j.id === '7-script');
      return job?.state === 'waiting';
    }, 30_000);
    expect(job?.reason).toBe('from noexec');
    const log = await readFile(join(mount, 'state', 'jobs', '7-script', 'output.log'), 'utf8');
    const copy = /uses (\S+)/.exec(log)?.[1] ?? '';
    expect(copy).toMatch(/\/mission-control-\d+\/state-7-script-\d+$/);
    expect(copy.startsWith(mount)).toBe(false);
    await reply(job!, 'ok');
    await waitFor('the copy to be removed', async () => (await exec('test', ['-e', copy]).then(() => false, () => true)), 30_000);
  });
});
