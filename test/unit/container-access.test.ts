import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inContainer, onSessionHost, placeCommand, WATCHDOG } from '../../src/providers/container.js';
import { loginShellJoin, shellJoin } from '../../src/ssh/quote.js';

// Stand-ins for `docker` and `sudo` that print the argv they got, each word ended by a NUL: what the real shell made of the
// generated command lines is what is asserted.
const bin = mkdtempSync(join(tmpdir(), 'mc-access-'));
for (const name of ['docker', 'sudo']) {
  writeFileSync(join(bin, name), `#!/bin/sh\nprintf '%s\\0' ${name} "$@"\n`);
  chmodSync(join(bin, name), 0o755);
}
afterAll(() => rmSync(bin, { recursive: true, force: true }));

// fish writes its own files under HOME: keep it in the temp dir (a space in it, as a home may have).
const HOME = join(bin, 'a home');
const ids = `${process.getuid!()}:${process.getgid!()}`;

/** Runs `script` in `sh` with the stand-ins first on PATH; the words the stand-ins printed. */
function words(shell: readonly string[], script: string): string[] {
  const result = spawnSync(shell[0]!, [...shell.slice(1), '-c', script], {
    env: { PATH: `${bin}:${process.env.PATH}`, HOME },
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  return result.stdout.split('\0').slice(0, -1);
}

const SHELLS = [['dash'], ['busybox', 'ash'], ['bash']];

describe('container access: sudo and the login user inside the container', () => {
  it.each(SHELLS)('(%s) a session command runs as the host user, with its HOME, through sudo -n', (...shell) => {
    const placed = placeCommand({ argv: ['tmux', 'ls'] }, { container: 'w', target: 'session', timeoutMs: 4000, access: { sudo: true, asHostUser: true } });
    const script = 'argv' in placed ? shellJoin(placed.argv) : placed.script;
    expect(words(shell, script)).toEqual(['sudo', '-n', 'docker', 'exec', '-u', ids, '-e', `HOME=${HOME}`, '-i', 'w', 'sh', '-c', WATCHDOG, 'mission-control', '4', 'tmux', 'ls']);
  });

  it.each(SHELLS)('(%s) every docker word of a host script gets the access: a scanner’s inspect and onSessionHost', (...shell) => {
    const scan = `docker inspect --type container w\n${onSessionHost('echo hi', 'w')}`;
    const placed = placeCommand({ script: scan }, { container: 'w', target: 'host', timeoutMs: 4000, access: { sudo: true, asHostUser: true } });
    expect('script' in placed && words(shell, placed.script)).toEqual([
      'sudo', '-n', 'docker', 'inspect', '--type', 'container', 'w',
      'sudo', '-n', 'docker', 'exec', '-u', ids, '-e', `HOME=${HOME}`, '-i', 'w', 'sh', '-c', WATCHDOG, 'mission-control', '4', 'sh', '-c', 'echo hi',
    ]);
  });

  // sshd runs the attach command with the user's login shell, whichever it is.
  it.each([['sh'], ['bash'], ['zsh'], ['fish'], ['tcsh']])('(%s login shell) the attach is a terminal as the same user, through sudo', (...shell) => {
    const attach = inContainer('w', { argv: ['tmux', 'attach-session', '-t', '$1'] }, { interactive: true, access: { sudo: true, asHostUser: true } });
    expect(words(shell, loginShellJoin(attach.argv))).toEqual(['sudo', '-n', 'docker', 'exec', '-u', ids, '-e', `HOME=${HOME}`, '-it', 'w', 'tmux', 'attach-session', '-t', '$1']);
  });

  it.each(SHELLS)('(%s) without sudo, docker itself', (...shell) => {
    const placed = placeCommand({ argv: ['true'] }, { container: 'w', target: 'session', timeoutMs: 4000, access: { asHostUser: true } });
    expect(words(shell, 'argv' in placed ? shellJoin(placed.argv) : placed.script).slice(0, 7)).toEqual(['docker', 'exec', '-u', ids, '-e', `HOME=${HOME}`, '-i']);
  });

  it('changes nothing without access, or without a container', () => {
    const where = { container: 'w', target: 'session', timeoutMs: 4000 } as const;
    expect(placeCommand({ argv: ['true'] }, where)).toEqual({ argv: ['docker', 'exec', '-i', 'w', 'sh', '-c', WATCHDOG, 'mission-control', '4', 'true'] });
    expect(placeCommand({ argv: ['true'] }, { ...where, access: {} })).toEqual(placeCommand({ argv: ['true'] }, where));
    expect(placeCommand({ argv: ['true'] }, { ...where, container: undefined, access: { sudo: true, asHostUser: true } })).toEqual({ argv: ['true'] });
  });
});
