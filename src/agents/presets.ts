/** The table of agent presets, the custom agents of the config, and how a job's argv gets its agent's hook wiring. */
import type { AgentSpec } from '../config/agent-schema.js';
import { aiderPreset } from './aider.js';
import { claudePreset } from './claude.js';
import { codexPreset } from './codex.js';
import { customPreset } from './custom.js';
import { geminiPreset } from './gemini.js';
import { opencodePreset } from './opencode.js';
import type { AgentName } from './schema.js';
import { hookScript, HOOK_SCRIPT, stateScript, STATE_SCRIPT } from './state-script.js';
import type { AgentPreset } from './types.js';

/** Every preset by name. */
export const AGENT_PRESETS: Readonly<Record<AgentName, AgentPreset>> = {
  claude: claudePreset,
  gemini: geminiPreset,
  codex: codexPreset,
  aider: aiderPreset,
  opencode: opencodePreset,
};

/**
 * The custom agents of the loaded config, by name. A job's record keeps only its agent's name, and the dashboard's
 * approve and resume look the preset up by it: resolving a config's kinds ({@link resolveAgent}) fills this in.
 */
const customAgents = new Map<string, AgentPreset>();

/** The preset named `name` (built-in, or a custom one of the config), or undefined for a name with none. */
export function agentPreset(name: string | undefined): AgentPreset | undefined {
  if (name === undefined) return undefined;
  return Object.hasOwn(AGENT_PRESETS, name) ? AGENT_PRESETS[name as AgentName] : customAgents.get(name);
}

/**
 * The preset an `agent:` of the config names: a built-in by name, or the custom agent it describes, registered
 * under `customName` (`custom` at the top level, `custom-<kind>` for a kind's own) so later lookups find it.
 */
export function resolveAgent(spec: AgentSpec, customName: string): AgentPreset {
  if (typeof spec === 'string') return AGENT_PRESETS[spec];
  const preset = customPreset(customName, spec);
  customAgents.set(customName, preset);
  return preset;
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
