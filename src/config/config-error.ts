/**
 * A problem in a config file, located to the line and column a person should look at.
 */
import type { FleetConfig } from './schema.js';

/** One problem in a config file. */
export interface ConfigError {
  /** The config file, as given to the loader. */
  readonly file: string;
  /** 1-based line; undefined when the problem is the whole file (missing, unreadable). */
  readonly line: number | undefined;
  /** 1-based column; undefined exactly when `line` is. */
  readonly column: number | undefined;
  /** Dotted path of the field, workers by index: `workers[1].maxJobs`; empty for YAML syntax and file errors. */
  readonly field: string;
  /** What is wrong and what is expected instead. */
  readonly message: string;
}

/** The outcome of reading a config: the fleet, or every problem found. */
export type ConfigResult =
  | { readonly ok: true; readonly config: FleetConfig }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

/** `config.yaml:12:5: workers[1].maxJobs: expected a positive integer, got "ten"`, the compiler way. */
export function formatConfigError(error: ConfigError): string {
  const where = error.line === undefined ? error.file : `${error.file}:${error.line}:${error.column ?? 1}`;
  return error.field ? `${where}: ${error.field}: ${error.message}` : `${where}: ${error.message}`;
}

/** `workers[1].ssh.port` for the path `['workers', 1, 'ssh', 'port']`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return text ? `${text}.${String(segment)}` : String(segment);
  }, '');
}
