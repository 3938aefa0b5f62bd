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

// Controls that remain once sequences are gone, DEL, C1, and the bidi/invisible formatting characters
// that can make text read differently than it is.
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Shows a control character in caret notation (`^[`) or as `\u….`: visible, inert. */
function visible(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return '^?';
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of remote text for a table cell: every escape sequence removed, every control shown visibly, tabs as spaces. */
export function sanitizeLine(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(/\t/g, ' ').replace(CONTROL, visible);
}

/**
 * Multi-line remote text (a pane capture, a log tail): colours (SGR) kept when `keepColor` is set, every other
 * sequence removed, line breaks kept, other controls shown visibly.
 */
export function sanitizeBlock(text: string, options: { keepColor?: boolean } = {}): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  return lines
    .map((line) =>
      line
        .replace(ESCAPE_SEQUENCE, (sequence) => (options.keepColor && SGR.test(sequence) ? sequence : ''))
        .replace(/\t/g, '    ')
        .replace(/[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, visible)
        .replace(/\x1b(?!\[[0-9;:]*m)/g, '^['),
    )
    .join('\n');
}
