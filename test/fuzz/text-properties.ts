/**
 * Properties of the text that crosses a trust boundary: the sanitizer (remote text → the user's terminal) and the
 * one quoting function (data → a POSIX shell), the latter checked against real shells, with a canary directory
 * that any executed `touch` would write into.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { shellJoin, shellQuote } from '../../src/ssh/quote.js';
import { sanitizeBlock, sanitizeLine } from '../../src/text/sanitize.js';
import { anyText, hostileText, soup, TERMINAL_TOKENS } from './arbitraries.js';
import { ensure, type AnyFuzzProperty } from './runner.js';
import { escaped, terminalLeaks } from './terminal-checks.js';

/** Sequences a sanitizer removes (escape and C1 introduced): each must leave a mark in single-line text. */
const SEQUENCES = TERMINAL_TOKENS.filter((token) => /^[\x1b\x90-\x9f]/.test(token));

/** Printable text with no control, format or surrogate character: what the sanitizer must leave exactly as it is. */
const plainText = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((text) => !/[\x00-\x1f\x7f-\x9f\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u.test(text));

/** The sanitizer's properties, to its documented behaviour (every `\p{Cf}` but ZWJ covered, removals marked). */
export const sanitizerProperties: AnyFuzzProperty[] = [
  {
    name: 'sanitizeLine: idempotent',
    arbitrary: fc.oneof(hostileText(20), anyText()),
    check: (text: string) => {
      const once = sanitizeLine(text);
      ensure(sanitizeLine(once) === once, () => `${escaped(once)} became ${escaped(sanitizeLine(once))}`);
    },
  },
  {
    name: 'sanitizeLine: no C0, DEL, C1 or format character (ZWJ kept) in the result',
    arbitrary: fc.oneof(hostileText(20), anyText()),
    check: (text: string) => {
      const out = sanitizeLine(text);
      const bad = out.match(/[\x00-\x1f\x7f-\x9f]|(?!\u200d)\p{Cf}/gu);
      ensure(bad === null, () => `left ${bad!.map(escaped).join(' ')}`);
    },
  },
  {
    name: 'sanitizeLine: a removed sequence leaves a visible mark',
    arbitrary: fc.tuple(plainText, fc.constantFrom(...SEQUENCES), plainText),
    check: ([before, sequence, after]: [string, string, string]) => {
      ensure(sanitizeLine(before + sequence + after) !== sanitizeLine(before + after), () => `${escaped(sequence)} vanished without a trace`);
    },
  },
  {
    name: 'sanitizeLine: printable text is left exactly as it is',
    arbitrary: plainText,
    check: (text: string) => ensure(sanitizeLine(text) === text, () => `${escaped(text)} became ${escaped(sanitizeLine(text))}`),
  },
  {
    name: 'sanitizeBlock: only colours (SGR) survive, and only when kept',
    arbitrary: fc.tuple(hostileText(30), fc.boolean()),
    check: ([text, keepColor]: [string, boolean]) => {
      const leaks = terminalLeaks(sanitizeBlock(text, { keepColor }), { allowSgr: keepColor });
      ensure(leaks.length === 0, () => `leaks ${leaks.join(' ')}`);
    },
  },
];

/** Text for a shell: shell syntax, a canary command in every form, quotes, newlines, any unicode. */
const shellText = fc.oneof(soup(['$(touch mc-canary)', '`touch mc-canary`', "'", '"', '\\', '\n', '!', '$', '-', '=', '=ls', '^', '~', 'a'], { maxParts: 20 }), anyText()).map((text) => text.replace(/\0/g, ''));

/** Runs `printf '%s\0'` of every quoted input in `shell` (in `dir`), and says which came back changed. */
function echoThrough(shell: string, words: readonly string[], dir: string): (string | undefined)[] {
  const script = `printf '%s\\0' ${shellJoin(words)}\n`;
  let out: Buffer;
  try {
    out = execFileSync(shell, ['-s'], { input: script, cwd: dir, maxBuffer: 1 << 28, env: { PATH: process.env['PATH'], HOME: dir }, stdio: 'pipe' });
  } catch (error) {
    // One word broke the whole command: find which, one shell per word.
    if (words.length > 1) return words.flatMap((word) => echoThrough(shell, [word], dir));
    return [`${shell} failed: ${((error as { stderr?: Buffer }).stderr?.toString() ?? (error as Error).message).trim().slice(0, 200)}`];
  }
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 0) {
      parts.push(out.subarray(start, i));
      start = i + 1;
    }
  }
  return words.map((word, i) => (parts[i]?.equals(Buffer.from(word, 'utf8')) ? undefined : `${shell} printed ${escaped(parts[i]?.toString('utf8') ?? '(nothing)')}`));
}

/** The quoting function's properties, against the shells a worker may have as `sh`. */
export const quotingProperties: AnyFuzzProperty[] = [
  {
    name: 'shellQuote: throws only for a NUL byte, and then a plain Error',
    arbitrary: anyText(),
    check: (text: string) => {
      let thrown: unknown;
      try {
        shellQuote(text);
      } catch (error) {
        thrown = error;
      }
      ensure(text.includes('\0') === (thrown !== undefined), `threw ${String(thrown)} for ${escaped(text)}`);
    },
  },
  {
    name: 'shellQuote: round trip through dash, bash and zsh (quote → shell → the same bytes), nothing executed',
    arbitrary: shellText,
    checkAll: (words: readonly string[]) => {
      const dir = mkdtempSync(join(tmpdir(), 'mc-fuzz-quote-'));
      try {
        const shells = ['dash', 'bash', 'zsh'].filter((shell) => existsSync(`/usr/bin/${shell}`) || existsSync(`/bin/${shell}`));
        const results = shells.map((shell) => {
          const out: (string | undefined)[] = [];
          for (let i = 0; i < words.length; i += 500) out.push(...echoThrough(shell, words.slice(i, i + 500), dir));
          return out;
        });
        const executed = readdirSync(dir);
        return words.map((_, i) => (executed.length > 0 ? `a quoted word was executed: ${executed.join(', ')} appeared` : results.map((r) => r[i]).find((m) => m !== undefined)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
