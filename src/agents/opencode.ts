/**
 * OpenCode. Hooks are plugins: JavaScript modules found in the `plugins/` directory of its config directories. The
 * preset writes one into `<job dir>/opencode/plugins/` and names that directory with `OPENCODE_CONFIG_DIR`, which
 * OpenCode searches like a project's `.opencode` (the user's own config is still read; nothing is written to it).
 * The plugin's `event` hook maps OpenCode's bus events: `permission.asked` (`permission.updated` before 1.x) →
 * waiting, a `session.status` of `busy` and `tool.execute.after` → working, `session.idle` → done.
 */
import { hookArgv } from './hook-command.js';
import type { AgentPreset } from './types.js';

/** The plugin's path in the job's record directory. */
export const OPENCODE_PLUGIN_FILE = 'opencode/plugins/mission-control.js';

/** The environment variable that adds a config directory to OpenCode's search. */
export const OPENCODE_CONFIG_DIR_ENV = 'OPENCODE_CONFIG_DIR';

/** The text of the plugin for the job whose record directory is `jobDir`. */
export function opencodePlugin(jobDir: string): string {
  const argv = (state: 'working' | 'waiting' | 'done') => JSON.stringify(hookArgv(jobDir, state, 'stdin', 'quiet'));
  return [
    '// mission-control: reports this job\'s state from OpenCode\'s events. Never throws, prints nothing.',
    "import { spawnSync } from 'node:child_process';",
    'const report = (argv, message) => {',
    "  try { spawnSync(argv[0], argv.slice(1), { input: JSON.stringify({ message: message ?? '' }), stdio: ['pipe', 'ignore', 'ignore'], timeout: 5000 }); } catch {}",
    '};',
    'export const MissionControl = async () => ({',
    '  event: async ({ event }) => {',
    '    const p = event?.properties ?? {};',
    "    if (event?.type === 'permission.asked' || event?.type === 'permission.updated') {",
    `      report(${argv('waiting')}, 'OpenCode asks permission' + (typeof p.title === 'string' ? ': ' + p.title : ''));`,
    `    } else if (event?.type === 'session.status' && p.status?.type === 'busy') report(${argv('working')});`,
    `    else if (event?.type === 'session.idle') report(${argv('done')});`,
    '  },',
    `  'tool.execute.after': async () => report(${argv('working')}),`,
    '});',
    '',
  ].join('\n');
}

/** The OpenCode preset. */
export const opencodePreset: AgentPreset = {
  name: 'opencode',
  program: 'opencode',
  command: (prompt) => ['opencode', '--prompt', prompt],
  wiring(jobDir) {
    return { files: { [OPENCODE_PLUGIN_FILE]: opencodePlugin(jobDir) }, args: [], env: { [OPENCODE_CONFIG_DIR_ENV]: `${jobDir}/opencode` } };
  },
  // The permission dialog opens with "Allow once" selected.
  approve: ['Enter'],
  resume: ['opencode', '--continue'],
  // No screen patterns: its plugin reports the permission dialog, and a full-screen TUI would leave a matched line
  // nowhere a pattern could tell live from answered.
};
