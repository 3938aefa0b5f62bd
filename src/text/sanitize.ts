/**
 * Making remote text safe for the user's terminal. Session names, commands, errors and logs come from
 * workers, and a worker must never be able to move the cursor, retitle the window, write the clipboard
 * (OSC 52) or otherwise drive the terminal through them.
 */

// ESC-introduced sequences: CSI (with parameters), OSC/DCS/SOS/PM/APC strings (ended by BEL or ST), and
// two-character escapes. Also the 8-bit C1 forms of CSI (0x9b) and of the string introducers.
const ESCAPE_SEQUENCE =
  /\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|\x1b[\]PX^_][\s\S]*?(?:\x07|\x1b\\|\x9c|$)|\x1b[\x20-\x2f]*[\x30-\x7e]?|\x9b[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|[\x90\x98\x9d\x9e\x9f][\s\S]*?(?:\x07|\x1b\\|\x9c|$)/g;

const SGR = /^\x1b\[[0-9;:]*m$/;

/**
 * What a removed escape sequence leaves in single-line text (names, reasons, errors): the replacement
 * character, so `x<ESC>[m` and `x` never look the same. Pane captures and logs drop sequences without it.
 */
export const REMOVED_SEQUENCE_MARK = '\ufffd';

/**
 * Every character that acts instead of showing, or hides or reorders text: C0, DEL, C1, the line and paragraph
 * separators, lone surrogates, and every format character (bidi overrides and isolates, zero-width and invisible
 * operators, soft hyphen, tags, BOM) except the zero-width joiner, which emoji sequences need and which cannot
 * reorder or hide text on its own. Single-line text shows them visibly; notifications strip them.
 */
export const CONTROL_CHARACTERS = /[\x00-\x1f\x7f-\x9f\u2028\u2029\p{Cs}]|(?!\u200d)\p{Cf}/gu;

// In blocks, tab, line feed and ESC are handled apart.
const BLOCK_CONTROL = /[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f-\x9f\u2028\u2029\p{Cs}]|(?!\u200d)\p{Cf}/gu;

/** Shows a control character in caret notation (`^[`) or as `\u….` (`\u{…}` past the BMP): visible, inert. */
function visible(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return '^?';
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One line of remote text for a table cell, a notice or a title: every escape sequence replaced by
 * {@link REMOVED_SEQUENCE_MARK}, every control and format character shown visibly, tabs as spaces.
 */
export function sanitizeLine(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, REMOVED_SEQUENCE_MARK).replace(/\t/g, ' ').replace(CONTROL_CHARACTERS, visible);
}

/**
 * Multi-line remote text (a pane capture, a log tail): colours (SGR) kept when `keepColor` is set, every other
 * sequence removed without a mark (a screen is full of them), line breaks kept, other controls shown visibly.
 */
export function sanitizeBlock(text: string, options: { keepColor?: boolean } = {}): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  return lines
    .map((line) =>
      line
        .replace(ESCAPE_SEQUENCE, (sequence) => (options.keepColor && SGR.test(sequence) ? sequence : ''))
        .replace(/\t/g, '    ')
        .replace(BLOCK_CONTROL, visible)
        .replace(/\x1b(?!\[[0-9;:]*m)/g, '^['),
    )
    .join('\n');
}

// What JSON.stringify leaves raw but a terminal (or a reader of the document) would act on or hide: DEL, C1,
// the line and paragraph separators and every format character. Lone surrogates it escapes itself.
const JSON_UNSAFE = /[\x7f-\x9f\u2028\u2029\p{Cf}]/gu;

/**
 * A value as JSON that is safe to print: JSON.stringify, then every character of {@link JSON_UNSAFE} written as
 * a `\u….` escape (each UTF-16 unit). Such characters only occur inside strings, so the document stays valid and
 * parses back to the same value.
 */
export function safeJson(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(JSON_UNSAFE, jsonEscape);
}

function jsonEscape(char: string): string {
  let escaped = '';
  for (let i = 0; i < char.length; i += 1) escaped += `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return escaped;
}
