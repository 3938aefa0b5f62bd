/**
 * `agent:` in the config file (top level, and per kind): a built-in preset's name, or a mapping that describes a
 * custom agent (its command for a prompt, the screen lines that mean it waits, its approve keys, its resume argv).
 */
import { z } from 'zod';
import { AGENT_NAMES, agentNameSchema } from '../agents/schema.js';
import { closed, expecting } from './rules.js';

const ARGV_RULE = 'a program and its arguments as a list of strings, e.g. [my-agent, --task, "{prompt}"]';

const argv = z
  .array(z.string({ error: expecting(ARGV_RULE) }).refine((arg) => !arg.includes('\0'), { error: 'an argument cannot contain a NUL byte' }), {
    error: expecting(ARGV_RULE),
  })
  .min(1, { error: `expected ${ARGV_RULE}` })
  .refine((list) => list[0] !== '', { error: 'the program name (the first item) cannot be empty' });

/** Whether `pattern` is a valid regular expression (with the `u` flag, as the screen scan compiles it). */
export function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/** A tmux key name or a literal key: letters, digits and the punctuation tmux key names use. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9_+-]{0,31}$/;

/** The fields of a custom agent. */
export const customAgentShape = {
  /** The argv that starts the agent; `{prompt}` marks where a prompt kind's prompt goes (else it is appended). */
  command: argv,
  /** Lines of the agent's screen that mean it waits for its user (regular expressions). */
  waitingPatterns: z
    .array(z.string().min(1).refine(isRegExp, { error: 'expected a valid regular expression, such as \\[y/N\\] *$' }), {
      error: expecting('a list of regular expressions'),
    })
    .max(16, { error: 'expected at most 16 patterns' })
    .optional(),
  /** The keys that answer "yes" once, as tmux key names; default `[Enter]`. */
  approve: z
    .array(z.string().regex(KEY, { error: 'expected a tmux key name such as y, Enter or C-m' }), { error: expecting('a list of tmux key names, e.g. [y, Enter]') })
    .min(1, { error: 'expected at least one key' })
    .max(8, { error: 'expected at most 8 keys' })
    .optional(),
  /** The argv that resumes the agent's last session in the job's directory. */
  resume: argv.optional(),
};

/** A custom agent as written in the config. */
export type CustomAgentConfig = z.output<z.ZodObject<typeof customAgentShape>>;

/** `agent:`: a preset's name or a custom agent's mapping. */
export const agentSchema = z.union(
  [agentNameSchema, closed(customAgentShape, 'a custom agent: a mapping with `command` and optionally `waitingPatterns`, `approve`, `resume`')],
  { error: (issue) => (typeof issue.input === 'object' && issue.input !== null ? undefined : `expected an agent preset (${AGENT_NAMES.join(', ')}) or a custom agent mapping with \`command\``) },
);

/** `agent:` as parsed. */
export type AgentSpec = z.output<typeof agentSchema>;
