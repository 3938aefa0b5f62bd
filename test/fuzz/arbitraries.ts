/**
 * Generators of arbitrary and hostile text for the parser properties. Random strings alone rarely reach the
 * interesting branches of a parser, so most generators are "token soups": random runs of the parser's own
 * syntax (markers, separators, keywords) mixed with terminal escapes, shell syntax and random unicode.
 */
import fc from 'fast-check';

/** Escape sequences and control characters a hostile remote could put into any text we show. */
export const TERMINAL_TOKENS = [
  '\x1b]0;owned\x07',
  '\x1b]52;c;cm0gLXJmIH4=\x07',
  '\x1b]8;;http://x\x1b\\',
  '\x1b[2J',
  '\x1b[31m',
  '\x1b[0m',
  '\x1b[1;1H',
  '\x1bP+q\x1b\\',
  '\x1b_apc\x1b\\',
  '\x1b',
  '\x1b[',
  '\x9b2J',
  '\x9d0;t\x9c',
  '\x90q\x9c',
  '\x85',
  '\x07',
  '\x08',
  '\x7f',
  '\x00',
  '\r',
  '\t',
  '\n',
  '\u202e',
  '\u2066',
  '\u200f',
  '\u061c',
  '\u2060',
  '\u2064',
  '\u206a',
  '\u00ad',
  '\ufeff',
  '\u{e0041}',
  '\u200d',
  '\ud800',
  '\udfff',
  '👩‍💻',
] as const;

/** Shell, tmux and git syntax that must stay literal. */
export const SHELL_TOKENS = [
  '$(touch x)',
  '`touch x`',
  '#(touch x)',
  '#{session_name}',
  '##',
  ';',
  '\\;',
  "'",
  '"',
  '\\',
  '-',
  '--',
  '*',
  '?',
  '[a]',
  '~',
  '$HOME',
  '${IFS}',
  '%h',
  '%%',
  '{pr}',
  '{{',
  '}}',
  ' ',
  '=',
  '@',
  '/',
  ':',
  '.',
  '|',
  '&',
  '>',
  '<',
] as const;

/** A string over every kind of character: plain ASCII, full unicode (lone surrogates too), controls. */
export function anyText(maxLength = 200): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: fc.integer({ min: 0, max: 0x2ff }).map((code) => String.fromCharCode(code)), maxLength }),
  );
}

/** A random run of `tokens` and arbitrary text: a parser's own syntax in unexpected order and places. */
export function soup(tokens: readonly string[], options: { maxParts?: number; textLength?: number } = {}): fc.Arbitrary<string> {
  const part = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...tokens) },
    { weight: 1, arbitrary: fc.constantFrom(...TERMINAL_TOKENS, ...SHELL_TOKENS) },
    { weight: 2, arbitrary: anyText(options.textLength ?? 12) },
  );
  return fc.array(part, { maxLength: options.maxParts ?? 40 }).map((parts) => parts.join(''));
}

/** Text meant to reach the terminal: escapes, controls, bidi and format characters among ordinary text. */
export function hostileText(maxParts = 12): fc.Arbitrary<string> {
  return soup([...TERMINAL_TOKENS, 'a', 'B', ' ', 'job', '-', '/'], { maxParts, textLength: 6 });
}

/** A syntactically plausible host name (what known_hosts and ssh -G would hold). */
export const hostName = fc
  .array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/), { minLength: 1, maxLength: 4 })
  .map((labels) => labels.join('.'));

/** A valid SSH public key blob: `string type` followed by random key material. */
export const keyBlob = fc
  .tuple(fc.constantFrom('ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'sk-ssh-ed25519@openssh.com'), fc.uint8Array({ maxLength: 64 }))
  .map(([type, rest]) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(type.length);
    return { type, blob: Buffer.concat([head, Buffer.from(type, 'latin1'), Buffer.from(rest)]) };
  });
