/**
 * `mission-control <command> --help` for every subcommand of the command table: the command's usage lines, what
 * JOB may be, and for `launch` the kinds this config offers with their parameters and agent. Pure: the caller passes the job settings of the config in force.
 */
import { JOB_ARGUMENT_HELP } from '../jobs/cli.js';
import { resolveJobSettings, type JobSettings } from '../jobs/kinds.js';
import { usageOf } from '../jobs/params.js';
import { sanitizeLine } from '../text/sanitize.js';
import { COMMANDS, commandEntry } from './commands.js';
import { HELP } from './usage.js';

/** True when `args` (a subcommand's own arguments) ask for help: `-h` or `--help` before any `--`. */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** The help text of `command`, or undefined for a command without its own. */
export function commandHelp(command: string, settings: JobSettings): string | undefined {
  const entry = commandEntry(command);
  if (entry === undefined) return undefined;
  let text = `Usage:\n${entry.usage}`;
  if (entry.operands.includes('job')) text += `\n${JOB_ARGUMENT_HELP}`;
  if (command === 'launch') text += `\n${kindsHelp(settings)}`;
  return `${text}\nExit status: ${entry.exitStatus ?? '0 done; 1 failed (what and where is printed); 2 bad usage or request.'}\n`;
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

/** Where the generated command reference lives, relative to the repository root. */
export const CLI_DOC = 'docs/cli.md';

/** docs/cli.md: the top-level help, then each subcommand's `--help` with the built-in kinds. Generated; do not edit. */
export function renderCliDoc(): string {
  const settings = resolveJobSettings();
  const sections = COMMANDS.map((entry) => `## ${entry.name}\n\n\`\`\`\n${commandHelp(entry.name, settings)}\`\`\`\n`);
  return [
    '# mission-control command line',
    '',
    '<!-- Generated from the command table (src/cli/commands.ts) by `npm run docs:cli`; a test fails when it is stale. -->',
    '',
    'Every subcommand answers `--help` with the text below; `launch --help` lists the kinds of the config in force',
    '(here, the built-in ones). Shell completion: `source <(mission-control completion bash)` (bash, or zsh after',
    '`compinit`), `mission-control completion fish | source` (fish); it completes subcommands, their flags, kinds,',
    'workers and job refs (those by a quick scan of the fleet).',
    '',
    '```',
    HELP.trimEnd(),
    '```',
    '',
    sections.join('\n'),
  ].join('\n');
}
