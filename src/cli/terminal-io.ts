import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline/promises';
import type { CliIo } from '../jobs/cli.js';
import type { AttachCommand } from '../providers/types.js';

/** The user's terminal for CLI commands: questions only when a person is there to answer them. */
export function terminalIo(signal: AbortSignal): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    signal,
    async confirm(question) {
      if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`${question} [y/N] `);
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
    attach: runInTerminal,
  };
}

/** Runs a program on this terminal (an attach) and resolves to its exit code. */
export function runInTerminal(command: AttachCommand): Promise<number> {
  const [file, ...args] = command.argv;
  if (!file) return Promise.resolve(2);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env: { ...process.env, ...command.env } });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}
