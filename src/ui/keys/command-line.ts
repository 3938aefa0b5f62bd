/**
 * The `:` command line: parsing a line into an action, and tab completion. Pure: what the line does is run by
 * the dashboard's actions.
 */
import type { LaunchKind } from '../launch-kinds.js';
import { SORT_KEYS, type SortKey } from '../state/ui-types.js';
import type { LineCommand } from './bindings.js';

/** What a command line asks for. */
export type LineAction =
  | { readonly type: 'worker'; readonly worker: string | undefined }
  | { readonly type: 'filter'; readonly text: string }
  | { readonly type: 'sort'; readonly key: SortKey | undefined }
  | { readonly type: 'refresh' }
  | { readonly type: 'launch'; readonly kind: string; readonly params: Readonly<Record<string, string>>; readonly worker: string | undefined }
  | { readonly type: 'stop' }
  | { readonly type: 'suspend'; readonly worker: string | undefined }
  | { readonly type: 'remove' }
  | { readonly type: 'help' }
  | { readonly type: 'quit' }
  | { readonly type: 'none' }
  | { readonly type: 'error'; readonly message: string };

/** What parsing and completion know about the fleet. */
export interface LineContext {
  /** The commands this dashboard has (a read-only one has no mutating command). */
  readonly commands: readonly LineCommand[];
  readonly workers: readonly string[];
  readonly kinds: readonly LaunchKind[];
}

function lookup(commands: readonly LineCommand[], word: string): LineCommand | undefined {
  return commands.find((command) => command.name === word || command.aliases.includes(word));
}

/** Parses a command line (without the leading `:`). */
export function parseLine(line: string, context: LineContext): LineAction {
  const words = line.trim().split(/\s+/).filter((word) => word !== '');
  const [word, ...args] = words;
  if (word === undefined) return { type: 'none' };
  const command = lookup(context.commands, word);
  if (!command) {
    const known = context.commands.map((c) => c.name).join(', ');
    return { type: 'error', message: `no command '${word}' (commands: ${known})` };
  }
  switch (command.name) {
    case 'worker':
    case 'suspend': {
      const name = args[0];
      if (name === undefined) return { type: command.name, worker: undefined };
      if (!context.workers.includes(name)) {
        return { type: 'error', message: `no worker '${name}' (workers: ${context.workers.join(', ')})` };
      }
      return { type: command.name, worker: name };
    }
    case 'filter':
      return { type: 'filter', text: args.join(' ') };
    case 'sort': {
      const key = args[0];
      if (key === undefined) return { type: 'sort', key: undefined };
      if (!(SORT_KEYS as readonly string[]).includes(key)) {
        return { type: 'error', message: `cannot sort by '${key}' (columns: ${SORT_KEYS.join(', ')})` };
      }
      return { type: 'sort', key: key as SortKey };
    }
    case 'launch':
      return parseLaunch(args, context);
    case 'refresh':
    case 'stop':
    case 'remove':
    case 'help':
    case 'quit':
      return { type: command.name };
    default:
      return { type: 'error', message: `'${command.name}' is not available here` };
  }
}

function parseLaunch(args: readonly string[], context: LineContext): LineAction {
  const [kindName, ...rest] = args;
  const names = context.kinds.map((k) => k.name).join(', ');
  if (kindName === undefined) return { type: 'error', message: `launch what? (kinds: ${names})` };
  if (!context.kinds.some((k) => k.name === kindName)) return { type: 'error', message: `no job kind '${kindName}' (kinds: ${names})` };
  const params: Record<string, string> = {};
  let worker: string | undefined;
  for (const arg of rest) {
    if (arg.startsWith('@')) {
      worker = arg.slice(1);
      if (!context.workers.includes(worker)) return { type: 'error', message: `no worker '${worker}' (workers: ${context.workers.join(', ')})` };
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq <= 0) return { type: 'error', message: `'${arg}' is not NAME=VALUE or @WORKER` };
    params[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return { type: 'launch', kind: kindName, params, worker };
}

/** The result of pressing tab: the new line and, when it is ambiguous, what it could be. */
export interface Completion {
  readonly line: string;
  readonly candidates: readonly string[];
}

/** Completes the last word of the line: a command, a worker, a sort column, a kind, a parameter name or `@WORKER`. */
export function completeLine(line: string, context: LineContext): Completion {
  const words = line.split(' ');
  const last = words.at(-1) ?? '';
  const head = words.slice(0, -1);
  const options = optionsFor(head.filter((w) => w !== ''), context);
  const matches = options.filter((option) => option.startsWith(last));
  if (matches.length === 0) return { line, candidates: [] };
  const prefix = commonPrefix(matches);
  const complete = matches.length === 1 && !prefix.endsWith('=');
  const completed = [...head, prefix].join(' ') + (complete ? ' ' : '');
  return { line: completed, candidates: matches.length === 1 ? [] : matches };
}

function optionsFor(head: readonly string[], context: LineContext): readonly string[] {
  if (head.length === 0) return context.commands.map((c) => c.name);
  const command = lookup(context.commands, head[0] ?? '');
  if (!command) return [];
  const position = head.length;
  switch (command.name) {
    case 'worker':
    case 'suspend':
      return position === 1 ? context.workers : [];
    case 'sort':
      return position === 1 ? SORT_KEYS : [];
    case 'launch': {
      if (position === 1) return context.kinds.map((k) => k.name);
      const kind = context.kinds.find((k) => k.name === head[1]);
      if (!kind) return [];
      const given = new Set(head.slice(2).map((w) => w.split('=')[0]));
      const params = kind.params.filter((p) => !given.has(p.name)).map((p) => `${p.name}=`);
      const workers = head.some((w) => w.startsWith('@')) ? [] : context.workers.map((w) => `@${w}`);
      return [...params, ...workers];
    }
    default:
      return [];
  }
}

function commonPrefix(values: readonly string[]): string {
  let prefix = values[0] ?? '';
  for (const value of values) {
    while (!value.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}
