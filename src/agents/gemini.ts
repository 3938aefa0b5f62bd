/**
 * Gemini CLI. Hooks come from a settings file in the job's record directory, named by the environment variable
 * `GEMINI_CLI_SYSTEM_SETTINGS_PATH` (the system settings layer, which has the last word, so `hooksConfig.enabled`
 * holds whatever the user's own settings say; the machine's own system settings file is not read for the job).
 * Events: `BeforeAgent` and `AfterTool` → working; `Notification` → waiting, its `message` the reason;
 * `AfterAgent` and `SessionEnd` → done. A hook gets JSON on stdin and must print only JSON: it prints `{}`.
 */
import { hookCommandLine, type HookState } from './hook-command.js';
import type { AgentPreset } from './types.js';

/** The settings file's name in the job's record directory. */
export const GEMINI_SETTINGS_FILE = 'gemini-settings.json';

/** The environment variable that points Gemini CLI at a system settings file. */
export const GEMINI_SETTINGS_ENV = 'GEMINI_CLI_SYSTEM_SETTINGS_PATH';

/** The Gemini CLI preset. */
export const geminiPreset: AgentPreset = {
  name: 'gemini',
  program: 'gemini',
  command: (prompt) => ['gemini', '--prompt-interactive', prompt],
  wiring(jobDir) {
    const entry = (state: HookState, matcher = '*') => ({
      matcher,
      hooks: [{ name: `mission-control-${state}`, type: 'command', command: hookCommandLine(jobDir, state, 'json') }],
    });
    const settings = {
      hooksConfig: { enabled: true },
      hooks: {
        BeforeAgent: [entry('working')],
        AfterTool: [entry('working')],
        Notification: [entry('waiting')],
        AfterAgent: [entry('done')],
        SessionEnd: [entry('done')],
      },
    };
    return {
      files: { [GEMINI_SETTINGS_FILE]: `${JSON.stringify(settings, null, 2)}\n` },
      args: [],
      env: { [GEMINI_SETTINGS_ENV]: `${jobDir}/${GEMINI_SETTINGS_FILE}` },
    };
  },
  // The permission dialog opens with "Allow once" selected.
  approve: ['Enter'],
  resume: ['gemini', '--resume', 'latest'],
};
