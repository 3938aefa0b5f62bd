/**
 * The terminal around the dashboard: the alternate screen, the cursor, and handing the keyboard over to a child
 * process (attach) and back. No screen clear is ever written: the alternate screen starts blank by itself.
 */

/** Switches to the alternate screen and puts the cursor at its top left. */
export const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
/** Back to the normal screen, as it was before, with the cursor shown. */
export const LEAVE_ALT_SCREEN = '\x1b[?1049l\x1b[?25h';

/** What the terminal handling needs of stdin: the parts of `tty.ReadStream` used here. */
export interface TerminalInput {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  read(): unknown;
  pause(): unknown;
}

/**
 * Stops this process from reading the terminal so a child (tmux attach) gets every key. Pausing the stream is not
 * enough: Node keeps reading the tty into its buffer until the buffer is full, which would swallow the child's
 * first keys. Its handle is told to stop reading (as `net.Socket#pause` does for its own buffer mode); the next
 * reader (Ink, remounted) starts it again.
 */
export function releaseKeyboard(stdin: TerminalInput): void {
  if (stdin.isTTY && stdin.setRawMode) stdin.setRawMode(false);
  while (stdin.read() !== null) {
    // Drop keys typed before the hand-over: they were meant for the dashboard.
  }
  stdin.pause();
  const handle = (stdin as { _handle?: { reading?: boolean; readStop?: () => number } })._handle;
  if (handle?.readStop) {
    handle.reading = false;
    handle.readStop();
  }
}

/**
 * Undoes {@link releaseKeyboard}'s stop once the child has ended, so the next reader gets keys again. The stream
 * still believes a read is pending (it was cut under it), so asking it to read would wait forever: the handle is
 * started directly instead.
 */
export function reclaimKeyboard(stdin: TerminalInput): void {
  const handle = (stdin as { _handle?: { reading?: boolean; readStart?: () => number } })._handle;
  if (handle?.readStart && !handle.reading) {
    handle.reading = true;
    handle.readStart();
  }
}

/** The environment of an attach: without TMUX, so attaching from inside the user's own tmux is allowed (a different server). */
export function attachEnvironment(env: NodeJS.ProcessEnv, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const next: NodeJS.ProcessEnv = { ...env, ...extra };
  delete next['TMUX'];
  delete next['TMUX_PANE'];
  return next;
}
