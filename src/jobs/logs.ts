/**
 * A job's output log: its tail, and following it by polling with byte offsets (one short command per poll over
 * the pooled connection; the job never depends on the follower). Log text is the pane's raw output: callers
 * sanitize it before it reaches a terminal.
 */
import type { WorkerObserver } from '../providers/types.js';
import { shellPath } from '../scanners/session-host.js';
import { shellQuote } from '../ssh/quote.js';
import { SAFE_NAME } from './params.js';
import { JobStepError, observeScript, output } from './remote.js';

/** One read of the log from an offset. */
export interface LogChunk {
  /** The log's size in bytes when read. */
  readonly size: number;
  /** The byte offset `text` starts at. */
  readonly offset: number;
  readonly text: string;
  /** The recorded exit code, once the job has ended. */
  readonly exitCode: number | undefined;
}

/** Reads the log from `offset` (or its last `tailBytes` when no offset is given). */
export async function readLogChunk(
  provider: WorkerObserver,
  stateDir: string,
  id: string,
  from: { offset: number } | { tailBytes: number },
): Promise<LogChunk> {
  if (!SAFE_NAME.test(id)) throw new JobStepError('logs', provider.name, `${JSON.stringify(id)} has no job record (a session started by hand)`);
  const start = 'offset' in from ? `o=${Math.max(0, Math.floor(from.offset))}` : `n=${Math.max(0, Math.floor(from.tailBytes))}; o=$((s > n ? s - n : 0))`;
  const script = [
    `jd=${shellPath(stateDir)}/jobs/${shellQuote(id)}; f=$jd/output.log`,
    "[ -f \"$f\" ] || { printf 'MISSING\\n'; exit 0; }",
    'e=-; [ -f "$jd/exit" ] && { e=$(head -n 1 "$jd/exit"); [ -n "$e" ] || e=-; }',
    's=$(wc -c <"$f"); s=$((s))',
    start,
    '[ "$o" -gt "$s" ] && o=$s',
    "printf '%s %s %s\\n' \"$s\" \"$o\" \"$e\"",
    '[ "$s" -gt "$o" ] && tail -c +$((o + 1)) "$f" | head -c $((s - o))',
    'exit 0',
  ].join('\n');
  const result = await observeScript(provider, script, { step: 'logs' });
  if (result.code !== 0) throw new JobStepError('logs', provider.name, output(result));
  const newline = result.stdout.indexOf('\n');
  const head = result.stdout.slice(0, newline < 0 ? undefined : newline);
  if (head === 'MISSING') throw new JobStepError('logs', provider.name, `job ${id} has no output log`);
  const match = /^(\d+) (\d+) (-?\d+|-)$/.exec(head.trim());
  if (!match) throw new JobStepError('logs', provider.name, `unexpected answer: ${output(result)}`);
  return {
    size: Number(match[1]),
    offset: Number(match[2]),
    text: newline < 0 ? '' : result.stdout.slice(newline + 1),
    exitCode: match[3] === '-' ? undefined : Number(match[3]),
  };
}

/** Options for {@link followLog}. */
export interface FollowOptions {
  /** Bytes of history to show first; default 8 KiB. */
  readonly tailBytes?: number;
  /** Poll interval; default 500 ms. */
  readonly intervalMs?: number;
  /** Stops following. */
  readonly signal?: AbortSignal;
}

/**
 * Writes the log's tail, then everything appended to it, until the job's exit code is recorded and the log has
 * been read to its end, or `signal` aborts. Resolves to the exit code (undefined when aborted first).
 */
export async function followLog(
  provider: WorkerObserver,
  stateDir: string,
  id: string,
  write: (text: string) => void,
  options: FollowOptions = {},
): Promise<number | undefined> {
  let chunk = await readLogChunk(provider, stateDir, id, { tailBytes: options.tailBytes ?? 8192 });
  for (;;) {
    if (chunk.text) write(chunk.text);
    if (chunk.exitCode !== undefined) {
      // The wrapper writes `exit` after the job's last output, but the pane copy may lag by a moment: one last read.
      await sleep(Math.min(options.intervalMs ?? 500, 200), options.signal);
      const last = await readLogChunk(provider, stateDir, id, { offset: chunk.size });
      if (last.text) write(last.text);
      return chunk.exitCode;
    }
    if (options.signal?.aborted) return undefined;
    await sleep(options.intervalMs ?? 500, options.signal);
    if (options.signal?.aborted) return undefined;
    // The worker sent exactly the bytes up to `size`: offsets are its byte counts, never lengths of decoded text.
    chunk = await readLogChunk(provider, stateDir, id, { offset: chunk.size });
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
