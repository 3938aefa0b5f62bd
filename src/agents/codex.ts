/**
 * Codex CLI. Its `notify` program, set for the job alone with `-c notify=[…]` on the command line (the user's
 * `config.toml` is not touched), runs at the end of each turn with one JSON argument (`type`:
 * `agent-turn-complete`) → done. Codex reports nothing else through `notify`: a job stays done until its next turn
 * ends (docs/agents.md).
 */
import { hookArgv } from './hook-command.js';
import type { AgentPreset } from './types.js';

/** The Codex CLI preset. */
export const codexPreset: AgentPreset = {
  name: 'codex',
  program: 'codex',
  command: (prompt) => ['codex', prompt],
  wiring(jobDir) {
    // A TOML array of strings: JSON's string escapes are TOML's basic-string escapes.
    const notify = JSON.stringify(hookArgv(jobDir, 'done', 'arg', 'quiet'));
    return { files: {}, args: ['-c', `notify=${notify}`], env: {} };
  },
  // The approval prompt takes `y` for "yes, run it".
  approve: ['y'],
  resume: ['codex', 'resume', '--last'],
};
