/**
 * Claude Code. Hooks come from a settings file in the job's record directory passed with `--settings <file>`
 * (merged over the user's settings; their own files are not touched). Events: `UserPromptSubmit`, `PreToolUse` and
 * `PostToolUse` → working; `Notification` with the matchers `permission_prompt`, `idle_prompt` and
 * `elicitation_dialog` → waiting, its `message` the reason; `Stop` and `SessionEnd` → done. A hook gets one JSON
 * object on stdin; it prints nothing (some events add a hook's output to the conversation). See docs/agents.md.
 */
import { hookCommandLine, type HookState } from './hook-command.js';
import type { AgentPreset } from './types.js';

/** The settings file's name in the job's record directory. */
export const CLAUDE_SETTINGS_FILE = 'claude-settings.json';

const WAITING_MATCHERS = ['permission_prompt', 'idle_prompt', 'elicitation_dialog'];

/** The Claude Code preset. */
export const claudePreset: AgentPreset = {
  name: 'claude',
  program: 'claude',
  command: (prompt) => ['claude', prompt],
  wiring(jobDir) {
    const entry = (state: HookState, matcher?: string) => ({
      ...(matcher !== undefined ? { matcher } : {}),
      hooks: [{ type: 'command', command: hookCommandLine(jobDir, state, 'quiet') }],
    });
    const settings = {
      hooks: {
        UserPromptSubmit: [entry('working')],
        PreToolUse: [entry('working', '*')],
        PostToolUse: [entry('working', '*')],
        Notification: WAITING_MATCHERS.map((matcher) => entry('waiting', matcher)),
        Stop: [entry('done')],
        SessionEnd: [entry('done')],
      },
    };
    const file = `${jobDir}/${CLAUDE_SETTINGS_FILE}`;
    return { files: { [CLAUDE_SETTINGS_FILE]: `${JSON.stringify(settings, null, 2)}\n` }, args: ['--settings', file], env: {} };
  },
  // The permission dialog opens with "Yes" selected.
  approve: ['Enter'],
  resume: ['claude', '--continue'],
};
