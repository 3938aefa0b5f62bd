/**
 * Long operations as named stages with deadlines: each waits on a real condition (never a fixed sleep), polling
 * with backoff, and a stage that runs out of time says which stage stalled and what it saw last.
 */
import { GceError, IAP_HINT } from './errors.js';

/** How long each stage of bringing a VM up may take, in milliseconds. */
export interface StageTimeouts {
  /** The zone operation (create, start, stop, delete) reaching DONE. */
  readonly operation: number;
  /** The VM reaching the wanted state (RUNNING, TERMINATED, gone). */
  readonly state: number;
  /** The first SSH connection. */
  readonly ssh: number;
  /** The boot script's readiness marker (container pulled and running). */
  readonly ready: number;
}

/** Defaults sized for real GCE: images can take minutes to pull. */
export const DEFAULT_STAGE_TIMEOUTS: StageTimeouts = { operation: 5 * 60_000, state: 5 * 60_000, ssh: 5 * 60_000, ready: 10 * 60_000 };

/** What a stage's work gets: a signal aborted at the deadline, and a way to say what it saw last. */
export interface StageContext {
  readonly signal: AbortSignal;
  /** Records the latest observation (shown if the stage stalls). */
  note(observation: string): void;
}

const HINTS: Readonly<Record<string, string>> = {
  operation: 'The Compute operation is still pending: look at the VM in the Cloud console or with `gcloud compute operations list`, then try again',
  state: 'The VM did not reach the expected state: check it with `gcloud compute instances describe`, then try again',
  ssh:
    `Check that a firewall rule allows TCP 22 from your network, ${IAP_HINT} for the fallback, ` +
    'that your SSH key is on the VM (in your OS Login profile when OS Login is on), and its serial console ' +
    '(`gcloud compute instances get-serial-port-output`)',
  ready:
    'The boot script has not finished: look at its log on the VM (`sudo journalctl -u mission-control-worker` on COS, ' +
    '`sudo journalctl -u google-startup-scripts` on Linux); a large image can take minutes to pull',
};

/** Runs one stage with a deadline. `action` is what the whole operation is (`provisioning`, `starting` …). */
export async function runStage<T>(
  worker: string,
  action: string,
  stage: keyof StageTimeouts | string,
  timeoutMs: number,
  work: (context: StageContext) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let last = '';
  const stalled = () =>
    new GceError(
      'stalled',
      `${worker}: ${action} stalled at stage "${stage}": not done within ${formatSeconds(timeoutMs)}${last ? ` (last: ${last})` : ''}`,
      HINTS[stage] ?? 'Try again',
    );
  const timer = setTimeout(() => controller.abort(stalled()), timeoutMs);
  // The deadline holds even while the work awaits something that does not watch the signal.
  const deadline = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason)));
  deadline.catch(() => undefined);
  try {
    return await Promise.race([work({ signal: controller.signal, note: (observation) => (last = observation) }), deadline]);
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Counts refused logins while a VM boots: a few are expected (sshd answers before the guest agent has installed the
 * key), but once there were `limit` of them over at least `graceMs`, the key is not going to be accepted.
 */
export class RefusedLogins {
  #count = 0;
  #first: number | undefined;

  constructor(
    private readonly limit: number,
    private readonly graceMs: number,
  ) {}

  /** How many so far. */
  get count(): number {
    return this.#count;
  }

  /** Records one; true when it is time to give up. */
  add(now = Date.now()): boolean {
    this.#count += 1;
    this.#first ??= now;
    return this.#count >= this.limit && now - this.#first >= this.graceMs;
  }
}

/** Options for {@link pollUntil}. */
export interface PollOptions {
  /** First wait between checks; default 250 ms. */
  readonly initialMs?: number;
  /** Longest wait between checks; default 5 s. */
  readonly maxMs?: number;
}

/** Calls `check` until it returns a value, waiting longer after each miss; rejects when `signal` aborts. */
export async function pollUntil<T>(signal: AbortSignal, check: () => Promise<T | undefined>, options: PollOptions = {}): Promise<T> {
  let delay = options.initialMs ?? 250;
  const max = options.maxMs ?? 5000;
  for (;;) {
    signal.throwIfAborted();
    const value = await check();
    if (value !== undefined) return value;
    await sleep(delay, signal);
    delay = Math.min(max, Math.round(delay * 1.6));
  }
}

/** Waits `ms`; rejects with the signal's reason when it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
