/**
 * Reads a watcher's output stream (see `command.ts`) into events. Frame lines start with the stream's secret marker,
 * which nothing on the worker but the watcher knows: bytes outside a frame (a login shell's chatter) are dropped, and
 * a pushed scan's body ends only at the watcher's own `END` line, so a session name or a file cannot cut it short or
 * start a frame. A body larger than its cap is dropped whole (reported as `oversized`), never held in memory.
 */

/** One thing a watcher said. */
export type WatcherEvent =
  | { readonly kind: 'up' }
  | { readonly kind: 'down' }
  | { readonly kind: 'fail'; readonly reason: string }
  | { readonly kind: 'scan'; readonly nonce: string; readonly output: string }
  | { readonly kind: 'oversized'; readonly bytes: number };

/** The longest frame line (marker, word and nonce) the reader looks for. */
const MAX_FRAME_LINE = 256;

/** Splits a watcher's stdout into {@link WatcherEvent}s, chunk by chunk. */
export class WatcherStreamReader {
  readonly #start: Buffer;
  readonly #maxScanBytes: number;
  #pending: Buffer = Buffer.alloc(0);
  /** The nonce of the scan whose body is being read, or undefined between frames. */
  #nonce: string | undefined;
  #bodyParts: Buffer[] = [];
  #bodyBytes = 0;
  #dropping = false;

  /** `marker` is `frameMarker(secret)`; a pushed scan longer than `maxScanBytes` is dropped. */
  constructor(marker: string, maxScanBytes: number) {
    this.#start = Buffer.from(`\n${marker} `);
    this.#maxScanBytes = maxScanBytes;
  }

  /** Takes the next chunk of output and returns the events it completed. */
  push(chunk: Buffer): WatcherEvent[] {
    const events: WatcherEvent[] = [];
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    for (;;) {
      const at = this.#pending.indexOf(this.#start);
      if (at < 0) {
        // Keep what could be the beginning of a marker; the rest is body (in a scan) or noise (between frames).
        const keep = Math.min(this.#pending.length, this.#start.length - 1);
        this.#body(this.#pending.subarray(0, this.#pending.length - keep));
        this.#pending = Buffer.from(this.#pending.subarray(this.#pending.length - keep));
        return events;
      }
      const lineEnd = this.#pending.indexOf(0x0a, at + this.#start.length);
      if (lineEnd < 0) {
        if (this.#pending.length - at > this.#start.length + MAX_FRAME_LINE) {
          // Not a frame line after all (the watcher never writes one this long): treat it as body.
          this.#body(this.#pending.subarray(0, at + 1));
          this.#pending = Buffer.from(this.#pending.subarray(at + 1));
          continue;
        }
        this.#body(this.#pending.subarray(0, at));
        this.#pending = Buffer.from(this.#pending.subarray(at));
        return events;
      }
      this.#body(this.#pending.subarray(0, at));
      const words = this.#pending.subarray(at + this.#start.length, lineEnd).toString('latin1').split(' ');
      this.#pending = this.#pending.subarray(lineEnd + 1);
      this.#frameLine(words, events);
    }
  }

  #frameLine(words: string[], events: WatcherEvent[]): void {
    const [word, ...rest] = words;
    if (word === 'END' && this.#nonce !== undefined && rest[0] === this.#nonce) {
      if (this.#dropping) events.push({ kind: 'oversized', bytes: this.#bodyBytes });
      else events.push({ kind: 'scan', nonce: this.#nonce, output: Buffer.concat(this.#bodyParts).toString('utf8') });
      this.#nonce = undefined;
      return;
    }
    // Any other frame line ends a scan that never got its END (the watcher was cut off mid-scan).
    this.#nonce = undefined;
    if (word === 'BEGIN' && /^[0-9a-f]{8,64}$/.test(rest[0] ?? '')) {
      this.#nonce = rest[0];
      this.#bodyParts = [];
      this.#bodyBytes = 0;
      this.#dropping = false;
    } else if (word === 'UP') events.push({ kind: 'up' });
    else if (word === 'DOWN') events.push({ kind: 'down' });
    else if (word === 'FAIL') events.push({ kind: 'fail', reason: rest.join(' ') });
  }

  #body(bytes: Buffer): void {
    if (this.#nonce === undefined || bytes.length === 0) return;
    this.#bodyBytes += bytes.length;
    if (this.#dropping) return;
    if (this.#bodyBytes > this.#maxScanBytes) {
      this.#dropping = true;
      this.#bodyParts = [];
      return;
    }
    this.#bodyParts.push(Buffer.from(bytes));
  }
}
