import type { Key } from 'ink';

/**
 * A key as the binding table names it: a printable character (`j`, `G`, `?`), a named key (`enter`, `esc`, `tab`,
 * `shift+tab`, `space`, `up`, `down`, `left`, `right`, `home`, `end`, `pageup`, `pagedown`, `backspace`), or `ctrl+x`.
 */
export type KeyName = string;

/**
 * Turns Ink's `(input, key)` into the keys pressed. Ink hands over a run of plain characters read at once as one
 * input (`jj` when a key repeats, `a\r` when typing outpaces a frame, a paste): it is split here into one key per
 * character, so no key is lost or misread.
 */
export function keyNames(input: string, key: Key): KeyName[] {
  if (input.length > 1 && !key.ctrl && !key.meta && !input.includes('\x1b')) return [...input].map(charName);
  return [keyName(input, key)];
}

/** The key one character of a plain run stands for. */
function charName(char: string): KeyName {
  if (char === '\r' || char === '\n') return 'enter';
  if (char === '\t') return 'tab';
  if (char === '\x7f' || char === '\b') return 'backspace';
  if (char === ' ') return 'space';
  const code = char.charCodeAt(0);
  if (code < 0x20) return `ctrl+${String.fromCharCode(code + 0x60)}`;
  return char;
}

/** Turns Ink's `(input, key)` for a single key into a {@link KeyName}. */
export function keyName(input: string, key: Key): KeyName {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input.length === 1) return `ctrl+${input.toLowerCase()}`;
  if (key.meta && input.length > 0) return `alt+${input}`;
  if (input === ' ') return 'space';
  return input;
}

/** True when the key is text to insert into an input line (not a named key or a chord). */
export function isText(name: KeyName): boolean {
  if (name === 'space') return true;
  return name.length > 0 && !NAMED.has(name) && !/^(ctrl|alt)\+./.test(name) && !/[\x00-\x1f\x7f]/.test(name);
}

/** The character a text key inserts. */
export function textOf(name: KeyName): string {
  return name === 'space' ? ' ' : name;
}

const NAMED = new Set([
  'up',
  'down',
  'left',
  'right',
  'pageup',
  'pagedown',
  'home',
  'end',
  'enter',
  'esc',
  'tab',
  'shift+tab',
  'backspace',
]);

const DISPLAY: Readonly<Record<string, string>> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  enter: 'enter',
  esc: 'esc',
  tab: 'tab',
  'shift+tab': 'shift-tab',
  space: 'space',
  backspace: 'backspace',
};

/** How a key is written for people (footer, help, docs): `↓`, `ctrl-d`, `G`. */
export function displayKey(name: KeyName): string {
  if (name.startsWith('ctrl+')) return `ctrl-${name.slice(5)}`;
  if (name.startsWith('alt+')) return `alt-${name.slice(4)}`;
  return DISPLAY[name] ?? name;
}
