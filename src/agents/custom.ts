/**
 * A custom agent from the config: its command, approve keys, resume argv and screen patterns as written. It wires
 * no hooks of its own: the agent (or a hook in its own settings) reports through `"$MISSION_CONTROL_STATE"`, which
 * every job has, and its `waitingPatterns` catch the prompts it shows.
 */
import type { CustomAgentConfig } from '../config/agent-schema.js';
import type { AgentPreset } from './types.js';

/** The placeholder a custom command marks the prompt with. */
export const PROMPT_PLACEHOLDER = '{prompt}';

/** The preset for the custom agent `config`, named `name` (`custom`, or `custom-<kind>` for a kind's own). */
export function customPreset(name: string, config: CustomAgentConfig): AgentPreset {
  const command = config.command;
  return {
    name,
    program: command[0]!,
    command(prompt) {
      // The result is a kind's command template: the prompt keeps its `{param}`s, the agent's own text is literal.
      const literal = (text: string) => text.replace(/[{}]/g, (brace) => brace + brace);
      // The prompt replaces the placeholder as a whole argument or inside one; without a placeholder it goes last.
      if (!command.some((arg) => arg.includes(PROMPT_PLACEHOLDER))) return [...command.map(literal), prompt];
      return command.map((arg) => arg.split(PROMPT_PLACEHOLDER).map(literal).join(prompt));
    },
    wiring: () => ({ files: {}, args: [], env: {} }),
    approve: config.approve ?? ['Enter'],
    resume: config.resume ?? [],
    ...(config.waitingPatterns !== undefined ? { waitingPatterns: config.waitingPatterns } : {}),
  };
}
