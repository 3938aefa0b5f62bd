import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline/promises';
import type { CliIo, CliStream } from '../jobs/cli.js';
import type { AttachCommand } from '../providers/types.js';
import { sanitizeBlock } from '../text/sanitize.js';

/**
 * A stream whose every write is sanitized: whichever message carries a job's name, a worker's error or a log, the
 * terminal gets colours (SGR) at most, never a sequence that moves, retitles or writes the clipboard. Call sites
 * sanitize their remote parts as single lines (with marks) before; this pass is what holds when one forgets.
 */
export function terminalStream(stream: { write(text: string): unknown; once?(event: 'drain', listener: () => void): unknown }): CliStream {
  const write = (text: string) => stream.write(sanitizeBlock(text, { keepColor: true }));
  if (!stream.once) return { write };
  return { write, drained: () => new Promise((resolve) => stream.once!('drain', () => resolve())) };
}

/** The user's terminal for CLI commands: questions only when a person is there to answer them. */
export function terminalIo(signal: AbortSignal): CliIo {
  return {
    stdout: terminalStream(process.stdout),
    stderr: terminalStream(process.stderr),
    signal,
    async confirm(question) {
      if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`${sanitizeBlock(question)} [y/N] `);
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
