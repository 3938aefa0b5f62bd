import { describe, expect, it } from 'vitest';
import { sanitizeBlock, sanitizeLine } from '../../src/text/sanitize.js';

const ESC = '\x1b';

describe('sanitizeLine', () => {
  it.each([
    ['plain', 'review 123', 'review 123'],
    ['cursor movement', `a${ESC}[2J${ESC}[Hb`, 'ab'],
    ['title change (OSC 0, BEL)', `x${ESC}]0;pwned${'\x07'}y`, 'xy'],
    ['clipboard write (OSC 52, ST)', `x${ESC}]52;c;cm0gLXJmIH4=${ESC}\\y`, 'xy'],
    ['unterminated OSC swallows the rest', `x${ESC}]52;c;AAAA`, 'x'],
    ['8-bit CSI', `x\x9b2Jy`, 'xy'],
    ['DCS string', `x${ESC}Pq#0;2;0;0;0${ESC}\\y`, 'xy'],
    ['colours are removed in a cell', `${ESC}[31mred${ESC}[0m`, 'red'],
    ['controls shown visibly', 'a\rb\nc\x07d\x00e\x7f', 'a^Mb^Jc^Gd^@e^?'],
    ['tab becomes a space', 'a\tb', 'a b'],
    ['bidi override shown', 'abc\u202Edef', 'abc\\u202edef'],
    ['lone ESC', `a${ESC}`, 'a'],
    ['unicode kept', '日本語 ✓', '日本語 ✓'],
  ])('%s', (_name, input, expected) => {
    expect(sanitizeLine(input)).toBe(expected);
  });

  it('leaves no ESC, BEL or C1 byte in any output', () => {
    let input = '';
    for (let i = 0; i < 0xa0; i += 1) input += `${String.fromCharCode(i)}x${ESC}[${i}m${ESC}]${i};t\x07`;
    expect(sanitizeLine(input)).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });
});

describe('sanitizeBlock', () => {
  it('keeps SGR colours when asked and removes everything else', () => {
    const input = `${ESC}[1;32mok${ESC}[0m\n${ESC}]52;c;AAAA\x07${ESC}[10;10Hmoved\r\nnext`;
    expect(sanitizeBlock(input, { keepColor: true })).toBe(`${ESC}[1;32mok${ESC}[0m\nmoved\nnext`);
    expect(sanitizeBlock(input)).toBe('ok\nmoved\nnext');
  });

  it('shows a stray carriage return instead of letting it rewrite the line', () => {
    expect(sanitizeBlock('secret\rpublic')).toBe('secret^Mpublic');
  });
});
