/**
 * `mission-control <command> --help` for the subcommands that parse their own arguments (the job commands and
 * `send`): the command's usage lines, what JOB may be, and for `launch` the kinds this config offers with their
 * parameters and agent. Pure: the caller passes the job settings of the config in force.
 */
import { JOB_ARGUMENT_HELP, JOB_USAGE } from '../jobs/cli.js';
import type { JobSettings } from '../jobs/kinds.js';
import { usageOf } from '../jobs/params.js';
import { sanitizeLine } from '../text/sanitize.js';
import { SEND_HELP } from './send.js';

/** The commands that answer `--help` with their own text. */
const USAGE: Readonly<Record<string, string>> = { ...JOB_USAGE, send: SEND_HELP };

/** The commands that take a JOB argument. */
const TAKES_JOB = new Set(['logs', 'stop', 'rm', 'send', 'resume']);

/** True when `args` (a subcommand's own arguments) ask for help: `-h` or `--help` before any `--`. */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** The help text of `command`, or undefined for a command without its own. */
export function commandHelp(command: string, settings: JobSettings): string | undefined {
  const usage = USAGE[command];
  if (usage === undefined) return undefined;
  let text = `Usage:\n${usage}`;
  if (TAKES_JOB.has(command)) text += `\n${JOB_ARGUMENT_HELP}`;
  if (command === 'launch') text += `\n${kindsHelp(settings)}`;
  return `${text}\nExit status: 0 done; 1 failed (what and where is printed); 2 bad usage or request.\n`;
}

/** The kinds `launch` takes: name, parameters, agent and description, one line each. */
function kindsHelp(settings: JobSettings): string {
  const kinds = [...settings.kinds.values()].sort((a, b) => a.name.localeCompare(b.name));
  const rows = kinds.map((kind) => [
    `${kind.name} ${kind.params.length === 0 ? '' : usageOf(kind)}`.trimEnd(),
    [kind.description, kind.agent === undefined ? undefined : `(agent: ${kind.agent})`].filter((part) => part !== undefined).join(' '),
  ]);
  const width = Math.max(...rows.map(([usage]) => usage!.length));
  const lines = rows.map(([usage, what]) => sanitizeLine(`  ${usage!.padEnd(width)}  ${what}`.trimEnd()));
  return `KIND and its PARAMS (values by position, or name=value):\n${lines.join('\n')}\n`;
}
