/**
 * The building blocks every config schema uses: messages that say what is expected and what was written instead.
 */
import { z } from 'zod';

/** A value as an error message shows it. */
export function describeValue(value: unknown): string {
  // JSON escapes C0 controls but leaves C1 and bidi/format characters raw: escape those too, for the terminal.
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\x7f-\x9f\p{Cf}\u2028\u2029]/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
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

const PORT_RULE = expecting('a port number from 1 to 65535');

/**
 * The fields of an SSH address, `{host, user, port, identityFile}`, each with its rule; every worker kind that
 * takes an address uses these (a cloud worker makes `host` optional: the API knows the VM's address).
 */
export const sshAddressFields = {
  host: matching(/^[^-\s]\S*$/, "a host name or address, without spaces, not starting with '-'"),
  user: matching(/^[^-\s@][^\s@]*$/, "a user name, without spaces or '@', not starting with '-'").optional(),
  port: z.int({ error: PORT_RULE }).min(1, { error: PORT_RULE }).max(65535, { error: PORT_RULE }).optional(),
  identityFile: matching(/^[^\n\0]+$/, 'a path to a private key file').optional(),
};
