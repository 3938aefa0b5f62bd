/**
 * The dashboard's composition root: config → fleet → command layer → stores → Ink, and the loop that leaves the
 * screen for an attach and comes back to it exactly as it was (the UI store outlives each mounting of the tree).
 */
import { appendFileSync } from 'node:fs';
import { defaultApproveFor } from '../app/approve.js';
import type { FleetCommands } from '../app/commands.js';
import { runIdleActor } from '../app/autopilot.js';
import { createFleet, type Fleet } from '../app/fleet.js';
import { createFleetCommands } from '../app/fleet-commands.js';
import { bindDetachKey, createObserveCommands, DETACH_KEY, readTmuxPrefix } from '../app/observe-commands.js';
import { watchFleetConfig, type LoadedConfig } from '../cli/load-config.js';
import { EXIT } from '../cli/usage.js';
import type { JobSettings } from '../jobs/kinds.js';
import { createNotifier, followFleet } from '../notify/notifier.js';
import type { AttachCommand, WorkerObserver, WorkerProvider } from '../providers/types.js';
import { selectAllJobs } from '../state/selectors.js';
import { sanitizeLine } from '../text/sanitize.js';
import { errorText } from './actions/operations.js';
import { attachBanner, runAttach, type AttachOutcome } from './attach.js';
import { createDashboard, type Dashboard, type DashboardAccess } from './dashboard.js';
import { startContainerLogFeed, startDiffFeed, startLogFeed, startPreviewFeed } from './feeds.js';
import { GENERIC_LAUNCH_KINDS, type LaunchKind } from './launch-kinds.js';
import { createFrameTicker } from './state/throttled-store.js';
import { createUiStore } from './state/ui-store.js';
import { ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, reclaimKeyboard } from './terminal.js';
import { colourEnabled } from './theme.js';

/** Options of the dashboard. */
export interface DashboardRunOptions {
  /** Nothing that changes the fleet is reachable (`--readonly`, `watch`). */
  readonly readOnly: boolean;
  /** The compact, self-refreshing wallboard (`watch`). */
  readonly wallboard: boolean;
  /** A line for the status bar as the dashboard opens (e.g. what `init` would write when there is no config). */
  readonly startNotice?: string;
}

/** The interval of the dashboard's frame beat for workers polled at these intervals: the fastest, within 1–2 s. */
export function frameBeatMs(pollIntervalsMs: readonly number[]): number {
  return Math.min(2000, Math.max(1000, Math.min(...pollIntervalsMs, 2000)));
}

/**
 * Ink's own cap on frames a second. Fleet changes reach Ink already paced (the frame ticker: a beat, and job state
 * changes at most 10 a second), so this cap only has to bound key repeat; at 10 it stacked a second wait of up to
 * 100 ms on every paced frame.
 */
export const MAX_FPS = 30;

/** The line on screen while the dashboard loads (shorter than the header that replaces it). */
export const SPLASH = 'mission-control: starting…';

interface Access {
  readonly access: DashboardAccess;
  readonly kinds: readonly LaunchKind[] | undefined;
}

/** The command layer of a fleet that may change things, with the config's job kinds for the launch form. */
function fullAccess(fleet: Fleet<WorkerProvider>, settings: JobSettings): Access {
  const commands: FleetCommands = createFleetCommands(fleet, createObserveCommands(fleet), settings);
  const kinds: LaunchKind[] = [...settings.kinds.values()].map((kind) => ({
    name: kind.name,
    description: kind.description ?? '',
    params: kind.params.map((p) => ({ name: p.name, pattern: p.pattern, required: true, description: p.description ?? p.name })),
  }));
  kinds.push(...GENERIC_LAUNCH_KINDS);
  return { access: { readOnly: false, commands }, kinds };
}

/** The alternate screen, left again however the process ends. */
interface Screen {
  enter(): void;
  leave(): void;
  dispose(): void;
}

function takeScreen(stdout: NodeJS.WriteStream): Screen {
  let on = false;
  const restore = () => {
    if (on) stdout.write(LEAVE_ALT_SCREEN);
    on = false;
  };
  process.on('exit', restore);
  return {
    enter() {
      if (!on) stdout.write(ENTER_ALT_SCREEN);
      on = true;
    },
    leave: restore,
    dispose() {
      restore();
      process.off('exit', restore);
    },
  };
}

/** What the user asked the running dashboard for. */
type Request = { readonly type: 'attach'; readonly jobKey: string } | { readonly type: 'quit' };

/**
 * Runs the dashboard until the user quits (or SIGTERM/SIGHUP/SIGINT). Resolves to the exit code. Needs a
 * terminal on stdin and stdout.
 */
export async function runDashboard(loaded: LoadedConfig, options: DashboardRunOptions): Promise<number> {
  const { stdin, stdout } = process;
  if (!stdin.isTTY || !stdout.isTTY) {
    process.stderr.write("mission-control: the dashboard needs a terminal; for a report, use 'mission-control status'\n");
    return EXIT.usage;
  }
  // React's development build is several times slower and larger; it is chosen when React loads, so before Ink.
  process.env['NODE_ENV'] ??= 'production';
  // Node prints process warnings (google-auth's metadata lookup, for one) to stderr, over the screen: not here.
  process.removeAllListeners('warning');
  const screen = takeScreen(stdout);
  // Ink is the largest thing on the way to the first frame (about 300 ms to load on a slow machine): a line is on
  // screen at once, and Ink loads while the fleet is set up. Its first frame overwrites the line.
  screen.enter();
  stdout.write(`${SPLASH}\r`);
  const view = Promise.all([import('ink'), import('react'), import('./App.js')]);
  const cleanups: (() => unknown)[] = [];
  try {
    let fleet: Fleet<WorkerObserver>;
    let access: Access;
    let full: Fleet<WorkerProvider> | undefined;
    if (options.readOnly) {
      fleet = createFleet(loaded.config, { readOnly: true });
      access = { access: { readOnly: true, commands: createObserveCommands(fleet) }, kinds: undefined };
    } else {
      full = createFleet(loaded.config);
      fleet = full;
      access = fullAccess(full, loaded.config.jobs);
    }
    cleanups.push(() => fleet.close());

    // One beat moves the clock and publishes the fleet's changes together: one frame, however many workers answered.
    // The beat follows the fastest poll (1 to 2 s): faster would redraw ages with no new data behind them. Keys redraw
    // at once (the UI store is not behind the beat).
    const ticker = createFrameTicker(fleet.store, frameBeatMs(loaded.config.workers.map((w) => w.pollIntervalMs)));
    const mirror = ticker.fleet;
    cleanups.push(() => ticker.stop());
    let wake: (() => void) | undefined;
    let request: Request | undefined;
    const ask = (next: Request) => {
      request ??= next;
      wake?.();
    };
    const dashboard = createDashboard({
      fleet: mirror,
      access: access.access,
      host: { attach: (jobKey) => ask({ type: 'attach', jobKey }), quit: () => ask({ type: 'quit' }) },
      wallboard: options.wallboard,
      color: colourEnabled(),
      ...(access.kinds ? { kinds: access.kinds } : {}),
      // The keys `y` sends to a waiting job, by its agent preset.
      approveFor: defaultApproveFor,
      ui: createUiStore(options.wallboard ? { sort: { key: 'state', descending: false } } : {}),
      clock: ticker.clock,
    });

    if (options.startNotice) dashboard.ui.getState().notify(options.startNotice);

    const quitOnSignal = () => ask({ type: 'quit' });
    const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
    const listen = (on: boolean) => {
      for (const signal of signals) (on ? process.on : process.off).call(process, signal, quitOnSignal);
    };
    listen(true);
    cleanups.push(() => listen(false));
    // The terminal went away (its window closed): nothing can be drawn any more, so end quietly.
    stdout.on('error', quitOnSignal);
    cleanups.push(() => stdout.off('error', quitOnSignal));

    // Notifications follow the store itself, not the frame beat; they change nothing, so watch mode has them too.
    const notifier = createNotifier({
      ...(loaded.config.notify ? { settings: loaded.config.notify } : {}),
      write: (text) => stdout.write(text),
      env: process.env,
      report: (problem) => dashboard.ui.getState().notify(sanitizeLine(problem), 'error'),
    });
    cleanups.push(followFleet(fleet.store, notifier), () => notifier.stop());

    // Idle workers are suspended or stopped only from a dashboard that may change the fleet: watch mode has no such fleet.
    if (full) {
      cleanups.push(runIdleActor(full, (text, failed) => dashboard.ui.getState().notify(sanitizeLine(text), failed ? 'error' : 'info')));
    }
    ticker.start();
    const feeds = [startPreviewFeed(dashboard), startLogFeed(dashboard), startDiffFeed(dashboard), startContainerLogFeed(dashboard)];
    cleanups.push(() => feeds.forEach((feed) => feed.stop()));
    // Marks of jobs that have gone are dropped, so bulk actions and the header count only what exists.
    cleanups.push(
      mirror.subscribe((state) => {
        if (dashboard.ui.getState().marks.size > 0) dashboard.ui.getState().pruneMarks(new Set(selectAllJobs(state).map((job) => job.key)));
      }),
    );
    // The config watcher (chokidar) starts once the first frame is on its way.
    const watching = new Promise<void>((resolve) => setImmediate(resolve)).then(() => watchFleetConfig(loaded, fleet).catch(() => async () => undefined));
    cleanups.push(async () => (await watching)());

    // Polling starts once the first frame is out (Ink calls onRender just before it writes the frame, hence the
    // next turn): resolving each SSH worker's target spawns `ssh -G` (a few ms of this thread each), which would
    // otherwise hold up the first frame by that much per worker.
    let polling = false;
    const startPolling = () => {
      if (polling) return;
      polling = true;
      setImmediate(() => fleet.startPolling());
    };
    const [{ render }, react, { App }] = await view;
    // React is CommonJS: its functions are on the namespace under Node, on `default` once bundled.
    const { createElement } = 'createElement' in react ? react : (react as { default: typeof react }).default;
    const readyFile = process.env['MC_TEST_READY_FILE'];
    let frames = 0;
    // A frame's cost: from the change that caused it (a publish of the fleet or the clock, a key's UI change) to
    // the frame being written. The ticker paces job state changes by it; tests and benches read it in the ready file.
    let causedAt: number | undefined;
    const caused = () => (causedAt ??= performance.now());
    cleanups.push(mirror.subscribe(caused), ticker.clock.subscribe(caused), dashboard.ui.subscribe(caused));
    const frameDrawn = () => {
      const cost = causedAt === undefined ? undefined : performance.now() - causedAt;
      causedAt = undefined;
      if (cost !== undefined) ticker.frameCost(cost);
      if (readyFile) appendFileSync(readyFile, `frame ${++frames}${cost === undefined ? '' : ` ${cost.toFixed(1)}`}\n`);
    };
    for (;;) {
      screen.enter();
      mirror.flush();
      const instance = render(createElement(App, { dashboard }), {
        stdout,
        stdin,
        exitOnCtrlC: false,
        patchConsole: true,
        maxFps: MAX_FPS,
        // A concurrent root batches the updates of one tick (the beat, a key) into one commit, so one frame.
        concurrent: true,
        // Ink 6.8's incremental mode lands one line low when a frame ends with a newline (every frame here does,
        // being one line shorter than the terminal), so frames are written whole, inside synchronized output.
        incrementalRendering: false,
        onRender: () => {
          startPolling();
          frameDrawn();
        },
      });
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (request) resolve();
      });
      wake = undefined;
      instance.unmount();
      await instance.waitUntilExit();
      screen.leave();
      const current = request;
      request = undefined;
      if (!current || current.type === 'quit') break;
      // While attached, signals belong to the attach (runAttach passes them on); ours come back after.
      listen(false);
      for (const feed of feeds) feed.pause();
      await attachFromDashboard(dashboard, fleet, full, current.jobKey, undefined, loaded.config.attach?.detachKey);
      reclaimKeyboard(stdin);
      for (const feed of feeds) feed.resume();
      listen(true);
    }
    return EXIT.ok;
  } finally {
    screen.dispose();
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

/** How an attach ended, as the notice the dashboard shows when it is back (the key sanitized here and again on screen). */
export function attachNotice(jobKey: string, outcome: AttachOutcome): { readonly text: string; readonly tone: 'info' | 'error' } {
  const job = sanitizeLine(jobKey);
  if (outcome.error) return { text: `attach to ${job} failed: ${sanitizeLine(outcome.error)}`, tone: 'error' };
  if (outcome.code !== 0) return { text: `attach to ${job} ended with ${outcome.code ?? outcome.signal}`, tone: 'error' };
  return { text: `detached from ${job}`, tone: 'info' };
}

/**
 * One attach from the dashboard; the outcome (or why it could not start) becomes a notice when the dashboard is back.
 * `run` runs the attach program (the terminal's by default).
 */
export async function attachFromDashboard(
  dashboard: Dashboard,
  fleet: Fleet<WorkerObserver>,
  full: Fleet<WorkerProvider> | undefined,
  jobKey: string,
  run: (command: AttachCommand, banner: string) => Promise<AttachOutcome> = (command, banner) =>
    runAttach(command, banner, { stdin: process.stdin, stdout: process.stdout, env: process.env }),
  detachKey: string = DETACH_KEY,
): Promise<void> {
  const notify = dashboard.ui.getState().notify;
  let command;
  try {
    command = dashboard.observe.attachCommand(jobKey);
  } catch (error) {
    notify(`cannot attach: ${errorText(error)}`, 'error');
    return;
  }
  const [bound, prefix] = await Promise.all([
    full ? bindDetachKey(full, jobKey, detachKey).then(() => true, () => false) : false,
    readTmuxPrefix(fleet, jobKey),
  ]);
  const banner = attachBanner(jobKey, { prefix, detachKeyBound: bound, readOnly: dashboard.readOnly, detachKey });
  const notice = attachNotice(jobKey, await run(command, banner));
  notify(notice.text, notice.tone);
  dashboard.observe.refresh(jobKey.slice(0, Math.max(0, jobKey.indexOf('/'))) || undefined);
}
