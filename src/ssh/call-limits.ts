/**
 * Small AbortSignal tools for bounding a call: one signal that fires on a deadline or when the caller
 * aborts, and waits that give up as soon as that signal fires (clearing their timers, so nothing keeps
 * the process alive after the pool is closed).
 */

/** A call's combined signal and the function that releases its timer and listener. */
export interface CallLimit {
  readonly signal: AbortSignal;
  clear(): void;
}

/** A signal that aborts after `timeoutMs` (with `onTimeout()` as the reason) or when `outer` aborts. */
export function callLimit(timeoutMs: number | undefined, outer: AbortSignal | undefined, onTimeout: () => Error): CallLimit {
  const controller = new AbortController();
  const onOuter = () => controller.abort(outer!.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(onTimeout()), timeoutMs);
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal.reason));
    const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
