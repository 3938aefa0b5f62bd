import { mkdir, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBinary } from '../support/binary.js';
import { git, makeRemote } from '../support/git-remote.js';


let dir: string;
let checkout: string;
let env: NodeJS.ProcessEnv;

/** Runs the built binary in `cwd` with a fresh HOME and XDG_CONFIG_HOME. */
/** Runs the built binary in `cwd` with a fresh HOME and XDG_CONFIG_HOME. */
const cli = (args: string[], cwd: string) => runBinary(args, { cwd, env });

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'mc-init-cli-')));
  const remote = await makeRemote(dir, []);
  checkout = join(dir, 'checkout');
  await git(['clone', '-q', remote, checkout]);
  await mkdir(join(dir, 'home'));
  // A private tmux socket name keeps `status` off any tmux server of the machine's user.
  env = { PATH: process.env.PATH, HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'xdg'), NO_COLOR: '1', TMUX_TMPDIR: dir };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

describe('first run (the real binary, a fresh HOME, inside a checkout)', () => {
  it('status without a config points at init; init --yes writes one; status then runs on it quietly', async () => {
    const file = join(dir, 'xdg', 'mission-control', 'config.yaml');
    const before = await cli(['status'], checkout);
    expect(before.stderr).toContain(`no config at ${file}; \`mission-control init\` writes one with the local worker using ${checkout} as its main clone`);

    const init = await cli(['init', '--yes'], checkout);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`Wrote ${file}:`);
    expect(await readFile(file, 'utf8')).toContain(`mainDir: ${checkout}`);

    const after = await cli(['status'], checkout);
    expect(after.stderr).not.toContain('mission-control init');
    expect(after.stdout).toMatch(/^WORKER\s+PROVIDER/);

    const again = await cli(['init', '--yes'], checkout);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${file} exists already`);
  });
});
