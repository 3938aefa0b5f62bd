/**
 * The built binary in a real terminal for the benches: a pseudo-terminal made by util-linux `script`, sized with
 * `stty`, whose output arrives here byte for byte as the program writes it. Frames are counted at the end of
 * Ink's synchronized-output block, so a frame is timed when its last byte reached the terminal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { shellJoin } from '../src/ssh/quote.js';

/** Where a synchronized frame ends (DEC mode 2026 off). */
const FRAME_END = '\x1b[?2026l';

/** A program running in a pseudo-terminal. */
export interface PtyProgram {
  /** The program's pid (the process `script` runs, after its shell exec'd it). */
  readonly pid: number;
  /** When it was spawned (performance.now()). */
  readonly startedAt: number;
  /** Frames seen so far, each with the time its last byte arrived and the text written since the previous one. */
  readonly frames: readonly { readonly at: number; readonly text: string }[];
  /** Resolves with the first frame (at or after `from`) whose text passes `test`. */
  frameWhere(test: (text: string) => boolean, timeoutMs: number, what: string, from?: number): Promise<{ at: number; text: string }>;
  /** Types into the terminal. */
  type(keys: string): void;
  /** Ends the program (SIGTERM to its pid, then SIGKILL) and the terminal. */
  stop(): Promise<void>;
}

/** Runs `argv` with `env` added in a `columns`×`rows` pseudo-terminal. */
export async function startInPty(argv: readonly string[], env: Record<string, string>, columns = 120, rows = 40): Promise<PtyProgram> {
  const startedAt = performance.now();
  const command = `stty cols ${columns} rows ${rows}; exec ${shellJoin(['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv])}`;
  const child: ChildProcess = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const frames: { at: number; text: string }[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    let end = pending.indexOf(FRAME_END);
    while (end >= 0) {
      frames.push({ at: performance.now(), text: pending.slice(0, end) });
      pending = pending.slice(end + FRAME_END.length);
      end = pending.indexOf(FRAME_END);
    }
    for (const wake of waiters) wake();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = await programPid(child.pid!);
  return {
    pid,
    startedAt,
    frames,
    frameWhere(test, timeoutMs, what, from = 0) {
      return new Promise((resolve, reject) => {
        let checked = 0;
        const check = () => {
          for (; checked < frames.length; checked += 1) {
            const frame = frames[checked]!;
            if (frame.at >= from && test(frame.text)) return finish(() => resolve(frame));
          }
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    type(keys) {
      child.stdin!.write(keys);
    },
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
        child.kill('SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The pid of the program `script` started: its only child, once that child has exec'd past the shell. */
async function programPid(scriptPid: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const children = `/proc/${scriptPid}/task/${scriptPid}/children`;
    const [pid] = existsSync(children) ? readFileSync(children, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
    if (pid && !['sh', 'env'].includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) return pid;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error('the program did not start in its terminal within 10 s');
}
