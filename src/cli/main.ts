import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { JOB_COMMANDS } from '../jobs/cli.js';
import { resolveJobSettings } from '../jobs/kinds.js';
import { asksForHelp, commandHelp } from './command-help.js';
import { initOffer, runInit } from './init.js';
import { commandEntry } from './commands.js';
import { completionScript } from './completion-scripts.js';
import { runComplete } from './completion.js';
import { loadFleetConfig } from './load-config.js';
import { runSend } from './send.js';
import { runSuspend } from './suspend.js';
import { terminalIo, terminalStream } from './terminal-io.js';
import { runStatus } from './status.js';
import { EXIT, HELP, UsageError } from './usage.js';

/** The subcommands that act on jobs, each parsing its own arguments. */
const JOB_HANDLERS = { ...JOB_COMMANDS, send: runSend, suspend: runSuspend };

const OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  watch: { type: 'boolean' },
  readonly: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies ParseArgsConfig['options'];

/** The subcommands main dispatches itself (the job commands have their own parsers), with the options each takes. */
const OWN_COMMANDS = ['dashboard', 'watch', 'status', 'attach', 'completion'] as const;

const ALLOWED: Record<string, ReadonlySet<string>> = Object.fromEntries(
  OWN_COMMANDS.map((name) => [name, new Set(['config', 'help', ...(commandEntry(name)?.flags ?? []).map((flag) => flag.name.slice(2))])]),
);

/** Every subcommand this dispatcher runs, for the test that each has an entry in the command table. */
export const DISPATCHED_COMMANDS: readonly string[] = [...OWN_COMMANDS, 'init', 'image', 'autopilot', ...Object.keys(JOB_HANDLERS)];

// This module's own messages (usage errors quote the command line, config errors the file) go through the same
// sanitizing streams as every command's output.
const stdout = () => terminalStream(process.stdout);
const stderr = () => terminalStream(process.stderr);

/** Commands whose positional argument may be left out. */
const OPTIONAL_POSITIONAL = new Set(['status']);

/** Runs the command line; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      stderr().write(`mission-control: ${error.message}\nRun 'mission-control --help' for usage.\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

async function dispatch(argv: readonly string[]): Promise<number> {
  // The completion scripts' call back: before any parsing, since the words are a command line being typed.
  if (argv[0] === '__complete') return runComplete(argv.slice(1), (text) => process.stdout.write(text));
  const split = splitConfigOption(argv);
  const first = split.rest.find((arg) => !arg.startsWith('-'));
  if (first === 'init') {
    const args = split.rest.filter((_, i) => i !== split.rest.indexOf('init'));
    return asksForHelp(args) ? printCommandHelp('init', split.config) : runInit(args, split.config);
  }
  if (first === 'image') {
    const args = split.rest.filter((_, i) => i !== split.rest.indexOf('image'));
    return asksForHelp(args) && args.length <= 1 ? printCommandHelp('image', split.config) : (await import('./image.js')).runImageCommand(args);
  }
  if (first === 'autopilot') {
    const args = split.rest.filter((_, i) => i !== split.rest.indexOf('autopilot'));
    return asksForHelp(args) ? printCommandHelp('autopilot', split.config) : (await import('./autopilot.js')).runAutopilot(args, split.config);
  }
  if (first !== undefined && Object.hasOwn(JOB_HANDLERS, first)) {
    const before = split.rest.slice(0, split.rest.indexOf(first));
    if (before.length > 0 && !asksForHelp(before)) throw new UsageError(`${before[0]} must come after '${first}': mission-control ${first} ${before.join(' ')} …`);
    const args = split.rest.slice(split.rest.indexOf(first) + 1);
    if (before.length > 0 || asksForHelp(args)) return printCommandHelp(first, split.config);
    return runJobCommand(first, args, split.config);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error));
  }
  const { values, positionals } = parsed;
  if (values.version) {
    stdout().write(`${version()}\n`);
    return EXIT.ok;
  }
  const [command = 'dashboard', ...rest] = positionals;
  if (command === 'help' || (values.help && positionals.length === 0)) {
    stdout().write(HELP);
    return EXIT.ok;
  }
  if (values.help && Object.hasOwn(ALLOWED, command)) return printCommandHelp(command, values.config);
  const allowed = ALLOWED[command];
  if (!allowed) throw new UsageError(`unknown command '${command}'`);
  const operands = commandEntry(command)?.operands ?? [];
  const wanted = operands.length;
  if (rest.length > wanted) throw new UsageError(`unexpected argument '${rest[wanted]}' for '${command}'`);
  if (rest.length < wanted && !OPTIONAL_POSITIONAL.has(command)) throw new UsageError(`'${command}' needs a ${operands[rest.length]}: ${commandEntry(command)?.usage.trim().split('\n')[0]}`);
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && !allowed.has(name)) throw new UsageError(`--${name} does not apply to '${command}'`);
  }

  if (command === 'completion') {
    const script = completionScript(rest[0]!);
    if (script === undefined) throw new UsageError(`no completion for the shell '${rest[0]}': expected bash, zsh or fish`);
    process.stdout.write(script);
    return EXIT.ok;
  }
  const loaded = await loadFleetConfig(values.config);
  if (!loaded.ok) {
    stderr().write(`${loaded.message}\n`);
    return EXIT.usage;
  }
  // No config file: inside a git checkout, say what `init` would make of it rather than leave a fleet that cannot launch.
  const offer = loaded.config.source === undefined ? await initOffer(process.cwd(), loaded.path) : undefined;
  // The dashboard shows it on its status line: a line written before the full screen opens would only be seen after.
  if (offer !== undefined && command !== 'dashboard' && command !== 'watch') stderr().write(`${offer}\n`);
  switch (command) {
    case 'status':
      if (rest[0] !== undefined && values.watch) throw new UsageError("'status WORKER' takes no --watch");
      return runStatus(loaded, { json: values.json ?? false, watch: values.watch ?? false, worker: rest[0] });
    case 'attach': {
      const { attachToJob } = await import('../ui/attach.js');
      return attachToJob(loaded, rest[0]!, { readOnly: values.readonly ?? false });
    }
    case 'watch':
    case 'dashboard': {
      const { runDashboard } = await import('../ui/run.js');
      return runDashboard(loaded, {
        readOnly: command === 'watch' || (values.readonly ?? false),
        wallboard: command === 'watch',
        ...(offer !== undefined ? { startNotice: offer } : {}),
      });
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/**
 * Takes `--config PATH` (or `--config=PATH`) from anywhere before a job command's own arguments, so each job
 * command can parse the rest with its own options.
 */
function splitConfigOption(argv: readonly string[]): { config: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let config: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--config') {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError("option '--config <value>' argument missing");
      config = value;
      i += 1;
    } else if (arg.startsWith('--config=')) {
      config = arg.slice('--config='.length);
    } else {
      rest.push(arg);
    }
  }
  return { config, rest };
}

async function runJobCommand(command: string, args: string[], configPath: string | undefined): Promise<number> {
  const loaded = await loadFleetConfig(configPath);
  if (!loaded.ok) {
    stderr().write(`${loaded.message}\n`);
    return EXIT.usage;
  }
  const { createFleet } = await import('../app/fleet.js');
  const force = takeForce(command, args);
  const fleet = createFleet(loaded.config, force ? { overBudget: true } : {});
  // Ctrl-C ends `logs -f` cleanly (exit 0 after the last line); every other job command stops as usual on it.
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  if (command === 'logs') process.once('SIGINT', interrupt);
  try {
    return await JOB_HANDLERS[command as keyof typeof JOB_HANDLERS](fleet, args, terminalIo(controller.signal), loaded.config.jobs);
  } finally {
    process.off('SIGINT', interrupt);
    await fleet.close();
  }
}

/** Commands that may create or wake a cloud worker, and so take `--force` past the monthly budget. */
const BUDGETED_COMMANDS = new Set(['launch', 'setup']);

/** Removes `--force` (before any `--`) from a budgeted command's arguments; true when it was there. */
function takeForce(command: string, args: string[]): boolean {
  if (!BUDGETED_COMMANDS.has(command)) return false;
  const end = args.includes('--') ? args.indexOf('--') : args.length;
  const at = args.slice(0, end).indexOf('--force');
  if (at < 0) return false;
  args.splice(at, 1);
  return true;
}

/** `<command> --help`: its usage, with the kinds of the config in force (the built-in ones when it cannot be read). */
async function printCommandHelp(command: string, configPath: string | undefined): Promise<number> {
  const loaded = await loadFleetConfig(configPath);
  const settings = loaded.ok ? loaded.config.jobs : resolveJobSettings();
  stdout().write(commandHelp(command, settings) ?? HELP);
  if (!loaded.ok) stderr().write(`note: the config could not be read, so only built-in kinds are listed:\n${loaded.message}\n`);
  return EXIT.ok;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
