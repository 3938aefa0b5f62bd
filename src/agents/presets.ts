/** The table of agent presets, and how a job's argv gets its agent's hook wiring. */
import { claudePreset } from './claude.js';
import { codexPreset } from './codex.js';
import { geminiPreset } from './gemini.js';
import type { AgentName } from './schema.js';
import { hookScript, HOOK_SCRIPT, stateScript, STATE_SCRIPT } from './state-script.js';
import type { AgentPreset } from './types.js';

/** Every preset by name. */
export const AGENT_PRESETS: Readonly<Record<AgentName, AgentPreset>> = {
  claude: claudePreset,
  gemini: geminiPreset,
  codex: codexPreset,
};

/** The preset named `name`, or undefined for a name with none (a record written by another version). */
export function agentPreset(name: string | undefined): AgentPreset | undefined {
  return name !== undefined && Object.hasOwn(AGENT_PRESETS, name) ? AGENT_PRESETS[name as AgentName] : undefined;
}

/** What a launch adds to a job: files for its record directory, its argv with the hook wiring, environment. */
export interface WiredJob {
  readonly files: Readonly<Record<string, string>>;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Wires a job: every job gets `mc-state` (the `MISSION_CONTROL_STATE` contract) and `mc-hook`; a job with an agent
 * also gets its preset's files, its arguments right after the program name and its environment.
 */
export function wireJob(jobDir: string, command: readonly string[], agent: string | undefined): WiredJob {
  const files: Record<string, string> = { [STATE_SCRIPT]: stateScript(jobDir), [HOOK_SCRIPT]: hookScript(jobDir) };
  const preset = agentPreset(agent);
  if (!preset || command.length === 0) return { files, command, env: {} };
  const wiring = preset.wiring(jobDir);
  return { files: { ...files, ...wiring.files }, command: [command[0]!, ...wiring.args, ...command.slice(1)], env: wiring.env };
}
