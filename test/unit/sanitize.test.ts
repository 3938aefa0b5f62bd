import { describe, expect, it } from 'vitest';
import { REMOVED_SEQUENCE_MARK, safeJson, sanitizeBlock, sanitizeLine } from '../../src/text/sanitize.js';

const ESC = '\x1b';
const M = REMOVED_SEQUENCE_MARK;

describe('sanitizeLine', () => {
  it.each([
    ['plain', 'review 123', 'review 123'],
    ['cursor movement', `a${ESC}[2J${ESC}[Hb`, `a${M}${M}b`],
    ['title change (OSC 0, BEL)', `x${ESC}]0;pwned${'\x07'}y`, `x${M}y`],
    ['clipboard write (OSC 52, ST)', `x${ESC}]52;c;cm0gLXJmIH4=${ESC}\\y`, `x${M}y`],
    ['unterminated OSC swallows the rest', `x${ESC}]52;c;AAAA`, `x${M}`],
    ['8-bit CSI', `x\x9b2Jy`, `x${M}y`],
    ['DCS string', `x${ESC}Pq#0;2;0;0;0${ESC}\\y`, `x${M}y`],
    ['colours are removed in a cell, with a mark', `${ESC}[31mred${ESC}[0m`, `${M}red${M}`],
    ['an empty SGR is not invisible', `x${ESC}[m`, `x${M}`],
    ['controls shown visibly', 'a\rb\nc\x07d\x00e\x7f', 'a^Mb^Jc^Gd^@e^?'],
    ['tab becomes a space', 'a\tb', 'a b'],
    ['lone ESC', `a${ESC}`, `a${M}`],
    ['unicode kept', '日本語 ✓', '日本語 ✓'],
  ])('%s', (_name, input, expected) => {
    expect(sanitizeLine(input)).toBe(expected);
  });

  // One case per class of format character (\p{Cf}) and separator; each is shown, never passed through.
  it.each([
    ['bidi override (U+202E)', 'abc\u202Edef', 'abc\\u202edef'],
    ['bidi isolate (U+2066)', 'a\u2066b', 'a\\u2066b'],
    ['arabic letter mark (U+061C)', 'a\u061Cb', 'a\\u061cb'],
    ['left-to-right mark (U+200E)', 'a\u200Eb', 'a\\u200eb'],
    ['zero-width space (U+200B)', 'a\u200Bb', 'a\\u200bb'],
    ['word joiner (U+2060)', 'a\u2060b', 'a\\u2060b'],
    ['invisible plus (U+2064)', 'a\u2064b', 'a\\u2064b'],
    ['deprecated format (U+206A)', 'a\u206Ab', 'a\\u206ab'],
    ['nominal digit shapes (U+206F)', 'a\u206Fb', 'a\\u206fb'],
    ['soft hyphen (U+00AD)', 'a\u00ADb', 'a\\u00adb'],
    ['byte order mark (U+FEFF)', 'a\uFEFFb', 'a\\ufeffb'],
    ['interlinear annotation (U+FFF9)', 'a\uFFF9b', 'a\\ufff9b'],
    ['arabic number sign (U+0600)', 'a\u0600b', 'a\\u0600b'],
    ['language tag (U+E0001)', 'a\u{E0001}b', 'a\\u{e0001}b'],
    ['tag letter (U+E0041)', 'a\u{E0041}b', 'a\\u{e0041}b'],
    ['cancel tag (U+E007F)', 'a\u{E007F}b', 'a\\u{e007f}b'],
    ['line separator (U+2028)', 'a\u2028b', 'a\\u2028b'],
    ['paragraph separator (U+2029)', 'a\u2029b', 'a\\u2029b'],
    ['C1 next line (U+0085)', 'a\u0085b', 'a\\u0085b'],
    ['lone surrogate', 'a\uD800b', 'a\\ud800b'],
  ])('%s', (_name, input, expected) => {
    expect(sanitizeLine(input)).toBe(expected);
    expect(sanitizeBlock(input)).toBe(expected);
  });

  it('keeps the zero-width joiner, so emoji sequences survive', () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    expect(sanitizeLine(family)).toBe(family);
    expect(sanitizeBlock(family)).toBe(family);
  });

  it('leaves no ESC, BEL, C1 or format character in any output', () => {
    let input = '';
    for (let i = 0; i < 0xa0; i += 1) input += `${String.fromCharCode(i)}x${ESC}[${i}m${ESC}]${i};t\x07`;
    for (let c = 0; c <= 0xe007f; c += 1) if (c < 0xd800 || c > 0xdfff) input += String.fromCodePoint(c);
    expect(sanitizeLine(input)).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029]|(?!\u200d)\p{Cf}/u);
  });

  it('is idempotent, so a second pass at the screen changes nothing', () => {
    const input = `x${ESC}]0;T\x07\u202E${ESC}[31m\x85y\t\u{E0041}`;
    expect(sanitizeLine(sanitizeLine(input))).toBe(sanitizeLine(input));
  });
});

describe('sanitizeBlock', () => {
  it('keeps SGR colours when asked and removes everything else, without a mark', () => {
    const input = `${ESC}[1;32mok${ESC}[0m\n${ESC}]52;c;AAAA\x07${ESC}[10;10Hmoved\r\nnext`;
    expect(sanitizeBlock(input, { keepColor: true })).toBe(`${ESC}[1;32mok${ESC}[0m\nmoved\nnext`);
    expect(sanitizeBlock(input)).toBe('ok\nmoved\nnext');
  });

  it('shows a stray carriage return instead of letting it rewrite the line', () => {
    expect(sanitizeBlock('secret\rpublic')).toBe('secret^Mpublic');
  });
});

describe('safeJson', () => {
  const hostile = `n\u0085a\u009bb\u202Ec\u2028d\u200De\u00ADf\u{E0041}g\x7fh${ESC}]52;c;QQ==\x07`;

  it.each([
    ['C1 next line', '\u0085', '\\u0085'],
    ['8-bit CSI', '\u009b', '\\u009b'],
    ['DEL', '\x7f', '\\u007f'],
    ['bidi override', '\u202E', '\\u202e'],
    ['line separator', '\u2028', '\\u2028'],
    ['soft hyphen', '\u00AD', '\\u00ad'],
    ['tag letter (two UTF-16 units)', '\u{E0041}', '\\udb40\\udc41'],
    ['ESC (JSON.stringify escapes it already)', ESC, '\\u001b'],
  ])('escapes %s', (_name, char, escaped) => {
    expect(safeJson({ name: `a${char}b` })).toBe(`{"name":"a${escaped}b"}`);
  });

  it('stays valid JSON that parses back to the same value, indented or not', () => {
    const value = { name: hostile, list: [hostile, '\\\u0085'], plain: 'ok ✓' };
    for (const indent of [undefined, 2]) {
      const text = safeJson(value, indent);
      expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]|\p{Cf}/u);
      expect(JSON.parse(text)).toEqual(value);
    }
  });
});
