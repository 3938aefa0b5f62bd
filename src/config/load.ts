/**
 * Reading the config file: where it is, parsing it into a fleet, and reporting every problem with file:line:column.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigError, ConfigResult } from './config-error.js';
import { byPosition, duplicateNameErrors, syntaxErrors, validationErrors, type ParsedSource } from './issues.js';
import { configFileSchema, defaultFleet, resolveFleet } from './schema.js';

/** Options for {@link loadConfig}. */
export interface LoadOptions {
  /**
   * The path was asked for (`--config`): a missing file is an error rather than the default fleet.
   * Default: true when a path is given, false otherwise.
   */
  readonly explicit?: boolean;
  /** Environment used to find the default path; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** `$XDG_CONFIG_HOME/mission-control/config.yaml`, else `~/.config/mission-control/config.yaml`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'mission-control', 'config.yaml');
}

/**
 * Reads and parses the config file at `path` (default {@link defaultConfigPath}). A missing file gives the embedded
 * default fleet (one local worker) unless `explicit`, when it is an error; an unreadable file is always an error.
 */
export async function loadConfig(path?: string, options: LoadOptions = {}): Promise<ConfigResult> {
  const explicit = options.explicit ?? path !== undefined;
  const file = path ?? defaultConfigPath(options.env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT' && !explicit) return { ok: true, config: defaultFleet() };
    const missing = 'config file not found; expected an existing YAML file (check the --config path, or leave --config out to use the default)';
    return { ok: false, errors: [readError(file, error, missing)] };
  }
  return parseConfig(text, file);
}

/** Parses config text; `file` is only used to label errors and as the fleet's `source`. */
export function parseConfig(text: string, file: string): ConfigResult {
  const lineCounter = new LineCounter();
  // logLevel 'error': the library's warnings (e.g. a mapping used as a key) would go to the user's stderr as
  // process warnings; the schema reports what matters about such a key (an unknown field) with its position.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, logLevel: 'error' });
  if (doc.errors.length > 0) return { ok: false, errors: syntaxErrors(doc, lineCounter, file) };
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    // Only alias bombs get here: the syntax is valid but expanding it is not.
    const message = `YAML syntax error: ${(error as Error).message}; expected fewer *alias references`;
    return { ok: false, errors: [{ file, line: 1, column: 1, field: '', message }] };
  }
  const source: ParsedSource = { file, doc, lineCounter, root };
  const parsed = configFileSchema.safeParse(root);
  const errors = [...(parsed.success ? [] : validationErrors(parsed.error.issues, source)), ...duplicateNameErrors(source)];
  if (errors.length > 0 || !parsed.success) return { ok: false, errors: byPosition(errors) };
  return { ok: true, config: resolveFleet(parsed.data, file) };
}

/**
 * A file that cannot be read, as an error that says what to do. `missing` is the message for a file that does not
 * exist, which depends on why it was expected.
 */
export function readError(file: string, error: unknown, missing = 'config file not found; expected an existing YAML file'): ConfigError {
  const code = errorCode(error);
  const message =
    code === 'ENOENT'
      ? missing
      : code === 'EISDIR'
        ? 'this is a directory; expected a YAML file'
        : `cannot read the config file (${code ?? (error as Error).message}); expected a readable YAML file`;
  return { file, line: undefined, column: undefined, field: '', message };
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
