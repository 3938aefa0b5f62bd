/**
 * What a job id may look like, in one place: launch makes ids by this rule and refuses others, the scan lists only
 * job directories whose names follow it. A job id becomes a directory name, part of a tmux session name and part
 * of paths in scripts, and is shown on the user's terminal: tmux expands `#(…)`/`#{…}` and rewrites `.` and `:` in
 * names, and anything else (escapes, newlines) could reach the terminal. Pure; imports nothing.
 */

/** The characters a job id is made of, as a bracket-expression body (the same in a RegExp and a shell pattern). */
export const JOB_ID_CHARACTERS = 'A-Za-z0-9_-';

/** The longest job id: a directory name (255 bytes on Linux) with room for the session prefix. */
export const MAX_JOB_ID_LENGTH = 200;

/** A job id, or a tmux session name made of the same characters. */
export const SAFE_ID_PATTERN = new RegExp(`^[${JOB_ID_CHARACTERS}]+$`);

/** True when `text` is a job id launch could have made: safe characters only, 1 to {@link MAX_JOB_ID_LENGTH} long. */
export function isJobId(text: string): boolean {
  return text.length <= MAX_JOB_ID_LENGTH && SAFE_ID_PATTERN.test(text);
}

/**
 * A name that is not a job id, quoted for a message: JSON-style, with every character outside printable ASCII
 * written as `\uXXXX` (so no escape, control, bidi or format character is ever shown raw), cut after `max` characters.
 */
export function quoteName(name: string, max = 80): string {
  const cut = [...name];
  const shown = cut.slice(0, max).join('');
  const quoted = JSON.stringify(shown).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return cut.length > max ? `${quoted}…` : quoted;
}
