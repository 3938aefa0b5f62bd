import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultApproveFor } from '../../src/app/approve.js';
import type { Fleet } from '../../src/app/fleet.js';
import { parseConfig } from '../../src/config/load.js';
import type { JobActions } from '../../src/jobs/actions.js';
import type { Job } from '../../src/state/types.js';
import { jobReaches, startAgentBench, type AgentBench } from '../support/fake-agents.js';

const exec = promisify(execFile);

let dir: string;
let socket: string;
let fleet: Fleet;
let actions: JobActions;
let bench: AgentBench | undefined;

/** The config under test: the new presets by name, and a custom agent as the top-level `agent:`. */
const CONFIG = `
agent:
  command: [custom-agent, --task, "{prompt}"]
  waitingPatterns: ['\\[y/N\\] *$']
  approve: [y, Enter]
  resume: [custom-agent, --resume]
kinds:
  aid: { params: { n: { pattern: '^[0-9]+$' } }, prompt: 'task {n}', agent: aider }
  oc: { params: { n: { pattern: '^[0-9]+$' } }, prompt: 'task {n}', agent: opencode }
  mine: { params: { n: { pattern: '^[0-9]+$' } }, prompt: 'task {n}' }
`;

const reaches = (id: string, state: Job['state']): Promise<Job> => jobReaches(fleet, socket, id, state);

/** Answers the job's prompt with its agent's approve keys, as the dashboard's `y` does. */
async function approve(job: Job): Promise<void> {
  const answer = defaultApproveFor(job);
  expect(answer, `an approve answer for ${job.agent}`).toBeDefined();
  await exec('tmux', ['-S', socket, 'send-keys', '-t', job.paneId!, ...answer!.keys]);
}

const outputOf = (id: string) => readFile(join(dir, 'state', 'jobs', id, 'output.log'), 'utf8');

beforeAll(async () => {
  bench = await startAgentBench('mc-presets-', (at) => {
    const parsed = parseConfig(`${CONFIG}repo: { mainDir: ${join(at, 'main')}, worktreesDir: ${join(at, 'worktrees')} }\n`, join(at, 'config.yaml'));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return parsed.config.jobs;
  });
  ({ dir, socket, fleet, actions } = bench);
});

afterAll(() => bench?.close());

describe('aider, opencode and a custom agent: waiting → approve → finished (fake agents, real tmux)', () => {
  it('aider: its notifications command reports waiting; the approve answer runs the edit and the one-shot run ends', async () => {
    await actions.launch({ kind: 'aid', params: { n: '1' } });
    const waiting = await reaches('1-aid', 'waiting');
    expect(waiting.agent).toBe('aider');
    // Both sources say so: the notifications command's report, and the confirmation on screen (newer, so shown).
    expect(await readFile(join(dir, 'state', 'jobs', '1-aid', 'state'), 'utf8')).toMatch(/^waiting \d+ aider waits for input\n$/);
    expect(waiting.reason).toBe('Run shell command? (Y)es/(N)o [Yes]:');
    await approve(waiting);
    expect(await reaches('1-aid', 'exited')).toMatchObject({ exitCode: 0 });
    const log = await outputOf('1-aid');
    expect(log).toContain('aider (fake) starting: task 1');
    expect(log).toContain('answered "y"');
    expect(log).not.toContain('[hook problem]');
  });

  it('opencode: its plugin, loaded from OPENCODE_CONFIG_DIR in the record directory, reports waiting, then done', async () => {
    await actions.launch({ kind: 'oc', params: { n: '2' } });
    const waiting = await reaches('2-oc', 'waiting');
    expect(waiting).toMatchObject({ agent: 'opencode', reason: 'OpenCode asks permission: bash npm test' });
    await approve(waiting);
    await reaches('2-oc', 'done');
    expect(await outputOf('2-oc')).not.toContain('[hook problem]');
    // The plugin lives in the record directory, not in the job's working directory.
    await access(join(dir, 'state', 'jobs', '2-oc', 'opencode', 'plugins', 'mission-control.js'));
  });

  it('custom from the config: its command, its screen pattern for waiting, its approve keys, done through MISSION_CONTROL_STATE', async () => {
    await actions.launch({ kind: 'mine', params: { n: '3' } });
    const waiting = await reaches('3-mine', 'waiting');
    expect(waiting).toMatchObject({ agent: 'custom' });
    expect(waiting.reason).toContain('Run npm test? [y/N]');
    await approve(waiting);
    await reaches('3-mine', 'done');
    const log = await outputOf('3-mine');
    expect(log).toContain('custom (fake) starting: --task task 3');
    expect(log).toContain('approved ("y")');
    expect(log).not.toContain('[hook problem]');
  });
});
