/** The agent names a config may use (`agent:` at the top level and per kind). Pure: no other module's logic. */
import { z } from 'zod';

/** The agents with a built-in preset (`custom` is a mapping in the config: src/config/agent-schema.ts). */
export const AGENT_NAMES = ['claude', 'gemini', 'codex', 'aider', 'opencode'] as const;

/** The name of an agent preset. */
export type AgentName = (typeof AGENT_NAMES)[number];

/** `agent:` in the config file: one of the preset names. */
export const agentNameSchema = z.enum(AGENT_NAMES, { error: `expected an agent preset: ${AGENT_NAMES.join(', ')}` });

/** The agent the built-in kinds run when the config names none (the seeds' choice). */
export const DEFAULT_AGENT: AgentName = 'gemini';
