import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScanCommand, newScanNonce } from '../../src/scanners/worker-scan/command.js';
import { parseScan } from '../../src/scanners/worker-scan/parse.js';

const exec = promisify(execFile);
const SESSIONS = 25;
const RECORDS = 25;
/** Each record's meta.json: 2 KiB, so a script that read them a byte per system call would make over 50,000 reads. */
const META_BYTES = 2048;

/** The system calls `strace -f -c` counted for one run of `dash -c script`, by name. */
async function syscallCounts(dir: string, script: string): Promise<Map<string, number>> {
  const out = join(dir, 'strace.txt');
  await exec('strace', ['-f', '-qq', '-c', '-o', out, '-e', 'trace=read,execve,clone,clone3,fork,vfork', 'dash', '-c', script], { maxBuffer: 16 * 1024 * 1024 });
  const counts = new Map<string, number>();
  for (const line of (await readFile(out, 'utf8')).split('\n')) {
    // % time, seconds, usecs/call, calls, [errors], syscall
    const fields = line.trim().split(/\s+/);
    const name = fields.at(-1) ?? '';
    if (/^[a-z0-9_]+$/.test(name) && name !== 'total' && fields.length >= 5) counts.set(name, Number(fields[3]));
  }
  return counts;
}

const meta = (i: number) => ({ id: `job-${i}`, kind: 'review', params: {}, command: ['claude'], session: `s${i}`, createdAt: '2026-12-01T00:00:00Z' });

describe('the scan costs a fixed handful of processes and no system call per byte of a record', () => {
  let dir: string;
  let socket: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-scan-cost-'));
    socket = join(dir, 'tmux.sock');
    for (let i = 0; i < RECORDS; i++) {
      const job = join(dir, 'state', 'jobs', `job-${i}`);
      await mkdir(job, { recursive: true });
      await writeFile(join(job, 'meta.json'), `${JSON.stringify(meta(i)).slice(0, -1)},"note":"${'n'.repeat(META_BYTES - 200)}"}\n`);
      await writeFile(join(job, 'exit'), '0\n');
      await writeFile(join(job, 'state'), `working 1796000000 reading files\n`);
      await writeFile(join(job, 'output.log'), 'line\n');
    }
    for (let i = 0; i < SESSIONS; i++) await exec('tmux', ['-S', socket, 'new-session', '-d', '-s', `s${i}`, 'sleep 3600']);
  });

  afterAll(async () => {
    await exec('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it(`${SESSIONS} sessions and ${RECORDS} records of ${META_BYTES} bytes: every record read, at most 6 programs started, reads far fewer than the bytes`, async () => {
    const nonce = newScanNonce();
    const { script } = buildScanCommand({ tmuxSocketArgs: ['-S', socket], stateDir: join(dir, 'state'), nonce }) as { script: string };
    const { stdout } = await exec('dash', ['-c', script], { maxBuffer: 16 * 1024 * 1024 });
    const scan = parseScan(stdout, nonce);
    expect(scan.jobs).toHaveLength(RECORDS);
    expect(scan.jobs.map((job) => [job.metaError, job.exitCode, job.report?.state ?? job.reportError])).toEqual(Array.from({ length: RECORDS }, () => [undefined, 0, "working"]));
    expect(scan.sessions).toHaveLength(SESSIONS);

    const counts = await syscallCounts(dir, script);
    // dash itself, then date, tmux, find, awk and stat: none per job.
    expect(counts.get('execve')).toBeLessThanOrEqual(6);
    expect(counts.get('read') ?? 0).toBeLessThan((RECORDS * META_BYTES) / 10);
  });

  it('bash and busybox ash tell the time without date; a stale time in the environment of a shell that has none is not used', async () => {
    const bin = join(dir, 'no-date');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'date'), '#!/bin/sh\necho "date: not here" >&2\nexit 1\n', { mode: 0o755 });
    const nowOf = async (shell: readonly string[], env: NodeJS.ProcessEnv) => {
      const nonce = newScanNonce();
      const { script } = buildScanCommand({ tmuxSocketArgs: ['-S', socket], stateDir: join(dir, 'state'), nonce }) as { script: string };
      const [file = 'sh', ...pre] = shell;
      const { stdout } = await exec(file, [...pre, '-c', script], { env, maxBuffer: 16 * 1024 * 1024 });
      return parseScan(stdout, nonce).host.now;
    };
    const noDate = { PATH: `${bin}:/usr/bin:/bin` };
    for (const shell of [['bash'], ['busybox', 'sh']]) expect(Math.abs((await nowOf(shell, noDate)) - Date.now() / 1000)).toBeLessThan(5);
    // dash has neither variable: one inherited from the environment is a frozen value, so date is asked.
    const stale = await nowOf(['dash'], { PATH: '/usr/bin:/bin', EPOCHSECONDS: '1000', EPOCHREALTIME: '999.5' });
    expect(Math.abs(stale - Date.now() / 1000)).toBeLessThan(5);
  });
});
