import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The built binary (`npm run build` first). */
export const BIN = join(import.meta.dirname, '../../bin/mission-control.js');

/** What one run of the binary printed, and its exit code. */
export interface BinaryRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built binary with `args` (no standard input), in `cwd` with exactly `env`. */
export function runBinary(args: readonly string[], options: { readonly cwd?: string; readonly env: NodeJS.ProcessEnv }): Promise<BinaryRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { ...(options.cwd ? { cwd: options.cwd } : {}), env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
