/**
 * Rendering the dashboard into a fake terminal of a given size (ink-testing-library's is fixed at 100 columns),
 * and pressing keys. Frames are captured whole (Ink's debug mode); `screen()` gives the last one without ANSI.
 */
import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink';
import React from 'react';
import { App } from '../../src/ui/App.js';
import type { Dashboard } from '../../src/ui/dashboard.js';

class FakeStdout extends EventEmitter {
  readonly frames: string[] = [];
  readonly isTTY = false;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
}

/** A keyboard for Ink: raw mode accepted, `write` puts keys in as if typed. */
export class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
  }
  read = (): string | null => {
    const { data } = this;
    this.data = null;
    return data;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** Waits for Ink to take in a key and draw (a macrotask, twice: one for input, one for the store's re-render). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Keys by name, as a terminal sends them. */
export const KEYS = {
  enter: '\r',
  esc: '\x1b',
  tab: '\t',
  shiftTab: '\x1b[Z',
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  backspace: '\x7f',
  space: ' ',
  ctrlC: '\x03',
} as const;

/** A mounted dashboard in a fake terminal. */
export interface Rendered {
  /** The last frame, as written (with colours). */
  frame(): string;
  /** The last frame without escape sequences. */
  screen(): string;
  /** Types keys one at a time, letting Ink draw after each. */
  press(...keys: string[]): Promise<void>;
  /** Changes the terminal's size and tells Ink. */
  resize(columns: number, rows: number): Promise<void>;
  readonly stdout: FakeStdout;
  unmount(): void;
}

/** Renders `<App>` for `dashboard` in a `columns` x `rows` terminal. */
export async function renderDashboard(dashboard: Dashboard, columns = 100, rows = 30): Promise<Rendered> {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const instance = render(<App dashboard={dashboard} />, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  await settle();
  const frame = () => stdout.frames.at(-1) ?? '';
  return {
    frame,
    screen: () => stripVTControlCharacters(frame()),
    async press(...keys) {
      for (const key of keys) {
        stdin.write(key);
        await settle();
      }
    },
    async resize(c, r) {
      stdout.columns = c;
      stdout.rows = r;
      stdout.emit('resize');
      await settle();
    },
    stdout,
    unmount: () => instance.unmount(),
  };
}

/** Every line of a screen, trailing spaces removed. */
export function linesOf(screen: string): string[] {
  return screen.split('\n').map((line) => line.trimEnd());
}

/** The text lines of the confirmation dialog on a screen (inside its box, without the border). */
export function dialogLines(screen: string): string[] {
  return linesOf(screen)
    .filter((line) => line.startsWith('│'))
    .map((line) => line.replace(/^│ /, '').replace(/ *│$/, ''))
    .filter((line) => line !== '');
}

/** Every escape sequence in a frame that is not a colour/attribute (SGR), and every BEL or C1 control. */
export function dangerous(frame: string): string[] {
  const found: string[] = [];
  const escapes = frame.match(/\x1b(\[[0-?]*[ -/]*[@-~]|[\s\S])/g) ?? [];
  for (const sequence of escapes) if (!/^\x1b\[[0-9;:]*m$/.test(sequence)) found.push(JSON.stringify(sequence));
  for (const char of frame.match(/[\x07\x80-\x9f]/g) ?? []) found.push(JSON.stringify(char));
  return found;
}
