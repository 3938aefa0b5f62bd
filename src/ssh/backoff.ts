/**
 * Reconnect pacing: after each failed connect the next attempt waits twice as long (with jitter, so a
 * fleet that lost its network does not reconnect in lockstep), up to a cap; a success starts over.
 */

/** Options for {@link Backoff}. */
export interface BackoffOptions {
  /** Delay after the first failure; default 500 ms. */
  readonly initialMs?: number;
  /** Longest delay; default 30 s. */
  readonly maxMs?: number;
  /** Source of randomness in [0, 1); replaceable for tests. */
  readonly random?: () => number;
}

/** Tracks consecutive connect failures and when the next attempt is allowed. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #failures = 0;
  #nextAttemptAt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 500;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#random = options.random ?? Math.random;
  }

  /** Consecutive failures since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /** Epoch milliseconds before which no attempt should be made (0 when one may be made now). */
  get nextAttemptAt(): number {
    return this.#nextAttemptAt;
  }

  /** Milliseconds until the next attempt is allowed (0 when it is allowed now). */
  remainingMs(now = Date.now()): number {
    return Math.max(0, this.#nextAttemptAt - now);
  }

  /** Records a failure and returns the delay chosen before the next attempt. */
  fail(now = Date.now()): number {
    this.#failures++;
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#failures - 1, 30));
    // "Equal jitter": at least half the ceiling, so the delay still grows, plus a random share of the rest.
    const delay = Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
    this.#nextAttemptAt = now + delay;
    return delay;
  }

  /** Records a success: the next failure starts from the initial delay again. */
  succeed(): void {
    this.#failures = 0;
    this.#nextAttemptAt = 0;
  }
}
