import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBinary } from '../support/binary.js';
import { startTestFleet, type TestFleet } from '../support/ssh-fleet.js';


const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runBinary(args, { env: { ...process.env, NO_COLOR: '1', ...env } });

describe('mission-control status (the real binary against real sshd and tmux)', () => {
  let world: TestFleet;
  let config: string;

  beforeAll(async () => {
    world = await startTestFleet(['up-host', 'dead-host']);
    await world.workers[0]!.tmux(['new-session', '-d', '-s', 'mc-42-review', 'sleep 300']);
    config = await world.writeConfig();
    await world.workers[1]!.sshd.kill();
  });
  afterAll(async () => {
    await world.stop();
  });

  it('prints every worker, the unreachable one with its error, and exits 1', async () => {
    const result = await cli(['status', '--config', config]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^WORKER\s+PROVIDER\s+STATE/);
    expect(lines.find((l) => l.startsWith('up-host'))).toMatch(/^up-host\s+ssh\s+up\s+direct/);
    expect(lines.find((l) => l.startsWith('dead-host'))).toMatch(/^dead-host\s+ssh\s+unreachable\s+.*dead-host/);
    expect(result.stdout).toMatch(/up-host\s+\$\d+ mc-42-review\s+session\s+running/);
  });

  it('--json follows the documented schema', async () => {
    const result = await cli(['status', '--json', '--config', config]);
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout);
    expect(doc).toMatchObject({
      schemaVersion: 2,
      config,
      summary: { up: 1, down: 1, total: 2, jobs: { running: 1, working: 0, waiting: 0, done: 0, total: 1 } },
    });
    expect(doc.workers.map((w: { name: string; connection: string }) => [w.name, w.connection])).toEqual([
      ['up-host', 'up'],
      ['dead-host', 'down'],
    ]);
    expect(doc.workers[1].lastError).toMatch(/dead-host/);
    expect(doc.jobs[0]).toMatchObject({ worker: 'up-host', id: doc.jobs[0].sessionId, state: 'running', session: 'mc-42-review', adhoc: true });
    expect(doc.jobs[0].sessionId).toMatch(/^\$\d+$/);
  });

  it('status WORKER describes one worker in full: sessions started by hand apart, the whole last error', async () => {
    const up = await cli(['status', 'up-host', '--config', config]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^Worker {5}up-host \(ssh\)$/m);
    expect(up.stdout).toMatch(/^Connection direct to /m);
    expect(up.stdout).toMatch(/^Jobs {7}0\/\d+ live of 0; 1 session started by hand \(1 live, not counted\)$/m);
    const dead = await cli(['status', 'dead-host', '--config', config]);
    expect(dead.code).toBe(1);
    expect(dead.stdout).toMatch(/^Last error:\n {2}dead-host: connection refused at .*\n {2}port \d+; `ssh -F /m);
    const none = await cli(['status', 'nope', '--config', config]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('there is no worker named "nope"; workers: up-host, dead-host');
  });

  it('exits 0 when every worker answers', async () => {
    const only = join(world.dir, 'only-up.yaml');
    const text = (await import('node:fs/promises')).readFile(config, 'utf8');
    const kept = (await text).split('\n  - name: dead-host')[0]!;
    await writeFile(only, `${kept}\n`);
    const result = await cli(['status', '--config', only]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('exits 2 on a config error, naming file, line and field', async () => {
    const bad = join(world.dir, 'bad.yaml');
    await writeFile(bad, 'workers:\n  - name: x\n    provider: local\n    maxJobs: ten\n');
    const result = await cli(['status', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${bad}:4:14: workers[0].maxJobs:`);
  });

  it('exits 2 on bad usage and says how to get help', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(unknown.stderr).toContain('mission-control --help');
    const wrongFlag = await cli(['watch', '--json']);
    expect(wrongFlag.code).toBe(2);
    expect(wrongFlag.stderr).toContain("--json does not apply to 'watch'");
  });

  it('--help tells the truth about the commands', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['status', 'watch', '--config', '--json', '--readonly']) expect(help.stdout).toContain(command);
  });
});
