/**
 * The building blocks every config schema uses: messages that say what is expected and what was written instead.
 */
import { z } from 'zod';

/** A value as an error message shows it. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** "expected X, got Y" (just "expected X" when there is no value: the caller says the field is missing). */
export function expected(what: string, value: unknown): string {
  return value === undefined ? `expected ${what}` : `expected ${what}, got ${describeValue(value)}`;
}

/** A zod error callback that says what is expected and what was written. */
export const expecting =
  (what: string) =>
  (issue: { readonly input?: unknown }): string =>
    expected(what, issue.input);

/** A string matching `pattern`, described as `what` in errors. */
export const matching = (pattern: RegExp, what: string) =>
  z.string({ error: expecting(what) }).regex(pattern, { error: expecting(what) });

/** A mapping with exactly these fields (unknown ones are errors), described as `what` when it is not a mapping. */
export const closed = <S extends z.ZodRawShape>(shape: S, what: string) =>
  z.strictObject(shape, {
    error: (issue) => (issue.code === 'invalid_type' ? expected(what, issue.input) : undefined),
  });

/** "`a`", "`a` or `b`", "`a`, `b` or `c`". */
export function oneOf(values: readonly string[]): string {
  const quoted = values.map((value) => `\`${value}\``);
  return quoted.length <= 2 ? quoted.join(' or ') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}
