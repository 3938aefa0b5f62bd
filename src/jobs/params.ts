/**
 * From a launch request to what runs: parameters checked against their kind's patterns, the job id and tmux
 * session name built from safe characters only, and the command argv filled in. Pure.
 */
import { createHash } from 'node:crypto';
import { isJobId, JOB_ID_CHARACTERS, MAX_JOB_ID_LENGTH, SAFE_ID_PATTERN } from '../scanners/worker-scan/job-id.js';
import { fillTemplate, INTERACTIVE_SHELL, type GenericKindName, type JobKind, type JobSettings } from './kinds.js';

/** The only characters a job id or session name may hold: tmux expands `#(…)`/`#{…}` and rewrites `.` and `:` in names. */
export const SAFE_NAME = SAFE_ID_PATTERN;

/** A launch request that is wrong before anything runs: unknown kind, missing or malformed parameter. */
export class JobRequestError extends Error {
  override readonly name = 'JobRequestError';
}

/** A request checked against its kind: everything the launch pipeline needs, nothing from it unchecked. */
export interface JobSpec {
  readonly kind: JobKind;
  /** Parameter values, each matching its pattern. */
  readonly params: Readonly<Record<string, string>>;
  /** Deterministic: the same kind and parameters give the same id, which makes launches idempotent. */
  readonly id: string;
  /** The argv the job runs. */
  readonly command: readonly string[];
}

/**
 * Checks a request: the kind exists, every parameter is given once, matches its pattern and has no NUL;
 * unknown parameters are refused.
 */
export function specifyJob(settings: JobSettings, kindName: string, params: Readonly<Record<string, string>>): JobSpec {
  const kind = settings.kinds.get(kindName);
  if (!kind) {
    const known = [...settings.kinds.keys()].sort().join(', ');
    throw new JobRequestError(`unknown job kind ${JSON.stringify(kindName)}; expected one of: ${known}`);
  }
  const declared = new Set(kind.params.map((p) => p.name));
  for (const name of Object.keys(params)) {
    if (!declared.has(name)) {
      throw new JobRequestError(`${kind.name} has no parameter ${JSON.stringify(name)}; it takes: ${usageOf(kind)}`);
    }
  }
  const values: Record<string, string> = {};
  for (const spec of kind.params) {
    const value = params[spec.name];
    const what = spec.description ? `${spec.name} (${spec.description})` : spec.name;
    if (value === undefined) throw new JobRequestError(`${kind.name} needs ${what}; usage: ${kind.name} ${usageOf(kind)}`);
    if (value.includes('\0') || !new RegExp(spec.pattern, 'u').test(value)) {
      throw new JobRequestError(`${what} must match ${spec.pattern}; got ${JSON.stringify(value)}`);
    }
    values[spec.name] = value;
  }
  const id = jobIdFor(kind, values);
  if (!isJobId(id)) {
    throw new JobRequestError(`the job id ${JSON.stringify(id)} would be longer than ${MAX_JOB_ID_LENGTH} characters; give shorter parameter values`);
  }
  return { kind, params: values, id, command: kind.command.map((part) => fillTemplate(part, values)) };
}

/** A launch of a generic kind: any argv (`run`) or an interactive shell (`shell`). */
export interface GenericRequest {
  readonly kind: GenericKindName;
  /** The command of `run`, never parsed by a shell; ignored by `shell`. */
  readonly argv?: readonly string[];
  /** A branch of the remote to start the worktree from; default its default branch. */
  readonly branch?: string;
  /** The job id to use instead of the hash. */
  readonly name?: string;
  /** Run in the home directory, without a worktree. */
  readonly noWorktree?: boolean;
}

/** What a branch given to a generic kind may look like: a plain ref name, no option, no `..`, no spaces. */
const BRANCH_NAME = /^(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$/;

/**
 * Checks a generic launch. The id is `--name` when given (the job id rule), else `<kind>-<8 hex>` of a hash of the
 * argv, the branch and whether a worktree is wanted: the same command is the same job, found again; two commands
 * are two jobs.
 */
export function specifyGeneric(request: GenericRequest): JobSpec {
  const argv = request.kind === 'shell' ? INTERACTIVE_SHELL : (request.argv ?? []);
  if (request.kind === 'run' && argv.length === 0) throw new JobRequestError('run needs a command: mission-control launch run [OPTIONS] -- COMMAND [ARGS…]');
  if (request.kind === 'shell' && request.argv !== undefined && request.argv.length > 0) throw new JobRequestError('shell takes no command; use run');
  if (argv.some((part) => part.includes('\0'))) throw new JobRequestError('the command holds a NUL character');
  const { branch, name } = request;
  if (branch !== undefined && !BRANCH_NAME.test(branch)) {
    throw new JobRequestError(`--branch takes a branch name (letters, digits, _ . / -, not starting with - or holding ..); got ${JSON.stringify(branch)}`);
  }
  if (branch !== undefined && request.noWorktree) throw new JobRequestError('--branch and --no-worktree do not go together: the branch is checked out in a worktree');
  if (name !== undefined && !isJobId(name)) {
    throw new JobRequestError(`--name takes a job id: up to ${MAX_JOB_ID_LENGTH} letters, digits, _ and -; got ${JSON.stringify(name)}`);
  }
  const hash = createHash('sha256').update(JSON.stringify([argv, branch ?? null, request.noWorktree === true])).digest('hex').slice(0, 8);
  const kind: JobKind = {
    name: request.kind,
    description: request.kind === 'run' ? 'a command' : 'an interactive shell',
    params: [],
    command: argv,
    worktree: request.noWorktree ? false : { fetch: branch ?? 'HEAD' },
  };
  return { kind, params: branch !== undefined ? { branch } : {}, id: name ?? `${request.kind}-${hash}`, command: argv };
}

/** Maps positional values (in the kind's parameter order) and `name=value` words to parameters. */
export function paramsFromWords(kind: JobKind, words: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  const declared = new Set(kind.params.map((p) => p.name));
  let next = 0;
  for (const word of words) {
    const eq = word.indexOf('=');
    const name = eq > 0 ? word.slice(0, eq) : undefined;
    if (name !== undefined && declared.has(name)) {
      if (name in params) throw new JobRequestError(`${name} is given twice`);
      params[name] = word.slice(eq + 1);
      continue;
    }
    while (next < kind.params.length && kind.params[next]!.name in params) next += 1;
    const spec = kind.params[next];
    if (!spec) throw new JobRequestError(`too many values for ${kind.name}; usage: ${kind.name} ${usageOf(kind)}`);
    params[spec.name] = word;
    next += 1;
  }
  return params;
}

/** `PR` style usage of a kind's parameters. */
export function usageOf(kind: JobKind): string {
  return kind.params.length === 0 ? '(no parameters)' : kind.params.map((p) => p.name.toUpperCase()).join(' ');
}

/**
 * The job id: parameter values then the kind (`123-review`, like the prototype's `offload-123-review`). A value
 * that is not made of safe characters (or is long) becomes a slug plus a hash of the value, so the id stays
 * deterministic, unique and safe for tmux and file names. With several parameters a value holding `-` is hashed
 * too: the parts are joined with `-`, so `x-y z` and `x y-z` would otherwise be the same job.
 */
export function jobIdFor(kind: JobKind, params: Readonly<Record<string, string>>): string {
  const several = kind.params.length > 1;
  const parts = kind.params.map((spec) => idPart(params[spec.name] ?? '', several));
  return [...parts, kind.name].join('-');
}

const UNSAFE_RUN = new RegExp(`[^${JOB_ID_CHARACTERS}]+`, 'g');

function idPart(value: string, several: boolean): string {
  // With several parameters a `-` inside a value would blur where one value ends: such values are hashed.
  const plain = several ? /^[A-Za-z0-9_]+$/ : SAFE_NAME;
  if (plain.test(value) && value.length <= 40) return value;
  const slug = value.replace(several ? /[^A-Za-z0-9_]+/g : UNSAFE_RUN, '_').replace(/^_+|_+$/g, '').slice(0, 24);
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 8);
  return slug ? `${slug}-${hash}` : hash;
}

/** The tmux session name of a job: `<prefix>-<id>`; both parts are checked to hold safe characters only. */
export function sessionNameFor(prefix: string, id: string): string {
  const name = `${prefix}-${id}`;
  if (!SAFE_NAME.test(prefix) || !isJobId(id)) {
    throw new JobRequestError(`session name ${JSON.stringify(name)} would hold characters tmux interprets; expected letters, digits, _ and -`);
  }
  return name;
}
