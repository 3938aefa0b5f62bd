/**
 * The `notify:` section: how mission-control tells the user that a job needs them (it started waiting, failed, or
 * finished its turn). Its own schema, assembled into the config file's by `schema.ts`.
 */
import { z } from 'zod';
import { closed, expecting } from './rules.js';

/** What to do when a job starts waiting, fails, or finishes its turn. */
export interface NotifySettings {
  /** Ring the terminal's bell. */
  readonly bell: boolean;
  /** A desktop notification through the terminal (OSC 9 and OSC 777). */
  readonly desktop: boolean;
  /** A program (argv, no shell) given one JSON event on its standard input per notification; none when empty. */
  readonly command: readonly string[];
}

/** Bell and desktop notification on, no command. */
export const DEFAULT_NOTIFY: NotifySettings = Object.freeze({ bell: true, desktop: true, command: Object.freeze([]) });

const COMMAND_RULE = 'a program and its arguments as a list of strings, e.g. [notify-send, mission-control]';

const switchOf = (what: string) => z.boolean({ error: expecting(`true or false (${what})`) });

/** The fields of `notify:`. */
export const notifyShape = {
  bell: switchOf('ring the terminal bell').optional(),
  desktop: switchOf('desktop notification through the terminal').optional(),
  command: z
    .array(z.string({ error: expecting(COMMAND_RULE) }).refine((arg) => !arg.includes('\0'), { error: 'an argument cannot contain a NUL byte' }), {
      error: expecting(COMMAND_RULE),
    })
    .refine((argv) => argv.length === 0 || argv[0] !== '', { error: 'the program name (the first item) cannot be empty' })
    .optional(),
};

/** The `notify:` section as written. */
export const notifySchema = closed(notifyShape, 'a mapping with `bell`, `desktop` and/or `command`');

/** `notify:` with its defaults applied. */
export function resolveNotify(written: z.output<typeof notifySchema> | null | undefined): NotifySettings {
  return {
    bell: written?.bell ?? DEFAULT_NOTIFY.bell,
    desktop: written?.desktop ?? DEFAULT_NOTIFY.desktop,
    command: written?.command ?? DEFAULT_NOTIFY.command,
  };
}
