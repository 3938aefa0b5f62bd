import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';

const BIN = join(import.meta.dirname, '../../bin/mission-control.js');
const run = promisify(execFile);

let dir: string;
let config: string;
/** PATH with a `mission-control` that runs the built binary, as an installed one would, for the scripts' call back. */
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-completion-'));
  config = join(dir, 'config.yaml');
  await writeFile(config, ['kinds:', '  triage:', '    description: sort new issues', '    command: [triage]', ''].join('\n'));
  const shim = join(dir, 'mission-control');
  await writeFile(shim, `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  await chmod(shim, 0o755);
  env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, NO_COLOR: '1', XDG_CONFIG_HOME: join(dir, 'xdg') };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the built binary; a non-zero exit rejects with its output. */
const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { env });

/** Writes the completion script of `shell` where the shells can source it. */
async function script(shell: string): Promise<string> {
  const file = join(dir, `completion.${shell}`);
  await writeFile(file, (await cli('completion', shell)).stdout);
  return file;
}

describe('mission-control COMMAND --help (the built binary)', () => {
  it.each(COMMANDS.map((entry) => entry.name))('%s --help prints its usage and exits 0', async (command) => {
    const { stdout, stderr } = await cli(command, '--help');
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage:\n/);
    expect(stdout).toContain(COMMANDS.find((entry) => entry.name === command)!.usage);
  });

  it('completion without a known shell is a usage error naming the shells', async () => {
    await expect(cli('completion', 'tcsh')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('bash, zsh or fish') });
  });
});

describe('completion scripts in real shells', () => {
  it('bash: the function completes subcommands, flags, and kinds of the config through __complete', async () => {
    const file = await script('bash');
    const complete = async (...words: string[]) => {
      const body = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mission_control; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const { stdout } = await run('/usr/bin/bash', ['--norc', '--noprofile', '-c', body, 'bash', file, 'mission-control', ...words], { env });
      return stdout.split('\n').filter(Boolean);
    };
    expect(await complete('la')).toEqual(['launch']);
    expect(await complete('launch', '--w')).toEqual(['--worker']);
    expect(await complete('--config', config, 'launch', 'tr')).toEqual(['triage']);
    expect(await complete('setup', '')).toEqual(['local']);
  }, 60_000);

  it('bash and fish: job refs come from a scan of the fleet, quoted for bash so `$N` does not expand', async () => {
    const socket = join(dir, 'tmux.sock');
    const fleetConfig = join(dir, 'fleet.yaml');
    await writeFile(fleetConfig, ['workers:', '  - name: local', '    provider: local', `    tmuxSocket: ${socket}`, ''].join('\n'));
    await run('tmux', ['-S', socket, 'new-session', '-d', '-s', 'mc-7-review', 'sleep 300']);
    try {
      const bash = await script('bash');
      const body = `source "$1"; COMP_WORDS=(mission-control --config "$2" attach ''); COMP_CWORD=4; _mission_control; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const { stdout } = await run('/usr/bin/bash', ['--norc', '--noprofile', '-c', body, 'bash', bash, fleetConfig], { env });
      expect(stdout.split('\n').filter(Boolean).sort()).toEqual(['\\$0', 'local/\\$0', 'mc-7-review']);
      const fish = await script('fish');
      const found = await run('/usr/bin/fish', ['--no-config', '-c', `source '${fish}'; complete -C 'mission-control --config ${fleetConfig} stop mc'`], { env });
      expect(found.stdout.split('\n').filter(Boolean)).toEqual(['mc-7-review']);
    } finally {
      await run('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
    }
  }, 60_000);

  it('zsh: after compinit, TAB in an interactive shell completes `la` to `launch` and a kind through __complete', async () => {
    const file = await script('zsh');
    const typed = async (line: string) => {
      const out = join(dir, `zsh-buffer-${Math.random().toString(16).slice(2)}`);
      // A widget bound to C-x writes the edited line to a file once TAB has completed it.
      const driver = [
        'zmodload zsh/zpty',
        "zpty z 'zsh -f -i'",
        `zpty -w z "autoload -Uz compinit && compinit -u -d '${dir}/zcompdump'; source '${file}'; dump() { print -r -- \\$BUFFER > '${out}' }; zle -N dump; bindkey '^X' dump"`,
        `zpty -w -n z $'${line}\\t\\x18'`,
        `for i in {1..300}; do [[ -s '${out}' ]] && break; sleep 0.1; done`,
        'zpty -d z',
      ].join('\n');
      await run('/usr/bin/zsh', ['-f', '-c', driver], { env });
      return (await readFile(out, 'utf8')).trimEnd();
    };
    expect(await typed('mission-control la')).toBe('mission-control launch');
    expect(await typed(`mission-control --config ${config} launch tri`)).toBe(`mission-control --config ${config} launch triage`);
  }, 90_000);

  it('fish: complete -C completes `la` to `launch`, flags, and kinds through __complete', async () => {
    const file = await script('fish');
    const complete = async (line: string) => {
      const { stdout } = await run('/usr/bin/fish', ['--no-config', '-c', `source '${file}'; complete -C '${line}'`], { env });
      return stdout.split('\n').filter(Boolean).map((row) => row.split('\t')[0]);
    };
    expect(await complete('mission-control la')).toEqual(['launch']);
    expect(await complete('mission-control stop --g')).toEqual(['--grace']);
    expect(await complete(`mission-control --config ${config} launch tr`)).toEqual(['triage']);
  }, 60_000);
});
