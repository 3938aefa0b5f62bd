/**
 * The "approve" answer of an agent: the keys that accept its permission prompt once (never "always"), per agent
 * preset. The dashboard's `y` sends it to a waiting job; {@link defaultApproveFor} reads it from the agent presets.
 */
import { agentPreset } from '../agents/presets.js';
import type { Job } from '../state/types.js';

/** The keys that approve an agent's prompt, as tmux key names. */
export interface ApproveAnswer {
  readonly keys: readonly string[];
}

/** Finds the approve answer for a job's agent; undefined when none is known (the job names no agent, or an unknown one). */
export type ApproveLookup = (job: Job) => ApproveAnswer | undefined;

/** The approve answer of the job's agent preset (src/agents/), by the job's `agent`. */
export const defaultApproveFor: ApproveLookup = (job) => {
  const preset = agentPreset(job.agent);
  return preset ? { keys: preset.approve } : undefined;
};
