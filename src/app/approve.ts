/**
 * The "approve" answer of an agent: the keys that accept its permission prompt once (never "always"), per agent
 * preset. The dashboard's `y` sends it to a waiting job. The lookup is passed in, so the agent presets' table can
 * provide it; {@link defaultApproveFor} is the table used until then.
 */
import type { Job } from '../state/types.js';

/** The keys that approve an agent's prompt, as tmux key names. */
export interface ApproveAnswer {
  readonly keys: readonly string[];
}

/** Finds the approve answer for a job's agent; undefined when none is known (the job names no agent, or an unknown one). */
export type ApproveLookup = (job: Job) => ApproveAnswer | undefined;

/**
 * The answers of the agents mission-control knows, from their prompts: Claude Code's "Do you want to proceed?"
 * and Gemini CLI's tool confirmation open with the allow-once choice selected, so Enter takes it; Codex CLI's
 * "Allow command?" takes `y` for "Yes" (once).
 */
export const DEFAULT_APPROVE_ANSWERS: Readonly<Record<string, ApproveAnswer>> = Object.freeze({
  claude: { keys: ['Enter'] },
  gemini: { keys: ['Enter'] },
  codex: { keys: ['y'] },
});

/** {@link DEFAULT_APPROVE_ANSWERS} by the job's `agent`. */
export const defaultApproveFor: ApproveLookup = (job) =>
  job.agent !== undefined && Object.hasOwn(DEFAULT_APPROVE_ANSWERS, job.agent) ? DEFAULT_APPROVE_ANSWERS[job.agent] : undefined;
