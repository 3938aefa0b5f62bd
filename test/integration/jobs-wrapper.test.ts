import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wrapperScript } from '../../src/jobs/wrapper.js';
import { waitFor } from '../support/ssh-fleet.js';

const exec = promisify(execFile);

describe('the job wrapper, run by real shells', () => {
  let dir: string;
  const shells = [['sh'], ['busybox', 'sh'], ['bash', '--posix']].filter(([file]) => file !== 'busybox' || existsSync('/usr/bin/busybox') || existsSync('/bin/busybox'));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-wrapper-'));
  });
  afterAll(async () => {
    await exec('tmux', ['-S', join(dir, 'sock'), 'kill-server']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  async function runWrapper(shell: string[], jobDir: string, workDir: string, command: string[]): Promise<{ log: Buffer; exit: string }> {
    await mkdir(jobDir, { recursive: true });
    await mkdir(workDir, { recursive: true });
    const script = join(jobDir, 'run.sh');
    await writeFile(script, wrapperScript({ id: 'x-say', jobDir, workDir, command }));
    const env = { ...process.env };
    delete env.TMUX;
    delete env.TMUX_PANE;
    await exec(shell[0]!, [...shell.slice(1), script], { env });
    return { log: await readFile(join(jobDir, 'output.log')), exit: await readFile(join(jobDir, 'exit'), 'utf8') };
  }

  it('passes any argv through as it is, and records the exit code (outside tmux: tee)', async () => {
    for (const shell of shells) {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')), { maxLength: 6 }), fc.integer({ min: 0, max: 255 }), async (args, code) => {
          n += 1;
          const jobDir = join(dir, `${shell.join('-')}-${n}`);
          const { log, exit } = await runWrapper(shell, jobDir, join(jobDir, 'work'), ['sh', '-c', `for a; do printf '%s\\0' "$a"; done; exit ${code}`, 'job', ...args]);
          expect(log.toString('utf8')).toBe(args.map((a) => `${a}\0`).join(''));
          expect(exit).toBe(`${code}\n`);
        }),
        { numRuns: 25 },
      );
    }
    expect((await readdir(dir)).filter((name) => name.startsWith('pwned'))).toEqual([]);
  });

  it('runs in the working directory, and records 125 when it is missing', async () => {
    const jobDir = join(dir, 'cwd-job');
    const { log, exit } = await runWrapper(['sh'], jobDir, join(dir, 'cwd work'), ['pwd']);
    expect(log.toString()).toBe(`${join(dir, 'cwd work')}\n`);
    expect(exit).toBe('0\n');
    const gone = join(dir, 'gone-job');
    await mkdir(gone, { recursive: true });
    await writeFile(join(gone, 'run.sh'), wrapperScript({ id: 'g', jobDir: gone, workDir: join(dir, 'nowhere'), command: ['true'] }));
    await exec('sh', [join(gone, 'run.sh')]);
    expect(await readFile(join(gone, 'exit'), 'utf8')).toBe('125\n');
  });

  it('in tmux, copies the pane to the log at a path tmux and sh would both interpret, and executes nothing from it', async () => {
    const pwned = join(dir, 'pwned');
    const jobDir = join(dir, `st'ate #{session_name} #(touch ${pwned}-a) $(touch ${pwned}-b) \`touch ${pwned}-c\``, 'jobs', '1-x');
    await mkdir(jobDir, { recursive: true });
    await writeFile(join(jobDir, 'run.sh'), wrapperScript({ id: '1-x', jobDir, workDir: dir, command: ['sh', '-c', 'if [ -t 1 ]; then echo "on a terminal: yes"; fi; exit 5'] }));
    await exec('tmux', ['-S', join(dir, 'sock'), 'new-session', '-d', '-s', 'w', '--', 'sh', join(jobDir, 'run.sh')]);
    await waitFor('exit', () => existsSync(join(jobDir, 'exit')));
    expect(await readFile(join(jobDir, 'exit'), 'utf8')).toBe('5\n');
    await waitFor('log', async () => (await readFile(join(jobDir, 'output.log'), 'utf8')).includes('on a terminal: yes'));
    expect((await readdir(dir)).filter((name) => name.startsWith('pwned'))).toEqual([]);
  });
});
