import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { idleWatchdogScript } from '../../src/providers/gce/idle-watchdog.js';
import { shellQuote } from '../../src/ssh/quote.js';
import { sharedDocker, startSshdWithDocker, type TestDocker } from '../harness/docker.js';
import type { TestSshd } from '../harness/sshd.js';
import { waitFor } from '../support/ssh-fleet.js';

/**
 * The guest watchdog a COS worker runs from boot, run over a real sshd against a real container on the private
 * dockerd, with second-scale times (after 2 s, grace 1 s, a check each second) and a stand-in for poweroff that
 * records the call. "Does not fire" is checked over checks the watchdog logged, well past its limit, never by time.
 */
describe('the guest idle watchdog (real sshd, dockerd, tmux in the container)', () => {
  let docker: TestDocker;
  let sshd: TestSshd;
  let dir: string;
  const container = 'mc-watchdog-test';
  const running: { child: ChildProcess; log: string[]; pidFile: string }[] = [];

  const tmux = async (...args: string[]) => {
    const result = await docker.docker(['exec', container, 'tmux', '-L', 'mission-control', ...args]);
    if (result.code !== 0 && args[0] !== 'kill-server') throw new Error(`tmux ${args.join(' ')}: ${result.stderr}`);
  };
  const calls = () => join(dir, 'poweroff-calls');
  const writeState = (id: string, state: string) => writeFile(join(dir, 'state', 'jobs', id, 'state'), `${state} ${Math.floor(Date.now() / 1000)} x\n`);

  /** Starts the watchdog over ssh; its log lines are collected as they come. */
  async function startWatchdog(name: string) {
    const script = idleWatchdogScript({
      policy: { afterMs: 2000, action: 'suspend', waitingAfterMs: 4000 },
      user: sshd.user,
      container,
      tmuxSocketArgs: ['-L', 'mission-control'],
      stateDir: join(dir, 'state'),
      sessionPrefix: 'mc',
      graceMs: 1000,
      everyMs: 1000,
      poweroff: `echo poweroff >>${shellQuote(calls())}`,
    });
    const file = join(dir, `${name}.sh`);
    const pidFile = join(dir, `${name}.pid`);
    await writeFile(file, script);
    const child = spawn(
      'ssh',
      ['-i', sshd.clientKeyPath, '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-o', 'BatchMode=yes', '-p', String(sshd.port), `${sshd.user}@${sshd.host}`,
        `echo $$ >${shellQuote(pidFile)}; exec sh ${shellQuote(file)}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const log: string[] = [];
    let rest = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      log.push(...lines);
    });
    const entry = { child, log, pidFile };
    running.push(entry);
    return entry;
  }

  /** Waits until the watchdog has logged `count` more checks matching `pattern`. */
  const checks = (log: string[], pattern: RegExp, count: number) => {
    const from = log.length;
    return waitFor(`${count} checks matching ${pattern}`, () => log.slice(from).filter((line) => pattern.test(line)).length >= count, 60_000);
  };
  const fired = () => existsSync(calls());

  beforeAll(async () => {
    docker = await sharedDocker();
    const image = await docker.buildWorkerImage();
    dir = await mkdtemp(join(tmpdir(), 'mc-watchdog-'));
    await docker.runWorker({ name: container, image, mounts: [{ host: dir }] });
    sshd = await startSshdWithDocker(docker);
  }, 180_000);

  afterEach(async () => {
    for (const { child, pidFile } of running.splice(0)) {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone (it powered "off" and exited)
        }
      }
      child.kill();
    }
    await tmux('kill-server');
    await rm(calls(), { force: true });
  });

  afterAll(async () => {
    await docker?.docker(['rm', '-f', container]);
    await sshd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fires when nothing happens: the poweroff stand-in is called once and the watchdog ends', async () => {
    const { child, log } = await startWatchdog('idle');
    await waitFor('the poweroff call', fired, 60_000);
    expect(await readFile(calls(), 'utf8')).toBe('poweroff\n');
    await waitFor('the watchdog to end', () => child.exitCode !== null, 30_000);
    expect(log.at(-1)).toBe("mission-control idle watchdog: idle for the policy's 2 s and the 1 s grace: powering off");
  });

  it('does not fire while output flows, and fires once it stops', async () => {
    await mkdir(join(dir, 'state', 'jobs', '1-talk'), { recursive: true });
    await writeState('1-talk', 'done');
    await tmux('new-session', '-d', '-s', 'mc-1-talk', 'while :; do echo tick; sleep 0.3; done');
    const { log } = await startWatchdog('output');
    await checks(log, /quiet: powers off in/, 8);
    expect(fired()).toBe(false);
    await tmux('kill-server');
    await waitFor('the poweroff call once the output stopped', fired, 60_000);
  });

  it('does not fire while a client is attached to a job otherwise idle, and fires after it detaches', async () => {
    await mkdir(join(dir, 'state', 'jobs', '2-look'), { recursive: true });
    await writeState('2-look', 'done');
    await tmux('new-session', '-d', '-s', 'mc-2-look', 'sleep 600');
    const client = spawn('script', ['-qfc', `docker -H ${docker.host} exec -it ${container} tmux -L mission-control attach -t mc-2-look`, '/dev/null'], { stdio: 'ignore' });
    try {
      const { log } = await startWatchdog('attached');
      await checks(log, /kept up: client attached to mc-2-look$/, 8);
      expect(fired()).toBe(false);
      await tmux('detach-client', '-s', 'mc-2-look');
      await waitFor('the poweroff call after the detach', fired, 60_000);
    } finally {
      client.kill();
    }
  });

  it('does not fire while a job keeps writing its state, and fires once the writes stop', async () => {
    await mkdir(join(dir, 'state', 'jobs', '3-note'), { recursive: true });
    await writeState('3-note', 'done');
    await tmux('new-session', '-d', '-s', 'mc-3-note', 'sleep 600');
    const writer = setInterval(() => void writeState('3-note', 'done'), 500);
    try {
      const { log } = await startWatchdog('state');
      await checks(log, /quiet: powers off in/, 8);
      expect(fired()).toBe(false);
    } finally {
      clearInterval(writer);
    }
    await waitFor('the poweroff call once the writes stopped', fired, 60_000);
  });
});
