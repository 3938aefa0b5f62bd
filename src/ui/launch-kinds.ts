/**
 * The job kinds the `n` form and `:launch` offer. Kinds come from config (issue 4); until the jobs module exports
 * them, the dashboard offers the built-ins below, in the spirit of the seeds.
 */

/** A parameter of a job kind. */
export interface LaunchParam {
  readonly name: string;
  /** A regular expression the whole value must match. */
  readonly pattern?: string;
  readonly required: boolean;
  /** What to type, shown in the form. */
  readonly description: string;
}

/** A job kind the dashboard can launch. */
export interface LaunchKind {
  readonly name: string;
  readonly description: string;
  readonly params: readonly LaunchParam[];
}

const pr: LaunchParam = { name: 'pr', pattern: '^[0-9]+$', required: true, description: 'pull request number' };

/** The built-in kinds: review, fix, ready and open take a pull request, implement an issue. */
export const BUILTIN_LAUNCH_KINDS: readonly LaunchKind[] = [
  { name: 'review', description: 'review a pull request', params: [pr] },
  { name: 'fix', description: 'address review comments on a pull request', params: [pr] },
  { name: 'ready', description: 'get a pull request ready to merge', params: [pr] },
  {
    name: 'implement',
    description: 'implement an issue',
    params: [{ name: 'issue', pattern: '^[0-9]+$', required: true, description: 'issue number' }],
  },
  { name: 'open', description: "a shell in the pull request's worktree", params: [pr] },
];

const branch: LaunchParam = { name: 'branch', required: false, description: 'branch to start the worktree from (default: the default branch)' };

/** The generic kinds: `run` takes a command line (run by `sh -c` in a fresh worktree), `shell` nothing. */
export const GENERIC_LAUNCH_KINDS: readonly LaunchKind[] = [
  { name: 'run', description: 'any command in a fresh worktree', params: [{ name: 'command', required: true, description: 'command line, run by sh -c' }, branch] },
  { name: 'shell', description: 'an interactive shell in a fresh worktree', params: [branch] },
];

/** Why these parameters cannot launch a job of this kind, or undefined when they can. */
export function launchProblem(kind: LaunchKind, params: Readonly<Record<string, string>>): string | undefined {
  for (const name of Object.keys(params)) {
    if (!kind.params.some((param) => param.name === name)) {
      return `${kind.name} has no parameter '${name}' (it takes: ${kind.params.map((p) => p.name).join(', ') || 'none'})`;
    }
  }
  for (const param of kind.params) {
    const value = params[param.name] ?? '';
    if (value === '') {
      if (param.required) return `${param.name} is required: ${param.description}`;
      continue;
    }
    if (param.pattern !== undefined && !new RegExp(param.pattern).test(value)) {
      return `${param.name} must be a ${param.description} (${param.pattern})`;
    }
  }
  return undefined;
}
