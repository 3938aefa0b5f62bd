/**
 * The built binary as the user runs it (`node bin/mission-control.js …`), and a child process that launches
 * in-process as the dashboard does: both watched line by line so a case can SIGKILL them at a named moment,
 * always bounded in time.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** The package root. */
export const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'mission-control.js');

/** How a child run ended. */
export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** Bytes written to stdout (kept even when `discardStdout`). */
  readonly stdoutBytes: number;
  /** Peak resident set (VmHWM, KiB) read from /proc while it ran. */
  readonly peakKb: number;
  readonly timedOut: boolean;
  /** The line `killOn` matched, when the child was killed for it. */
  readonly killedAt?: string;
}

/** Options of {@link runChild}. */
export interface ChildOptions {
  readonly timeoutMs: number;
  /** SIGKILL the child as soon as a line of its stdout or stderr matches. */
  readonly killOn?: RegExp;
  /** Count stdout bytes but keep none of them (a 200 MB log). */
  readonly discardStdout?: boolean;
  /** Called once the child runs, with its pid. */
  readonly started?: (pid: number) => void;
}

/** Runs the built CLI with `args` and the suite's config. */
export function runCli(configPath: string, args: readonly string[], options: ChildOptions): Promise<ChildRun> {
  return runChild(process.execPath, [BIN, ...args, '--config', configPath], options);
}

/** Runs `launch-child.ts` (an in-process launch with the fleet polling, as in the dashboard). */
export function runLaunchChild(configPath: string, worker: string, kind: string, n: string, options: ChildOptions): Promise<ChildRun> {
  return runChild(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'faults', 'launch-child.ts'), configPath, worker, kind, n], options);
}

function vmHwm(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function runChild(file: string, args: readonly string[], options: ChildOptions): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, [...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let stdoutBytes = 0;
    let peakKb = 0;
    let killedAt: string | undefined;
    let timedOut = false;
    const pending = { out: '', err: '' };
    const scan = (which: 'out' | 'err', text: string) => {
      if (!options.killOn || killedAt !== undefined) return;
      pending[which] += text;
      const lines = pending[which].split('\n');
      pending[which] = lines.pop() ?? '';
      for (const line of lines) {
        if (options.killOn.test(line)) {
          killedAt = line.trim();
          child.kill('SIGKILL');
          return;
        }
      }
    };
    child.stdout!.on('data', (d: Buffer) => {
      stdoutBytes += d.length;
      if (!options.discardStdout) stdout += d.toString();
      scan('out', d.toString());
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      scan('err', d.toString());
    });
    if (child.pid) options.started?.(child.pid);
    const sampler = setInterval(() => child.pid && (peakKb = Math.max(peakKb, vmHwm(child.pid))), 100);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearInterval(sampler);
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', () => {
      if (child.pid) peakKb = Math.max(peakKb, vmHwm(child.pid));
    });
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started, stdoutBytes, peakKb, timedOut, ...(killedAt ? { killedAt } : {}) });
    });
  });
}
