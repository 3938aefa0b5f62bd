import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXEC_REQUEST, execScript } from '../../src/ssh/exec-channel.js';
import { loginShellJoin, shellJoin } from '../../src/ssh/quote.js';

const exec = promisify(execFile);

/** Runs `file args` with `input` on stdin; resolves with stdout as bytes, stderr and the exit code. */
function runWith(file: string, args: readonly string[], input: string): Promise<{ stdout: Buffer; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr, code }));
    child.stdin.end(input);
  });
}

const LOGIN_SHELLS = ['/bin/sh', '/bin/bash', '/usr/bin/zsh', '/usr/bin/fish', '/usr/bin/tcsh'];
const WORKER_SHELLS: ReadonlyArray<readonly string[]> = [['/bin/dash'], ['/bin/bash', '--posix'], ['busybox', 'ash'], ['/usr/bin/zsh', '--emulate', 'sh']];

describe('commands every login shell reads alike', () => {
  let dir: string;
  let printArgs: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-login-shells-'));
    // Prints its arguments as JSON: what the login shell made of the command line.
    printArgs = join(dir, 'print-args');
    await writeFile(printArgs, `#!${process.execPath}\nprocess.stdout.write(JSON.stringify(process.argv.slice(2)));\n`);
    await chmod(printArgs, 0o755);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loginShellJoin: sh, bash, zsh, fish and tcsh all split an attach command into the same words', async () => {
    const argv = ['docker', 'exec', '-it', 'maintainer-worker', 'tmux', '-u', '-S', '/run/mc sock/$HOME*?[a]{b,c}~#;&|<>()"x"', 'attach-session', '-r', '-t', '$3', '=x', '%7', 'a:b@c+d,e.f'];
    for (const shell of LOGIN_SHELLS) {
      const { stdout } = await exec(shell, ['-c', `${printArgs} ${loginShellJoin(argv)}`], { env: { PATH: '/usr/bin:/bin', HOME: dir } });
      expect({ shell, words: JSON.parse(stdout) }).toEqual({ shell, words: argv });
    }
  });

  it('loginShellJoin refuses words no quoting carries through every shell', () => {
    for (const word of ["it's", 'back\\slash', 'bang!', 'new\nline', 'tab\there', 'é', '']) {
      expect(() => loginShellJoin(['tmux', word])).toThrow(/login shell/);
    }
  });

  it('the exec request is plain words, and the script on stdin runs the command with its input byte for byte in every sh', async () => {
    expect(EXEC_REQUEST).toMatch(/^[a-z ]+$/);
    const inputs = [
      Buffer.alloc(0),
      Buffer.from('-n starts like an option\n'),
      Buffer.from("it's 100% \\ not a format: %s %d \\n\r\n\n"),
      Buffer.from('no final newline'),
      randomBytes(20_000),
      Buffer.from([0, 0, 0x0a, 0xff, 0x25, 0x27, 0x5c, 0x2d]),
    ];
    const command = shellJoin(['sh', '-c', 'cat; printf "|%s" "$1"; exit 7', 'mission-control', "a'b $(x) `y`"]);
    for (const shell of WORKER_SHELLS) {
      for (const input of inputs) {
        const [file, ...args] = shell;
        const result = await runWith(file!, args, execScript(command, 'mc-pid-test', input));
        expect({ shell, code: result.code }).toEqual({ shell, code: 7 });
        expect(result.stdout.equals(Buffer.concat([input, Buffer.from("|a'b $(x) `y`")]))).toBe(true);
        expect(result.stderr).toMatch(/^mc-pid-test \d+\n$/);
      }
      // Without input the command reads end of file, not the rest of the script.
      const [file, ...args] = shell;
      const bare = await runWith(file!, args, execScript('cat; echo done', 'mc-pid-test'));
      expect(bare.stdout.toString()).toBe('done\n');
    }
  });
});
