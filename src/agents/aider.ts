/**
 * Aider. It has no hooks, only `--notifications-command`: a shell command it runs (instead of ringing the terminal
 * bell) when it waits for its user, both at a `(Y)es/(N)o` confirmation and at its input prompt. The preset points
 * that command at `mc-hook waiting` for the job; the end of the run is the end of the program (`--message` does one
 * thing and exits). Its confirmations are also matched on the screen ({@link AIDER_WAITING_PATTERNS}).
 */
import { shellJoin } from '../ssh/quote.js';
import { hookCommandLine } from './hook-command.js';
import type { AgentPreset } from './types.js';

/** The reason a notification from aider reports (it says nothing about why it waits). */
export const AIDER_WAITING_REASON = 'aider waits for input';

/** Aider's confirmation prompts, e.g. `Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]:`. */
export const AIDER_WAITING_PATTERNS: readonly string[] = ['\\(Y\\)es/\\(N\\)o.*\\[(Yes|No)\\]: *$'];

/** The Aider preset. */
export const aiderPreset: AgentPreset = {
  name: 'aider',
  program: 'aider',
  command: (prompt) => ['aider', '--message', prompt],
  wiring(jobDir) {
    // Aider runs the command through a shell and gives it nothing: the reason is fed to mc-hook as its JSON.
    const message = shellJoin(['printf', '%s', JSON.stringify({ message: AIDER_WAITING_REASON })]);
    return { files: {}, args: ['--notifications', '--notifications-command', `${message} | ${hookCommandLine(jobDir, 'waiting', 'quiet')}`], env: {} };
  },
  // A confirmation takes `y` and Enter (Enter alone takes the default shown in brackets).
  approve: ['y', 'Enter'],
  resume: ['aider', '--restore-chat-history'],
  waitingPatterns: AIDER_WAITING_PATTERNS,
};
