import type { CliIo } from '../../src/jobs/cli.js';

/** A terminal for a CLI handler that keeps what was written; `confirm` answers `answer` to every question. */
export function captureIo(answer = false): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    confirm: async () => answer,
    out: () => out,
    err: () => err,
  };
}
