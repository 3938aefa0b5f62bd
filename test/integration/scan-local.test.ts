import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCaptureCommand } from '../../src/scanners/pane-capture/command.js';
import { parseCapture } from '../../src/scanners/pane-capture/parse.js';
import { buildScanCommand, newScanNonce } from '../../src/scanners/worker-scan/command.js';
import { parseScan } from '../../src/scanners/worker-scan/parse.js';
import type { WorkerScan } from '../../src/scanners/worker-scan/types.js';
import { createWorld, HUGE_META_BYTES, type World } from '../fixtures/scan/world.js';

const exec = promisify(execFile);

/** Runs a built command the way a transport does: `<shell> -c <script>`, stdout and stderr kept apart to catch leaks. */
async function runScript(command: unknown, env: NodeJS.ProcessEnv, shell: readonly string[] = ['sh']): Promise<string> {
  const { script } = command as { script: string };
  const [file = 'sh', ...pre] = shell;
  const { stdout, stderr } = await exec(file, [...pre, '-c', script], { env, encoding: 'utf8' });
  expect(stderr).toBe('');
  return stdout;
}

/** A stand-in for docker, while no daemon is at hand: `inspect` says running, `exec -i NAME sh -c S` runs `sh -c S` here. */
const DOCKER_SHIM = `#!/bin/sh
case $1 in
inspect) printf 'true\\037running\\0372026-11-23T00:40:12.123456789Z\\037local/worker\\n' ;;
exec) shift; [ "$1" = -i ] && shift; shift; exec "$@" ;;
esac
`;

describe('worker scan run for real with sh -c against a private tmux server', () => {
  let dir: string;
  let world: World;
  let nonce: string;
  let env: NodeJS.ProcessEnv;
  let bin: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-scan-'));
    nonce = newScanNonce();
    // The world writes frames carrying this very nonce into names and files: they still must not forge a section.
    world = await createWorld({ dir: join(dir, 'world'), pwnedPrefix: join(dir, 'pwned'), forgeNonce: nonce });
    env = { PATH: '/usr/bin:/bin', HOME: world.home };
    bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'docker'), DOCKER_SHIM, { mode: 0o755 });
    // A stat without -c (as in minimal busybox builds), to exercise the fallback.
    await mkdir(join(dir, 'nostat'));
    await writeFile(join(dir, 'nostat', 'stat'), "#!/bin/sh\necho \"stat: invalid option -- 'c'\" >&2\nexit 1\n", { mode: 0o755 });
  });

  afterAll(async () => {
    await world?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const scanWith = async (options: { shell?: readonly string[]; env?: NodeJS.ProcessEnv; container?: string; socket?: string }): Promise<WorkerScan> => {
    const command = buildScanCommand({
      tmuxSocketArgs: ['-S', options.socket ?? world.socket],
      stateDir: world.stateDir,
      nonce,
      ...(options.container === undefined ? {} : { container: options.container }),
    });
    return parseScan(await runScript(command, options.env ?? env, options.shell), nonce);
  };

  function expectWorld(scan: WorkerScan): void {
    const names = scan.sessions.map((s) => s.name).sort();
    expect(names).toEqual([...world.sessionNames.values()].sort());
    for (const s of scan.sessions) {
      expect(s.id).toMatch(/^\$\d+$/);
      for (const p of s.panes) expect(p.id).toMatch(/^%\d+$/);
    }
    const dead = scan.sessions.find((s) => s.name === 'dead');
    expect(dead?.panes).toEqual([expect.objectContaining({ dead: true, deadStatus: 3 })]);
    const multi = scan.sessions.find((s) => s.name === 'multi');
    expect(multi?.panes).toHaveLength(2);
    expect(multi?.activity).toBeGreaterThan(multi?.created ?? Infinity);

    const jobs = new Map(scan.jobs.map((j) => [j.id, j]));
    expect([...jobs.keys()]).toEqual([
      'j-badexit',
      'j-badjson',
      'j-badshape',
      'j-done',
      'j-emptyexit',
      'j-forge',
      'j-hostile',
      'j-huge',
      'j-hugeexit',
      'j-nometa',
      'j-rawctl',
      'j-running',
    ]);
    // The wrapper's recorded exit code, and the log it wrote.
    expect(jobs.get('j-done')).toMatchObject({ exitCode: 7, logBytes: 'working\n'.length, exitError: undefined });
    expect(jobs.get('j-hostile')?.meta?.params).toEqual({
      pr: '12; rm -rf ~',
      title: `$(touch ${world.pwnedFiles[3]}) \`touch ${world.pwnedFiles[4]}\` 'q' "dq" 日本語 \\ \t \x1f end`,
    });
    expect(jobs.get('j-forge')).toMatchObject({ exitCode: 1, metaError: expect.stringMatching(/not valid JSON/) });
    expect(jobs.get('j-rawctl')?.meta?.id).toBe('j-rawctl');
    expect(scan.jobsError).toBeUndefined();
    // Records over their caps stay listed, unread, with the reason; names that are not job ids are reported escaped.
    const hugeMeta = statSync(join(world.home, '.mission-control/jobs/j-huge/meta.json')).size;
    expect(hugeMeta).toBeGreaterThan(HUGE_META_BYTES);
    const tooLarge = `record too large: meta.json is ${hugeMeta} bytes, over the 64 KiB limit; not read`;
    expect(jobs.get('j-huge')).toMatchObject({ meta: undefined, metaError: tooLarge, logBytes: 4 });
    const exitTooLarge = 'record too large: the exit file is 4002 bytes, over the 1 KiB limit; not read';
    expect(jobs.get('j-hugeexit')).toMatchObject({ meta: expect.objectContaining({ id: 'j-hugeexit' }), exitCode: undefined, exitError: exitTooLarge });
    expect(scan.problems).toEqual([
      `job j-huge: ${tooLarge}`,
      `job j-hugeexit: ${exitTooLarge}`,
      'job directories (a name holding a newline or a separator), "j $(touch pwned-7) `touch pwned-8`", ' +
        '"x\\u001b]0;TITLE\\u0007\\u001b]52;c;cHduZWQ=\\u0007" skipped: a job id is letters, digits, _ and - only',
    ]);
    for (const problem of scan.problems ?? []) expect(problem).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(scan.host.now).toBeGreaterThan(1_700_000_000);
    expect(scan.host.cpus).toBeGreaterThan(0);
    for (const file of world.pwnedFiles) expect(existsSync(file), file).toBe(false);
  }

  it.each([['sh'], ['dash'], ['bash'], ['busybox', 'sh']])('round-trips hostile names and records exactly under %s', async (...shell) => {
    if (shell[0] === 'busybox' && !existsSync('/bin/busybox')) return;
    const scan = await scanWith({ shell });
    expect(scan.tmuxRunning).toBe(true);
    expect(scan.tmuxError).toBeUndefined();
    expect(scan.container).toBeUndefined();
    expectWorld(scan);
  });

  it('reads the world on a busybox system, where every tool the scan uses is a busybox applet', async () => {
    if (!existsSync('/bin/busybox')) return;
    const applets = join(dir, 'busybox-bin');
    await mkdir(applets);
    for (const applet of ['sh', 'date', 'nproc', 'stat', 'tr', 'wc', 'find', 'cat']) await symlink('/bin/busybox', join(applets, applet));
    await symlink('/usr/bin/tmux', join(applets, 'tmux'));
    expectWorld(await scanWith({ shell: [join(applets, 'sh')], env: { ...env, PATH: applets } }));
  });

  it('reads the same world through docker exec -i NAME sh -c (docker replaced by a shim)', async () => {
    const scan = await scanWith({ container: 'maintainer-worker', env: { ...env, PATH: `${bin}:/usr/bin:/bin` } });
    expect(scan.container).toEqual({
      name: 'maintainer-worker', exists: true, status: 'running', running: true,
      startedAt: '2026-11-23T00:40:12.123456789Z', image: 'local/worker', error: undefined,
    });
    expectWorld(scan);
  });

  it('falls back when stat has no -c', async () => {
    const scan = await scanWith({ env: { ...env, PATH: `${join(dir, 'nostat')}:/usr/bin:/bin` } });
    expect(scan.jobs.find((j) => j.id === 'j-hostile')).toMatchObject({ logBytes: 1000, logModified: expect.any(Number) });
    expect(scan.jobs.find((j) => j.id === 'j-running')).toMatchObject({ logBytes: 12 });
  });

  it('reports zero sessions, not an error, when no server runs on the socket', async () => {
    const scan = await scanWith({ socket: join(dir, 'no-such-dir', 'sock') });
    expect(scan).toMatchObject({ tmuxRunning: false, tmuxError: undefined, sessions: [] });
    expect(scan.jobs).toHaveLength(12);
  });

  it('reports no jobs and no error on a fresh worker', async () => {
    const fresh = join(dir, 'fresh-home');
    await mkdir(fresh);
    const scan = await scanWith({ env: { ...env, HOME: fresh }, socket: join(dir, 'fresh.sock') });
    expect(scan).toMatchObject({ tmuxRunning: false, tmuxError: undefined, sessions: [], jobs: [], jobsError: undefined, problems: [] });
  });

  it('captures a pane by id, locally and through the container wrapper, and sees a gone pane', async () => {
    const scan = await scanWith({});
    const second = scan.sessions.find((s) => s.name === 'multi')?.panes[1]?.id ?? '';
    const capture = async (paneId: string, container?: string) =>
      parseCapture(
        await runScript(
          buildCaptureCommand({ tmuxSocketArgs: ['-S', world.socket], paneId, lines: 100, ...(container === undefined ? {} : { container }) }),
          { ...env, PATH: `${bin}:/usr/bin:/bin` },
        ),
      );
    const local = await capture(second);
    expect(local.kind).toBe('captured');
    expect(local.kind === 'captured' ? local.lines[0] : undefined).toBe('second window');
    expect(await capture(second, 'maintainer-worker')).toEqual(local);
    expect(await capture('%9999')).toEqual({ kind: 'gone', reason: "can't find pane: %9999" });
  });

  it('gives the same sessions on consecutive scans', async () => {
    const [a, b] = [await scanWith({}), await scanWith({})];
    expect(b.sessions).toEqual(a.sessions);
  });
});

describe('scan of a tmux-less, jobs-less machine', () => {
  it('parses under every shell with only what the host has', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-scan-bare-'));
    try {
      // A PATH without tmux: tmux missing is an error, not "no server".
      const bin = join(dir, 'bin');
      await mkdir(bin);
      for (const tool of ['date', 'nproc', 'stat']) await symlink(`/usr/bin/${tool}`, join(bin, tool));
      const nonce = newScanNonce();
      const command = buildScanCommand({ tmuxSocketArgs: ['-L', 'mc-test-unused'], stateDir: join(dir, 'state'), nonce });
      const { stdout } = await exec('/bin/sh', ['-c', (command as unknown as { script: string }).script], { env: { PATH: bin }, encoding: 'utf8' });
      const scan = parseScan(stdout, nonce);
      expect(scan).toMatchObject({ tmuxRunning: false, sessions: [], jobs: [], jobsError: undefined });
      expect(scan.tmuxError).toMatch(/tmux: not found/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
