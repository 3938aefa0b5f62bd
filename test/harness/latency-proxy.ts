import { connect, createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LatencyProxyOptions {
  targetHost?: string;
  targetPort: number;
  oneWayDelayMs: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** In-flight bytes per direction before reading pauses; default 8 MiB. */
  maxBufferedBytes?: number;
}

export interface LatencyProxy {
  readonly host: string;
  readonly port: number;
  /** Open client connections. */
  connections(): number;
  /** Changes the one-way delay for chunks received from now on (order is still kept). */
  setOneWayDelay(ms: number): void;
  /** Stops listening and closes every connection. */
  stop(): Promise<void>;
}

type Item = { at: number; kind: 'data'; chunk: Buffer } | { at: number; kind: 'end' | 'destroy' };

/** One direction: reads `src`, writes to `dst` `delay()` ms later. */
class DelayedPipe {
  private readonly queue: Item[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private bytes = 0;
  private dstBlocked = false;
  private finished = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly delay: () => number,
    private readonly maxBytes: number,
  ) {
    src.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      this.push({ at: performance.now() + this.delay(), kind: 'data', chunk });
      this.updateFlow();
    });
    src.on('end', () => this.push({ at: performance.now() + this.delay(), kind: 'end' }));
    src.on('close', () => this.push({ at: performance.now() + this.delay(), kind: 'destroy' }));
    dst.on('drain', () => {
      this.dstBlocked = false;
      this.updateFlow();
    });
  }

  private push(item: Item) {
    if (this.finished) return;
    if (item.kind !== 'data') this.finished = item.kind === 'destroy';
    this.queue.push(item);
    if (!this.timer) this.schedule();
  }

  private schedule() {
    const next = this.queue[this.head];
    if (!next) {
      this.queue.length = 0;
      this.head = 0;
      return;
    }
    const wait = Math.max(0, Math.ceil(next.at - performance.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush() {
    const now = performance.now();
    for (let item = this.queue[this.head]; item && item.at <= now; item = this.queue[this.head]) {
      this.head++;
      if (item.kind === 'data') {
        this.bytes -= item.chunk.length;
        if (!this.dst.destroyed && !this.dst.write(item.chunk)) this.dstBlocked = true;
      } else if (item.kind === 'end') {
        if (!this.dst.destroyed) this.dst.end();
      } else if (!this.dst.destroyed) {
        // the source closed without (or after) a FIN: let written data go, then close
        if (this.dst.writableEnded) this.dst.destroySoon();
        else this.dst.end(() => this.dst.destroy());
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.updateFlow();
    this.schedule();
  }

  private updateFlow() {
    if (this.dstBlocked || this.bytes > this.maxBytes) this.src.pause();
    else if (this.src.isPaused()) this.src.resume();
  }

  cancel() {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
  }
}

/**
 * A user-space TCP proxy on loopback that adds a fixed one-way delay to every chunk in each direction, keeping order
 * (the kernel here has no netem). RTT = 2 × `oneWayDelayMs`: 25 ms each way gives 50 ms round trips.
 *
 * Half-closes (FIN) and resets are delayed like data. Backpressure: a direction stops reading while the receiver is
 * not draining or more than `maxBufferedBytes` are in flight.
 *
 * @example
 * const proxy = await startLatencyProxy({ targetHost: sshd.host, targetPort: sshd.port, oneWayDelayMs: 25 });
 * // connect the product to 127.0.0.1:proxy.port instead of sshd.port (same host key: add a known_hosts line for it)
 * await proxy.stop();
 */
export function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const listenHost = options.host ?? '127.0.0.1';
  const targetHost = options.targetHost ?? '127.0.0.1';
  const maxBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  let delayMs = options.oneWayDelayMs;
  const delay = () => delayMs;
  const live = new Set<{ client: Socket; upstream: Socket; pipes: DelayedPipe[] }>();

  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const upstream = connect({ host: targetHost, port: options.targetPort, allowHalfOpen: true });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const conn = { client, upstream, pipes: [] as DelayedPipe[] };
    live.add(conn);
    // Errors (ECONNRESET, ECONNREFUSED) end in 'close', which the pipes forward as a delayed close.
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    conn.pipes.push(new DelayedPipe(client, upstream, delay, maxBytes), new DelayedPipe(upstream, client, delay, maxBytes));
    let closed = 0;
    const onClose = () => {
      if (++closed === 2) {
        for (const p of conn.pipes) p.cancel();
        live.delete(conn);
      }
    };
    client.once('close', onClose);
    upstream.once('close', onClose);
    client.resume();
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      let stopping: Promise<void> | undefined;
      resolve({
        host: listenHost,
        port,
        connections: () => live.size,
        setOneWayDelay(ms: number) {
          delayMs = ms;
        },
        stop() {
          stopping ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const conn of live) {
              for (const p of conn.pipes) p.cancel();
              conn.client.destroy();
              conn.upstream.destroy();
            }
            live.clear();
          });
          return stopping;
        },
      });
    });
  });
}
