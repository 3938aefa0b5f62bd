/**
 * Driving the real binary in a real terminal: a tmux pane on a private tmux server of the test's own (never the
 * user's), keys sent with send-keys, the screen read with capture-pane, waiting for text with a deadline (never
 * sleeping), and the screen printed when a wait fails. Also a "world" of jobs for the `local` worker: a second
 * private tmux server whose sessions act as jobs, a state directory and a config file pointing at both.
 *
 * Reusable by other end-to-end tests (SSH workers): `TuiDriver.start` runs any command line; `LocalWorld` is one
 * way to make a fleet for it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The package root. */
export const ROOT = new URL('../../', import.meta.url).pathname;

/** The built entry point the tests run. */
export const BIN = join(ROOT, 'bin', 'mission-control.js');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Fails early, and says what to do, when `dist/` is missing; warns when it is older than `src/` (the tests then
 * run yesterday's binary).
 */
export function assertBuilt(): void {
  const entry = join(ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(entry)) throw new Error('dist/ is missing: run `npm run build` before the end-to-end tests');
  if (newest(join(ROOT, 'src')) > newest(join(ROOT, 'dist'))) {
    process.stderr.write('warning: dist/ is older than src/; run `npm run build` so the end-to-end tests run the current code\n');
  }
}

/** What to wait for: text on screen, a pattern, or any test of the screen. */
export type ScreenTest = string | RegExp | ((screen: string) => boolean);

function matches(screen: string, test: ScreenTest): boolean {
  if (typeof test === 'string') return screen.includes(test);
  if (test instanceof RegExp) return test.test(screen);
  return test(screen);
}

function describeTest(test: ScreenTest): string {
  return typeof test === 'function' ? 'a screen that passes the check' : JSON.stringify(String(test));
}

/** Options of {@link TuiDriver.start}. */
export interface TuiOptions {
  /** argv of the program; it runs as `CI=false argv…`, then its exit status is printed so the pane stays readable. */
  readonly argv: readonly string[];
  readonly columns?: number;
  readonly rows?: number;
  /** Extra environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** One program in one pane of a private tmux server. */
export class TuiDriver {
  /** The line printed when the program ends: `[exited N]`. */
  static readonly EXIT_MARK = '[exited ';

  private constructor(
    /** A temporary directory of the driver's own (the tmux socket lives here). */
    readonly dir: string,
    readonly socket: string,
  ) {}

  /** Starts `argv` in a `columns` x `rows` pane (default 120x40). */
  static async start(options: TuiOptions): Promise<TuiDriver> {
    const dir = mkdtempSync(join(tmpdir(), 'mc-tui-'));
    const driver = new TuiDriver(dir, join(dir, 'tui.sock'));
    const env = Object.entries({ CI: 'false', ...options.env })
      .map(([name, value]) => `${name}=${quote(value)}`)
      .join(' ');
    const script = `cd ${quote(options.cwd ?? ROOT)} && env ${env} ${options.argv.map(quote).join(' ')}; echo "${TuiDriver.EXIT_MARK}$?]"; exec sleep 3600`;
    await driver.tmux('new-session', '-d', '-s', 'tui', '-x', String(options.columns ?? 120), '-y', String(options.rows ?? 40), script);
    return driver;
  }

  /** Runs tmux on the driver's server. */
  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-f', '/dev/null', '-S', this.socket, ...args], { encoding: 'utf8' });
    return stdout;
  }

  /** The screen as text. */
  screen(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', 'tui');
  }

  /** The screen with its colours and attributes (SGR). */
  screenWithStyle(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-e', '-t', 'tui');
  }

  /** Sends keys by tmux name (`Enter`, `Escape`, `C-q`, `j`, `Down`). */
  async send(...keys: string[]): Promise<void> {
    for (const key of keys) await this.tmux('send-keys', '-t', 'tui', key);
  }

  /** Types text literally. */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', 'tui', '-l', text);
  }

  /** Resizes the terminal. */
  async resize(columns: number, rows: number): Promise<void> {
    await this.tmux('resize-window', '-t', 'tui', '-x', String(columns), '-y', String(rows));
  }

  /** Waits until the screen passes `test`; on timeout, fails with the screen printed. Resolves to the screen. */
  async waitFor(test: ScreenTest, options: { readonly timeoutMs?: number; readonly what?: string } = {}): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let screen = '';
    for (;;) {
      screen = await this.screen();
      if (matches(screen, test)) return screen;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${options.what ?? describeTest(test)}; the screen was:\n${frame(screen)}`);
  }

  /** Waits until the screen no longer passes `test`. */
  waitForGone(test: ScreenTest, options: { readonly timeoutMs?: number; readonly what?: string } = {}): Promise<string> {
    return this.waitFor((screen) => !matches(screen, test), { ...options, what: options.what ?? `${describeTest(test)} to go away` });
  }

  /** Waits until `check` holds (something off screen, e.g. a tmux session), printing the screen if it never does. */
  async waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen was:\n${frame(await this.screen())}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the program and its pane (by this driver's private socket) and removes the driver's directory. */
  async stop(): Promise<void> {
    try {
      await this.tmux('kill-server');
    } catch {
      // Already gone.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A screen framed for a failure message, so blank lines and line ends show. */
export function frame(screen: string): string {
  const lines = screen.replace(/\n$/, '').split('\n');
  return lines.map((line) => `│${line}`).join('\n');
}

/**
 * Jobs for the `local` worker: a private tmux server (`-S <dir>/jobs.sock`, no user config) whose sessions are the
 * jobs, a state directory for job records, and a config file with one local worker using both.
 */
export class LocalWorld {
  private constructor(
    readonly dir: string,
    readonly socket: string,
    readonly stateDir: string,
    readonly configPath: string,
  ) {}

  /** Creates the world (no session yet; the tmux server starts with the first one). */
  static create(options: { readonly pollInterval?: string } = {}): LocalWorld {
    const dir = mkdtempSync(join(tmpdir(), 'mc-world-'));
    const socket = join(dir, 'jobs.sock');
    const stateDir = join(dir, 'state');
    mkdirSync(join(stateDir, 'jobs'), { recursive: true });
    const configPath = join(dir, 'config.yaml');
    writeFileSync(
      configPath,
      [
        'workers:',
        '  - name: local',
        '    provider: local',
        `    tmuxSocket: ${socket}`,
        `    stateDir: ${stateDir}`,
        `    pollInterval: ${options.pollInterval ?? '1s'}`,
        '',
      ].join('\n'),
    );
    return new LocalWorld(dir, socket, stateDir, configPath);
  }

  /** Runs tmux on the jobs' server. */
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-f', '/dev/null', '-S', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Starts a job session `mc-<id>` running `script` under `sh -c`. */
  startJob(id: string, script: string): void {
    this.tmux('new-session', '-d', '-s', `mc-${id}`, '-x', '100', '-y', '30', script);
  }

  /** The sessions on the jobs' server: `name id` per line, sorted; empty when the server is not running. */
  sessions(): string[] {
    try {
      return this.tmux('list-sessions', '-F', '#{session_name} #{session_id} #{pane_pid}').trim().split('\n').filter(Boolean).sort();
    } catch {
      return [];
    }
  }

  /** The key of the session `mc-<id>`: it has no job record, so it is keyed by its session id (`local/$0`). */
  keyOf(id: string): string {
    const line = this.sessions().find((s) => s.startsWith(`mc-${id} `));
    if (!line) throw new Error(`no session mc-${id}`);
    return `local/${line.split(' ')[1]}`;
  }

  /** What a job's pane shows. */
  capture(id: string): string {
    return this.tmux('capture-pane', '-p', '-t', `mc-${id}`);
  }

  /** The root key table of the jobs' server (where the detach key gets bound). */
  rootKeys(): string {
    return this.tmux('list-keys', '-T', 'root');
  }

  /** The argv that runs the built binary on this world's config. */
  argv(...args: string[]): string[] {
    return ['node', BIN, ...args, '--config', this.configPath];
  }

  /** Stops the jobs' server (by its socket) and removes the world. */
  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // Not running.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The lines the dashboard wrote to its ready file so far. */
  static frames(path: string): number {
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
  }
}
