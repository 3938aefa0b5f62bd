/**
 * Telling the user that a job needs them, wherever mission-control watches the fleet (the dashboard and the
 * `watch` wallboard: notifications change nothing, so read-only mode has them too). It follows the fleet store
 * itself, not the frame beat, so a notification never waits for a redraw.
 */
import { DEFAULT_NOTIFY, type NotifySettings } from '../config/notify-schema.js';
import type { FleetState } from '../state/store.js';
import { createCommandRunner, type CommandRunner } from './command.js';
import { createTransitionTracker, type NotifyEvent } from './events.js';
import { createNotifyLimiter, DEFAULT_LIMITS, type NotifyLimits } from './limiter.js';
import { createNotifyLock, type NotifyLock } from './lock.js';
import { terminalNotification } from './terminal.js';

/** What the notifier needs from its surroundings (all replaceable in tests). */
export interface NotifierOptions {
  readonly settings?: NotifySettings;
  /** Writes to the user's terminal (between frames: the sequences draw nothing). */
  readonly write: (text: string) => void;
  /** The environment: `TMUX` decides the passthrough. */
  readonly env?: NodeJS.ProcessEnv;
  readonly lock?: NotifyLock;
  readonly limits?: NotifyLimits;
  readonly now?: () => number;
  /** Runs `settings.command`; made from it by default. */
  readonly runner?: CommandRunner;
  /** Hears problems with the command (the dashboard shows them as a notice). */
  readonly report?: (problem: string) => void;
}

/** A running notifier. */
export interface Notifier {
  /** Takes a new fleet state (the store's subscription calls this). */
  observe(state: FleetState): void;
  /** Stops, lets go of the command lock, and waits for a command that is running. */
  stop(): Promise<void>;
}

/** How long stopping waits for a running `notify.command` to end. */
const STOP_WAIT_MS = 3000;

const VERB: Readonly<Partial<Record<NotifyEvent['state'], string>>> = { waiting: 'needs you', failed: 'failed', done: 'finished its turn' };

/** The title and body of a job's notification (raw: the terminal writer sanitizes). */
export function notificationText(event: NotifyEvent): { readonly title: string; readonly body: string } {
  return { title: `mission-control: ${event.job} ${VERB[event.state] ?? event.state}`, body: event.reason };
}

/** Creates a notifier; feed it states with `observe` (see {@link followFleet}). */
export function createNotifier(options: NotifierOptions): Notifier {
  const settings = options.settings ?? DEFAULT_NOTIFY;
  const now = options.now ?? Date.now;
  const tracker = createTransitionTracker();
  const allowed = createNotifyLimiter(options.limits ?? DEFAULT_LIMITS);
  const lock = settings.command.length > 0 ? (options.lock ?? createNotifyLock()) : undefined;
  const runner = settings.command.length > 0 ? (options.runner ?? createCommandRunner(settings.command, options.report)) : undefined;
  const tmux = Boolean(options.env?.['TMUX']);
  let stopped = false;
  return {
    observe(state) {
      if (stopped) return;
      for (const event of tracker(state)) {
        if (!allowed(event, now())) continue;
        const text = terminalNotification({ ...notificationText(event), bell: settings.bell, desktop: settings.desktop, tmux });
        if (text !== '') options.write(text);
        if (runner && lock?.acquire()) runner.send(event);
      }
    },
    async stop() {
      stopped = true;
      // A command that hangs does not hold up quitting for long: its own time limit ends it later.
      let timer: NodeJS.Timeout | undefined;
      const patience = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STOP_WAIT_MS);
        timer.unref();
      });
      await Promise.race([runner?.idle() ?? Promise.resolve(), patience]);
      clearTimeout(timer);
      lock?.release();
    },
  };
}

/** Feeds `notifier` every state of `store`; returns the unsubscribe. */
export function followFleet(store: { getState(): FleetState; subscribe(listener: (state: FleetState) => void): () => void }, notifier: Notifier): () => void {
  notifier.observe(store.getState());
  return store.subscribe((state) => notifier.observe(state));
}
