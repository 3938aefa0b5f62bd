/**
 * Turns YAML syntax errors, zod issues and duplicate worker names into {@link ConfigError}s located in the file.
 */
import type { Document, LineCounter, YAMLError } from 'yaml';
import type { z } from 'zod';
import { fieldPath, type ConfigError } from './config-error.js';
import { locate, type Position } from './locate.js';
import { SSH_ONLY_FIELDS, knownFields, providerAt } from './schema.js';
import { closestMatch } from './suggest.js';

/** The parsed file, in both forms: the YAML document for positions and its plain value for what was written. */
export interface ParsedSource {
  readonly file: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  /** `doc.toJS()`. */
  readonly root: unknown;
}

type Issue = z.core.$ZodIssue;

const SYNTAX_HINTS: Partial<Record<YAMLError['code'], string>> = {
  DUPLICATE_KEY: 'expected each key once in a mapping',
  TAB_AS_INDENT: 'expected spaces for indentation',
  BAD_ALIAS: 'expected each *alias to name an &anchor defined above it',
};

/** YAML syntax errors, each with a hint of what was expected. */
export function syntaxErrors(doc: Document, lineCounter: LineCounter, file: string): ConfigError[] {
  return doc.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const message =
      error.code === 'MULTIPLE_DOCS'
        ? 'more than one document; expected a single document (remove the second `---`)'
        : `${lowerFirst(error.message)}; ${SYNTAX_HINTS[error.code] ?? 'expected valid YAML: check the indentation and quoting here and on the line above'}`;
    return { file, line, column: col, field: '', message: `YAML syntax error: ${message}` };
  });
}

/** Every zod issue as a located error; a union that failed in one branch only reports that branch's issues. */
export function validationErrors(issues: readonly Issue[], source: ParsedSource): ConfigError[] {
  return issues.flatMap((issue) => issueErrors(issue, [], source));
}

function issueErrors(issue: Issue, prefix: readonly PropertyKey[], source: ParsedSource): ConfigError[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // `ssh: {host, prot}` fails the string branch by type and the mapping branch by content: report the content.
    const branches = issue.errors.filter((branch) => !(branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0));
    const [only] = branches;
    if (branches.length === 1 && only) return only.flatMap((inner) => issueErrors(inner, path, source));
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const where = locate(source.doc, source.lineCounter, [...path, key]);
      return located(source, where.keyPosition ?? where.position, [...path, key], unknownFieldMessage(path, key, source.root));
    });
  }
  const missing = path.length > 0 && valueAt(source.root, path) === undefined;
  const message = missing ? `missing required field \`${String(path.at(-1))}\`; ${issue.message}` : issue.message;
  return [located(source, locate(source.doc, source.lineCounter, path).position, path, message)];
}

function unknownFieldMessage(path: readonly PropertyKey[], key: string, root: unknown): string {
  const isWorker = path.length === 2 && path[0] === 'workers';
  if (isWorker && SSH_ONLY_FIELDS.includes(key) && providerAt(path, root) === 'local') {
    return `\`${key}\` is not allowed for provider \`local\` (a local worker runs on this machine); remove it, or set \`provider: ssh\``;
  }
  const known = knownFields(path, root);
  const guess = closestMatch(key, known);
  if (guess) return `unknown field \`${key}\`; did you mean \`${guess}\`?`;
  return `unknown field \`${key}\`; expected one of: ${known.join(', ')}`;
}

/** One error per repeated worker name, at the repeat, naming the line of the first use. */
export function duplicateNameErrors(source: ParsedSource): ConfigError[] {
  const workers = valueAt(source.root, ['workers']);
  if (!Array.isArray(workers)) return [];
  const firstUse = new Map<string, number>();
  const errors: ConfigError[] = [];
  workers.forEach((entry: unknown, index) => {
    const name = valueAt(entry, ['name']);
    if (typeof name !== 'string') return;
    const first = firstUse.get(name);
    if (first === undefined) {
      firstUse.set(name, index);
      return;
    }
    const firstLine = locate(source.doc, source.lineCounter, ['workers', first, 'name']).position.line;
    const path = ['workers', index, 'name'];
    const message = `duplicate worker name ${JSON.stringify(name)}, also used by workers[${first}] at line ${firstLine}; expected a name no other worker has`;
    errors.push(located(source, locate(source.doc, source.lineCounter, path).position, path, message));
  });
  return errors;
}

/** Errors in reading order. */
export function byPosition(errors: readonly ConfigError[]): ConfigError[] {
  return [...errors].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

function located(source: ParsedSource, position: Position, path: readonly PropertyKey[], message: string): ConfigError {
  return { file: source.file, line: position.line, column: position.column, field: fieldPath(path), message };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
