/**
 * What must never reach the user's terminal from remote data: escape sequences (other than colours, where a
 * caller allows them), BEL, C1 controls, DEL, and bidi or other invisible format characters (ZWJ, which joins
 * emoji, excepted). Shared by the fuzz properties and the hostile-corpus tests.
 */

/** Format characters (`\p{Cf}`) that may appear: the zero-width joiner of emoji sequences. */
const ALLOWED_FORMAT = new Set(['\u200d']);

/** Every forbidden thing in `text`, escaped for reading (empty when the text is safe). */
export function terminalLeaks(text: string, options: { allowSgr?: boolean } = {}): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/\x1b(\[[0-?]*[ -/]*[@-~]|[\s\S]?)/g)) {
    if (options.allowSgr && /^\x1b\[[0-9;:]*m$/.test(match[0])) continue;
    found.push(escaped(match[0]));
  }
  for (const char of text.match(/[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]/g) ?? []) found.push(escaped(char));
  for (const char of text.match(/\p{Cf}/gu) ?? []) if (!ALLOWED_FORMAT.has(char)) found.push(escaped(char));
  return found;
}

/** Characters JSON.stringify leaves raw that must be escaped in `--json` output: C1 controls and format characters. */
export function jsonLeaks(text: string): string[] {
  const found: string[] = [];
  for (const char of text.match(/[\x00-\x09\x0b-\x1f\x80-\x9f]/g) ?? []) found.push(escaped(char));
  for (const char of text.match(/\p{Cf}/gu) ?? []) if (!ALLOWED_FORMAT.has(char)) found.push(escaped(char));
  return found;
}

/** `text` with every character outside printable ASCII as `\uXXXX`. */
export function escaped(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
