/** How a hook entry in an agent's settings calls `mc-hook`: through `sh`, by absolute path (no exec bit needed). */
import { shellJoin } from '../ssh/quote.js';
import { HOOK_SCRIPT } from './state-script.js';

/** The state a hook reports. */
export type HookState = 'working' | 'waiting' | 'done';

/** The argv of a hook: `sh <jobDir>/mc-hook STATE stdin|arg quiet|json`. */
export function hookArgv(jobDir: string, state: HookState, input: 'stdin' | 'arg', output: 'quiet' | 'json'): string[] {
  return ['sh', `${jobDir}/${HOOK_SCRIPT}`, state, input, output];
}

/** A hook's command line, for agents that run hooks through a shell. */
export function hookCommandLine(jobDir: string, state: HookState, output: 'quiet' | 'json'): string {
  return shellJoin(hookArgv(jobDir, state, 'stdin', output));
}
