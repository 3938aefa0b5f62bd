/**
 * A job's output log: its tail, and following it by polling with byte offsets (one short command per poll over
 * the pooled connection; the job never depends on the follower). Every read returns at most {@link LOG_READ_BYTES}:
 * a long backlog, or a burst of output between two polls, is read in pieces and written out piece by piece, so
 * memory stays bounded whatever the log's size. Log text is the pane's raw output: callers sanitize it before it
 * reaches a terminal.
 */
import type { WorkerObserver } from '../providers/types.js';
import { shellPath } from '../scanners/session-host.js';
import { isJobId } from '../scanners/worker-scan/job-id.js';
import { shellQuote } from '../ssh/quote.js';
import { JobStepError, observeScript, output } from './remote.js';

/** The most one read of a log returns. */
export const LOG_READ_BYTES = 1024 * 1024;

/** How much of the log `logs` shows before following it, unless `--bytes` says otherwise (as `tail -f` does). */
export const DEFAULT_TAIL_BYTES = 16 * 1024;

/** One read of the log from an offset. */
export interface LogChunk {
  /** The log's size in bytes when read. */
  readonly size: number;
  /** The byte offset `text` starts at. */
  readonly offset: number;
  /** The byte offset where this read stopped: `size`, or less when more was there than one read returns. */
  readonly end: number;
  readonly text: string;
  /** The recorded exit code, once the job has ended. */
  readonly exitCode: number | undefined;
}

/**
 * Reads the log from `offset` (or its last `tailBytes` when no offset is given), at most `maxBytes` of it
 * (default {@link LOG_READ_BYTES}); `end` says where the next read starts.
 */
export async function readLogChunk(
  provider: WorkerObserver,
  stateDir: string,
  id: string,
  from: { offset: number } | { tailBytes: number },
  maxBytes: number = LOG_READ_BYTES,
): Promise<LogChunk> {
  if (!isJobId(id)) throw new JobStepError('logs', provider.name, `${JSON.stringify(id)} has no job record (a session started by hand)`);
  const start = 'offset' in from ? `o=${Math.max(0, Math.floor(from.offset))}` : `n=${Math.max(0, Math.floor(from.tailBytes))}; o=$((s > n ? s - n : 0))`;
  const most = Math.max(1, Math.floor(maxBytes));
  const script = [
    `jd=${shellPath(stateDir)}/jobs/${shellQuote(id)}; f=$jd/output.log`,
    "[ -f \"$f\" ] || { printf 'MISSING\\n'; exit 0; }",
    'e=-; [ -f "$jd/exit" ] && { e=$(head -c 64 "$jd/exit" | head -n 1); [ -n "$e" ] || e=-; }',
    's=$(wc -c <"$f"); s=$((s))',
    start,
    '[ "$o" -gt "$s" ] && o=$s',
    `c=$((s - o)); [ "$c" -gt ${most} ] && c=${most}`,
    "printf '%s %s %s %s\\n' \"$s\" \"$o\" \"$c\" \"$e\"",
    '[ "$c" -gt 0 ] && tail -c +$((o + 1)) "$f" | head -c "$c"',
    'exit 0',
  ].join('\n');
  const result = await observeScript(provider, script, { step: 'logs' });
  if (result.code !== 0) throw new JobStepError('logs', provider.name, output(result));
  const newline = result.stdout.indexOf('\n');
  const head = result.stdout.slice(0, newline < 0 ? undefined : newline);
  if (head === 'MISSING') throw new JobStepError('logs', provider.name, `job ${id} has no output log`);
  const match = /^(\d+) (\d+) (\d+) (-?\d+|-)$/.exec(head.trim());
  if (!match) throw new JobStepError('logs', provider.name, `unexpected answer: ${output(result)}`);
  const offset = Number(match[2]);
  return {
    size: Number(match[1]),
    offset,
    // The worker's byte counts, never lengths of decoded text: offsets stay exact whatever the log holds.
    end: offset + Number(match[3]),
    text: newline < 0 ? '' : result.stdout.slice(newline + 1),
    exitCode: match[4] === '-' ? undefined : Number(match[4]),
  };
}

/**
 * Writes the log's last `tailBytes` (as it was at the first read), in pieces of at most {@link LOG_READ_BYTES}.
 * Resolves to the last piece read.
 */
export async function writeLogTail(
  provider: WorkerObserver,
  stateDir: string,
  id: string,
  tailBytes: number,
  write: LogWriter,
): Promise<LogChunk> {
  let last = await readLogChunk(provider, stateDir, id, { tailBytes });
  const until = last.size;
  if (last.text) await write(last.text);
  while (last.end < until) {
    const next = await readLogChunk(provider, stateDir, id, { offset: last.end }, Math.min(LOG_READ_BYTES, until - last.end));
    if (next.text) await write(next.text);
    // The log was cut shorter meanwhile: nothing more to read up to `until`.
    if (next.end <= next.offset) return next;
    last = next;
  }
  return last;
}

/**
 * Where log text goes. A writer that returns a promise holds the next read until it resolves (a terminal or pipe
 * that is slower than the worker), so what is buffered stays within one piece of {@link LOG_READ_BYTES}.
 */
export type LogWriter = (text: string) => void | Promise<void>;

/** Options for {@link followLog}. */
export interface FollowOptions {
  /** Bytes of history to show first; default {@link DEFAULT_TAIL_BYTES}. */
  readonly tailBytes?: number;
  /** Poll interval; default 500 ms. */
  readonly intervalMs?: number;
  /** Stops following. */
  readonly signal?: AbortSignal;
}

/**
 * Writes the log's tail, then everything appended to it, until the job's exit code is recorded and the log has
 * been read to its end, or `signal` aborts. Resolves to the exit code (undefined when aborted first). Output that
 * arrives faster than one read returns is read again at once, without waiting for the next poll.
 */
export async function followLog(
  provider: WorkerObserver,
  stateDir: string,
  id: string,
  write: LogWriter,
  options: FollowOptions = {},
): Promise<number | undefined> {
  const readOn = async (from: LogChunk): Promise<LogChunk> => {
    const next = await readLogChunk(provider, stateDir, id, { offset: from.end });
    if (next.text) await write(next.text);
    return next;
  };
  let chunk = await writeLogTail(provider, stateDir, id, options.tailBytes ?? DEFAULT_TAIL_BYTES, write);
  for (;;) {
    if (options.signal?.aborted) return undefined;
    if (chunk.end < chunk.size) {
      chunk = await readOn(chunk);
      continue;
    }
    if (chunk.exitCode !== undefined) {
      // The wrapper writes `exit` after the job's last output, but the pane copy may lag by a moment: one last look.
      await sleep(Math.min(options.intervalMs ?? 500, 200), options.signal);
      let last = await readOn(chunk);
      while (last.end < last.size) last = await readOn(last);
      return chunk.exitCode;
    }
    await sleep(options.intervalMs ?? 500, options.signal);
    if (options.signal?.aborted) return undefined;
    chunk = await readOn(chunk);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
