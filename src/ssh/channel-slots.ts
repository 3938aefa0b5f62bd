/**
 * A counting semaphore for session channels on one connection (OpenSSH refuses sessions past MaxSessions, 10 by
 * default, and ssh2 fails the open rather than waiting, so the pool waits here instead), and for SSH handshakes
 * in flight across every pool (see `handshake.ts`).
 */

/** Hands out at most `limit` slots at a time; later callers wait in FIFO order. */
export class ChannelSlots {
  #inUse = 0;
  readonly #waiting: Array<{ grant: () => void; fail: (error: unknown) => void }> = [];

  /** `setting` names the option the limit came from, for the error a bad value gets. */
  constructor(readonly limit: number, setting = 'maxChannelsPerConnection') {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`${setting} must be a positive integer, got ${limit}`);
  }

  /** Slots in use right now. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts while waiting. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#inUse < this.limit) {
      this.#inUse++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#releaser());
        },
        fail: reject,
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** Rejects every waiting caller (used when the connection is closed for good). */
  failWaiting(error: unknown): void {
    for (const waiter of this.#waiting.splice(0)) waiter.fail(error);
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so a newcomer cannot overtake the queue.
      if (next) next.grant();
      else this.#inUse--;
    };
  }
}
