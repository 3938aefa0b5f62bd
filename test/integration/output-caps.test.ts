/**
 * What one command may return, on every transport: a child process here, an SSH exec channel and the long-lived
 * framed shell (real sshd). Past the cap the command is stopped (its processes too) and the call says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalProvider } from '../../src/providers/local.js';
import { OutputLimitError } from '../../src/ssh/output-limit.js';
import { SshPool } from '../../src/ssh/pool.js';
import { shellQuote } from '../../src/ssh/quote.js';
import { resolveSshTarget, type SshTarget } from '../../src/ssh/target.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';
import { waitFor } from '../support/ssh-fleet.js';

const MiB = 1024 * 1024;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-caps-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A script that writes its pid to `file`, then prints without end. */
function endless(file: string): string {
  return `sh -c ${shellQuote(`echo $$ >${shellQuote(file)}; exec yes`)}`;
}

/** Waits until the process whose pid is in `file` has gone (or is a zombie waiting for its parent). */
async function gone(file: string): Promise<void> {
  await waitFor(`the pid in ${file}`, () => existsSync(file));
  const pid = Number((await readFile(file, 'utf8')).trim());
  expect(pid).toBeGreaterThan(1);
  await waitFor(`process ${pid} to end`, () => !existsSync(`/proc/${pid}`) || readStat(pid) === 'Z');
}

/** The process's state letter from /proc (`Z` for a zombie), or '' when it is gone. */
function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] ?? '';
  } catch {
    return '';
  }
}

describe('the local provider', () => {
  const local = () => new LocalProvider({ name: 'here', tmuxSocket: join(dir, 'tmux.sock'), stateDir: join(dir, 'state') });

  it('stops a command past the default 16 MiB and says so', async () => {
    const error = await local().exec({ argv: ['head', '-c', String(17 * MiB), '/dev/zero'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputLimitError);
    expect((error as Error).message).toBe('`head` printed more than 16 MiB, the most one command may return; it was stopped');
  });

  it('stops a command that never ends at the cap asked for, with everything it started', async () => {
    const pidFile = join(dir, 'local.pid');
    await expect(local().exec({ script: endless(pidFile) }, { maxOutputBytes: MiB, timeoutMs: 60_000 })).rejects.toThrow(/printed more than 1 MiB/);
    await gone(pidFile);
  });

  it('returns more than the default when the caller raises the cap', async () => {
    const result = await local().exec({ argv: ['head', '-c', String(20 * MiB), '/dev/zero'] }, { maxOutputBytes: 32 * MiB });
    expect(result.stdout.length).toBe(20 * MiB);
  });
});

describe('over SSH (real sshd)', () => {
  let sshd: TestSshd;
  let pool: SshPool;
  let target: SshTarget;

  beforeAll(async () => {
    sshd = await startSshd();
    const config = join(sshd.dir, 'ssh_config');
    await writeFile(
      config,
      `Host worker\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.clientKeyPath}\n  UserKnownHostsFile ${sshd.knownHostsFile}\n`,
    );
    target = await resolveSshTarget({ alias: 'worker', sshConfigFile: config });
    pool = new SshPool({ agent: '' });
  });

  afterAll(async () => {
    await pool?.close();
    await sshd?.stop();
  });

  it('an exec channel past its cap is closed, its command killed on the worker, and the connection kept', async () => {
    const conn = pool.connection(target);
    const pidFile = join(dir, 'exec.pid');
    const error = await conn.exec({ script: endless(pidFile) }, { maxOutputBytes: MiB, timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputLimitError);
    expect((error as Error).message).toMatch(/^a script \(`sh…`\) printed more than 1 MiB, the most one command may return; it was stopped$/);
    await gone(pidFile);
    expect(await conn.exec({ argv: ['echo', 'still here'] })).toMatchObject({ code: 0, stdout: 'still here\n' });
    await expect(conn.exec({ argv: ['head', '-c', String(17 * MiB), '/dev/zero'] })).rejects.toThrow(/printed more than 16 MiB/);
  });

  it('the framed shell reads a large frame written in many small pieces, byte for byte', async () => {
    const conn = pool.connection(target);
    const lines = 100_000;
    const result = await conn.run(`i=0; while [ $i -lt ${lines} ]; do echo "line $i"; i=$((i+1)); done`, { timeoutMs: 120_000 });
    const expected = Array.from({ length: lines }, (_, i) => `line ${i}\n`).join('');
    expect(result.code).toBe(0);
    expect(result.output.length).toBe(expected.length);
    expect(result.output === expected).toBe(true);
  });

  it('the framed shell past its cap fails with the cap named, kills the script, and the next call gets a fresh shell', async () => {
    const conn = pool.connection(target);
    const pidFile = join(dir, 'shell.pid');
    const error = await conn.run(endless(pidFile), { maxOutputBytes: MiB, timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputLimitError);
    expect((error as Error).message).toBe('a script printed more than 1 MiB, the most one command may return; it was stopped');
    await gone(pidFile);
    expect(await conn.run('echo fresh')).toEqual({ code: 0, output: 'fresh\n' });
    // Just under the cap is returned whole; stderr framed apart has its own cap.
    expect((await conn.run(`head -c ${MiB - 100} /dev/zero`, { maxOutputBytes: MiB })).output.length).toBe(MiB - 100);
    await expect(conn.run(`head -c ${2 * MiB} /dev/zero >&2`, { maxOutputBytes: MiB, separateStderr: true })).rejects.toThrow(OutputLimitError);
    expect(await conn.run('echo again')).toEqual({ code: 0, output: 'again\n' });
  });
});
