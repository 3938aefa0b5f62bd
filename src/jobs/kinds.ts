/**
 * Job kinds and the repository jobs work on: the `kinds:` and `repo:` sections of the config file (zod), the
 * built-in kinds in the spirit of the offload prototype (review, fix, ready, implement, open), and how a config's
 * kinds are merged over them.
 */
import { z } from 'zod';
import { resolveAgent } from '../agents/presets.js';
import { DEFAULT_AGENT } from '../agents/schema.js';
import type { AgentPreset } from '../agents/types.js';
import { agentSchema, isRegExp, type AgentSpec } from '../config/agent-schema.js';

/** What a kind name, a parameter name and a placeholder look like. */
export const KIND_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
export const PARAM_NAME = /^[a-z][A-Za-z0-9_]{0,31}$/;

/** `{name}` in a template; `{{` and `}}` are literal braces. */
const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** One typed parameter of a kind. */
export interface ParamSpec {
  /** A regular expression the whole value must match (anchor it with `^…$`). */
  readonly pattern: string;
  /** Shown in usage and errors, e.g. "pull request number". */
  readonly description?: string;
}

/** How a job's git worktree is made from the main clone. */
export interface WorktreeSpec {
  /** The ref to fetch from the remote, a template (e.g. `pull/{pr}/head`; `HEAD` is the remote's default branch). */
  readonly fetch: string;
  /** A local branch to create at the fetched commit (or reuse); without one the worktree is detached. */
  readonly branch?: string;
  /** The remote to fetch from; default `upstream` when the repo has one, else `origin`. */
  readonly remote?: string;
}

/** A kind of job: what it runs, with which parameters, in which worktree. */
export interface JobKind {
  readonly name: string;
  readonly description?: string;
  /** Parameters in order: positional CLI values fill them in this order, and the job id is built from them. */
  readonly params: readonly (ParamSpec & { readonly name: string })[];
  /** The argv the job runs, with `{param}` placeholders; never parsed by a shell. */
  readonly command: readonly string[];
  /** The worktree the job runs in; `false` runs it in the home directory. */
  readonly worktree: WorktreeSpec | false;
  /** The agent preset the job runs (its hooks are wired per job), when the kind names one or gives a prompt. */
  readonly agent?: string;
  /** Regular expressions that mark a line of the job's screen as a prompt waiting for its user. */
  readonly waitingPatterns?: readonly string[];
}

/** The repository jobs work on, as the `repo:` section gives it. */
export interface RepoSettings {
  /** The URL the main clone is cloned from (`origin`); needed by `setup`, not by `launch`. */
  readonly url?: string;
  /** The upstream repository when `url` is a fork; pull requests are fetched from it. */
  readonly upstream?: string;
  /** The main clone on the worker; default `~/dev/main`. */
  readonly mainDir: string;
  /** Where job worktrees go on the worker; default `~/dev/worktrees`. */
  readonly worktreesDir: string;
  /** Local files `setup` copies to the worker (mode 0600), e.g. agent settings. */
  readonly sync: readonly SyncEntry[];
}

/** A file `setup` copies: from this machine to the same (or the given) path on the worker. */
export interface SyncEntry {
  readonly from: string;
  readonly to: string;
}

/** Everything the job lifecycle needs besides the workers: kinds by name and the repository. */
export interface JobSettings {
  readonly kinds: ReadonlyMap<string, JobKind>;
  readonly repo: RepoSettings;
}

const PATH_RULE = "a path on the worker, such as ~/dev/main, without '#', newlines or NUL";
const workerPath = z.string().regex(/^[^#\n\0]+$/, { error: `expected ${PATH_RULE}` });

const paramSchema = z.strictObject({
  pattern: z.string().refine(isRegExp, { error: 'expected a valid regular expression, such as ^[0-9]+$' }),
  description: z.string().optional(),
});

const worktreeSchema = z.union([
  z.literal(false),
  z.strictObject({
    fetch: z.string().regex(/^[^\s\0-]\S*$/, { error: "expected a ref to fetch, such as pull/{pr}/head, not starting with '-'" }),
    branch: z.string().regex(/^[^\s\0-]\S*$/, { error: "expected a branch name, not starting with '-'" }).optional(),
    remote: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected a git remote name such as origin' }).optional(),
  }),
]);

/** One entry of `kinds:` (the key is the kind's name). Params keep the order they are written in. */
export const kindSchema = z
  .strictObject({
    description: z.string().optional(),
    params: z
      .record(z.string().regex(PARAM_NAME), paramSchema, {
        error: (issue) => (issue.code === 'invalid_key' ? 'expected a parameter name: a lowercase letter, then letters, digits or _' : undefined),
      })
      .optional(),
    command: z.array(z.string()).min(1, { error: 'expected a command: a list of at least one argument' }).optional(),
    /** The prompt an agent starts with; the agent (the kind's, else the top-level `agent:`) makes the command. */
    prompt: z.string().min(1, { error: 'expected a prompt' }).optional(),
    agent: agentSchema.optional(),
    /** Lines of the screen that mean the job waits for its user, e.g. `Allow .*\?`; the match is the reason. */
    waitingPatterns: z
      .array(z.string().min(1).refine(isRegExp, { error: 'expected a valid regular expression, such as ^Allow .*\\?$' }))
      .max(16, { error: 'expected at most 16 patterns' })
      .optional(),
    worktree: worktreeSchema.optional(),
  })
  .superRefine((kind, ctx) => {
    if ((kind.command === undefined) === (kind.prompt === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected either `command` (an argv) or `prompt` (for the agent), not both or neither' });
    }
    const names = new Set(Object.keys(kind.params ?? {}));
    const check = (template: string, path: (string | number)[]) => {
      for (const name of placeholders(template)) {
        if (!names.has(name)) {
          ctx.addIssue({ code: 'custom', path, message: `placeholder {${name}} names no parameter; expected one of: ${[...names].join(', ') || '(none)'}` });
        }
      }
    };
    kind.command?.forEach((part, i) => check(part, ['command', i]));
    if (kind.prompt !== undefined) check(kind.prompt, ['prompt']);
    if (kind.worktree) {
      check(kind.worktree.fetch, ['worktree', 'fetch']);
      if (kind.worktree.branch !== undefined) check(kind.worktree.branch, ['worktree', 'branch']);
    }
  });

/** The generic kinds, which take an argv (`run`) or nothing (`shell`) instead of parameters; see `specifyGeneric`. */
export const GENERIC_KINDS = ['run', 'shell'] as const;
/** A generic kind's name. */
export type GenericKindName = (typeof GENERIC_KINDS)[number];

/** True when `name` is a generic kind (`run`, `shell`). */
export function isGenericKind(name: string): name is GenericKindName {
  return (GENERIC_KINDS as readonly string[]).includes(name);
}

/** The argv of an interactive login shell in the job's directory (the `shell` and `open` kinds). */
export const INTERACTIVE_SHELL: readonly string[] = Object.freeze(['sh', '-c', 'exec "${SHELL:-/bin/sh}" -i']);

/** The `kinds:` section: kind name → kind. A config kind with a built-in's name replaces it; `run` and `shell` are reserved. */
const KIND_NAME_RULE = 'expected a kind name: a lowercase letter, then up to 31 lowercase letters, digits, _ or -';
export const kindsSchema = z.record(
  z
    .string()
    .regex(KIND_NAME, { error: KIND_NAME_RULE })
    .refine((name) => !isGenericKind(name), { error: `${GENERIC_KINDS.join(' and ')} are built-in generic kinds; give the kind another name` }),
  kindSchema,
  { error: (issue) => (issue.code === 'invalid_key' ? KIND_NAME_RULE : undefined) },
);

const syncEntrySchema = z.union([
  workerPath.transform((path) => ({ from: path, to: path })),
  z.strictObject({ from: z.string().min(1), to: workerPath }),
]);

/** The `repo:` section. */
export const repoSchema = z.strictObject({
  url: z.string().regex(/^[^\s-]\S*$/, { error: "expected a repository URL or path, not starting with '-'" }).optional(),
  upstream: z.string().regex(/^[^\s-]\S*$/, { error: "expected a repository URL or path, not starting with '-'" }).optional(),
  mainDir: workerPath.optional(),
  worktreesDir: workerPath.optional(),
  sync: z.array(syncEntrySchema).optional(),
});

/** Default places on the worker (the seeds' layout). */
export const DEFAULT_MAIN_DIR = '~/dev/main';
export const DEFAULT_WORKTREES_DIR = '~/dev/worktrees';

const PR = { name: 'pr', pattern: '^[0-9]{1,9}$', description: 'pull request number' } as const;
const ISSUE = { name: 'issue', pattern: '^[0-9]{1,9}$', description: 'issue number' } as const;
const PR_WORKTREE: WorktreeSpec = { fetch: 'pull/{pr}/head' };

/** A built-in kind before the agent is known: a prompt for the configured agent, or a command of its own. */
export type BuiltinKind = Omit<JobKind, 'command' | 'agent'> & ({ readonly prompt: string } | { readonly command: readonly string[] });

/** The built-in kinds: the configured agent (gemini, as in the seeds, by default) driven by a prompt, in the job's worktree. */
export const BUILTIN_KINDS: readonly BuiltinKind[] = Object.freeze([
  {
    name: 'review',
    description: 'review a pull request',
    params: [PR],
    prompt: 'Review pull request #{pr}, checked out in this directory. Report findings; do not push.',
    worktree: PR_WORKTREE,
  },
  {
    name: 'fix',
    description: 'fix review comments and failing checks of a pull request',
    params: [PR],
    prompt: 'Fix the review comments and failing checks of pull request #{pr}, checked out in this directory.',
    worktree: PR_WORKTREE,
  },
  {
    name: 'ready',
    description: 'get a pull request ready to merge (rebase, build, tests)',
    params: [PR],
    prompt: 'Make pull request #{pr} ready to merge: rebase, build, run the tests, fix what fails.',
    worktree: PR_WORKTREE,
  },
  {
    name: 'implement',
    description: 'implement an issue on a new branch',
    params: [ISSUE],
    prompt: 'Implement issue #{issue} on this branch.',
    worktree: { fetch: 'HEAD', branch: 'mc/issue-{issue}' },
  },
  {
    name: 'open',
    description: "a shell in a pull request's worktree",
    params: [PR],
    command: INTERACTIVE_SHELL,
    worktree: PR_WORKTREE,
  },
]);

/**
 * A kind's command and agent: a prompt runs the kind's agent (else the configured one) through its preset; a
 * command runs as written, with the kind's agent's hooks wired in when it names one.
 */
function withAgent(
  kind: { readonly prompt?: string; readonly command?: readonly string[]; readonly agent?: AgentSpec; readonly waitingPatterns?: readonly string[] },
  configured: AgentPreset,
  customName: string,
): Pick<JobKind, 'command' | 'agent' | 'waitingPatterns'> {
  const own = kind.agent !== undefined ? resolveAgent(kind.agent, customName) : undefined;
  const agent = kind.prompt !== undefined ? (own ?? configured) : own;
  const command = kind.prompt !== undefined ? agent!.command(kind.prompt) : (kind.command ?? []);
  // The kind's own patterns, else its agent's defaults for the prompts that agent is known to show.
  const waitingPatterns = kind.waitingPatterns ?? agent?.waitingPatterns;
  return { command, ...(agent ? { agent: agent.name } : {}), ...(waitingPatterns !== undefined ? { waitingPatterns } : {}) };
}

/** The `kinds:` section as parsed. */
export type KindsSection = z.output<typeof kindsSchema>;
/** The `repo:` section as parsed. */
export type RepoSection = z.output<typeof repoSchema>;

/**
 * Resolves the `kinds:`, `repo:` and `agent:` sections (any may be absent) into settings, config kinds over
 * built-ins; the built-in agent kinds and prompt kinds without an agent of their own run `agent` (default gemini).
 */
export function resolveJobSettings(
  sections: { kinds?: KindsSection | null; repo?: RepoSection | null; agent?: AgentSpec | null } = {},
): JobSettings {
  const configured = resolveAgent(sections.agent ?? DEFAULT_AGENT, 'custom');
  const kinds = new Map<string, JobKind>(
    BUILTIN_KINDS.map((kind) => [kind.name, { name: kind.name, description: kind.description, params: kind.params, worktree: kind.worktree, ...withAgent(kind, configured, 'custom') }]),
  );
  for (const [name, kind] of Object.entries(sections.kinds ?? {})) {
    kinds.set(name, {
      name,
      ...(kind.description !== undefined ? { description: kind.description } : {}),
      params: Object.entries(kind.params ?? {}).map(([param, spec]) => ({ name: param, ...spec })),
      ...withAgent(kind, configured, `custom-${name}`),
      worktree: kind.worktree ?? false,
    });
  }
  const repo = sections.repo ?? {};
  return {
    kinds,
    repo: {
      ...(repo.url !== undefined ? { url: repo.url } : {}),
      ...(repo.upstream !== undefined ? { upstream: repo.upstream } : {}),
      mainDir: repo.mainDir ?? DEFAULT_MAIN_DIR,
      worktreesDir: repo.worktreesDir ?? DEFAULT_WORKTREES_DIR,
      sync: repo.sync ?? [],
    },
  };
}

/** The placeholder names a template uses, in order. */
export function placeholders(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) if (match[1] !== undefined) names.push(match[1]);
  return names;
}

/** Fills a template's `{name}` placeholders; `{{`/`}}` become literal braces. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const value = name === undefined ? undefined : values[name];
    if (value === undefined) throw new Error(`template ${JSON.stringify(template)} uses {${name}}, which has no value`);
    return value;
  });
}
