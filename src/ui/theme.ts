import type { JobState } from '../state/types.js';

/** The colours the dashboard uses (Ink colour names). Under NO_COLOR none is used: attributes (bold, inverse) stay. */
export type Colour = 'green' | 'cyan' | 'red' | 'yellow' | 'magenta' | 'gray' | 'blue';

/** The colour of a job state. */
export const STATE_COLOURS: Readonly<Record<JobState, Colour>> = {
  running: 'green',
  idle: 'cyan',
  failed: 'red',
  exited: 'yellow',
  lost: 'magenta',
  unknown: 'gray',
  working: 'green',
  waiting: 'yellow',
  done: 'blue',
};

/** True unless NO_COLOR is set to a non-empty value (https://no-color.org). */
export function colourEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env['NO_COLOR'];
}

/** `colour` when colours are on, else undefined (Ink then draws the default colour). */
export function tint(enabled: boolean, colour: Colour): Colour | undefined {
  return enabled ? colour : undefined;
}
