/**
 * THE writer of notifications into the user's terminal: the bell, and desktop notifications as OSC 9 (iTerm2,
 * WezTerm, kitty, Windows Terminal, foot, ghostty) and OSC 777 (`notify;title;body`: urxvt, VTE terminals, kitty,
 * ghostty). Their text comes from workers and is written into an escape sequence on purpose, so everything that
 * reaches one goes through {@link oscText}: every control character stripped (no ESC, BEL or ST can end the
 * sequence early and start another), separators that would split fields replaced, length bounded.
 * Inside tmux, each sequence is wrapped in tmux's passthrough (`ESC P tmux; … ESC \`, inner ESCs doubled) so it
 * reaches the outer terminal; tmux passes it on only with `set -g allow-passthrough on` (tmux 3.3 and later).
 */

import { CONTROL_CHARACTERS } from '../text/sanitize.js';

/** The most characters a title or body of a desktop notification keeps. */
export const OSC_TEXT_MAX = 200;

const BEL = '\x07';
const ESC = '\x1b';


/**
 * Text made safe to place inside an OSC string: controls stripped, whitespace runs made one space, `;` replaced
 * when `fieldSeparator` (an OSC 777 title or body, whose fields `;` separates), at most {@link OSC_TEXT_MAX} characters.
 */
export function oscText(text: string, options: { readonly fieldSeparator?: boolean } = {}): string {
  let clean = text.replace(/[\t\n\r]+/g, ' ').replace(CONTROL_CHARACTERS, '').replace(/ {2,}/g, ' ').trim();
  if (options.fieldSeparator) clean = clean.replace(/;/g, ',');
  const chars = [...clean];
  return chars.length > OSC_TEXT_MAX ? `${chars.slice(0, OSC_TEXT_MAX - 1).join('')}…` : clean;
}

/** What to write, and how. */
export interface TerminalNotification {
  readonly title: string;
  readonly body: string;
  readonly bell: boolean;
  readonly desktop: boolean;
  /** Running inside tmux ($TMUX set): wrap the OSC sequences in tmux's passthrough. */
  readonly tmux: boolean;
}

/** The bytes that ring the bell and raise a desktop notification, as asked; empty when nothing is. */
export function terminalNotification(notification: TerminalNotification): string {
  let out = '';
  if (notification.desktop) {
    const title = oscText(notification.title, { fieldSeparator: true });
    const body = oscText(notification.body, { fieldSeparator: true });
    // OSC 9 text that starts with digits and `;` means something else to ConEmu and Windows Terminal (progress).
    const message = oscText(`${title}: ${body}`).replace(/^(\d+);/, '$1,');
    out += passthrough(`${ESC}]9;${message}${BEL}`, notification.tmux);
    out += passthrough(`${ESC}]777;notify;${title};${body}${BEL}`, notification.tmux);
  }
  if (notification.bell) out += BEL;
  return out;
}

function passthrough(sequence: string, tmux: boolean): string {
  return tmux ? `${ESC}Ptmux;${sequence.replaceAll(ESC, ESC + ESC)}${ESC}\\` : sequence;
}
