/**
 * The one table of subcommands. The top-level help, each `COMMAND --help`, docs/cli.md and the shell completion
 * scripts are all derived from it: a new subcommand is one entry here (plus its handler where main.ts dispatches).
 */
import { JOB_USAGE } from '../jobs/cli.js';
import { SEND_HELP } from './send.js';
import { SUSPEND_HELP } from './suspend.js';

/** What a word in a command line may be, for completion: values that come from the config or the fleet. */
export type Operand = 'kind' | 'worker' | 'job' | 'shell' | 'file' | 'value';

/** One option of a subcommand. */
export interface CommandFlag {
  /** The long form, with its dashes: `--worker`. */
  readonly name: string;
  /** What its value is, when it takes one. */
  readonly value?: Operand;
}

/** One subcommand. */
export interface CommandEntry {
  readonly name: string;
  /** Its usage lines, indented and aligned as the top-level help shows them. */
  readonly usage: string;
  /** Its options (besides `--config` and `--help`, which every command takes). */
  readonly flags: readonly CommandFlag[];
  /** What its positional arguments are, in order; the last one repeats when `repeats` is set. */
  readonly operands: readonly Operand[];
  /** True when the last operand may be given any number of times (`send JOB TEXT…`). */
  readonly repeats?: boolean;
  /** What its exit status means, when not the job commands' 0 done, 1 failed, 2 bad usage. */
  readonly exitStatus?: string;
}

const flag = (name: string, value?: Operand): CommandFlag => (value === undefined ? { name } : { name, value });
const jobUsage = (name: string): string => JOB_USAGE[name] ?? '';

/** The shells `completion` writes a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** Every subcommand, in the order the help lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'dashboard',
    usage: `  mission-control [dashboard] [--readonly]
                                       open the dashboard (full screen)
`,
    flags: [flag('--readonly')],
    operands: [],
  },
  {
    name: 'watch',
    usage: `  mission-control watch                a read-only wallboard: nothing can change the fleet from it
`,
    flags: [],
    operands: [],
  },
  {
    name: 'status',
    usage: `  mission-control status [--json] [--watch]
                                       print the fleet: workers, then jobs
  mission-control status WORKER [--json]
                                       one worker in full: whole last error, connection, container
                                       state and its last log lines, jobs, cost, problems
`,
    flags: [flag('--json'), flag('--watch')],
    exitStatus: '0 all workers answered; 1 some workers did not answer; 2 bad config or usage.',
    operands: ['worker'],
  },
  {
    name: 'attach',
    usage: `  mission-control attach [--readonly] JOB
                                       attach this terminal to a job's tmux session (detach: C-q, or
                                       the tmux prefix then d; --readonly: watch without typing into it)
`,
    flags: [flag('--readonly')],
    operands: ['job'],
  },
  {
    name: 'init',
    usage: `  mission-control init [--yes] [--ssh ALIAS,…] [--agent NAME] [--no-repo] [--force]
                                       write a first config: this checkout, ~/.ssh/config aliases, agents on PATH
`,
    flags: [flag('--yes'), flag('--ssh', 'value'), flag('--agent', 'value'), flag('--no-repo'), flag('--force')],
    operands: [],
  },
  {
    name: 'image',
    usage: `  mission-control image build [--tag T] [--docker-host H]
                                       build the docker workers' default image here, without a registry
`,
    flags: [flag('--tag', 'value'), flag('--docker-host', 'value')],
    operands: ['value'],
  },
  {
    name: 'autopilot',
    usage: `  mission-control autopilot [--once] [--json] [--print-unit]
                                       suspend or stop idle workers (their idle: policy) without a
                                       dashboard, after a fresh scan; one log line per decision (--json:
                                       one object a line); --once: one round; --print-unit: a systemd user
                                       unit running it (docs/idle.md)
`,
    flags: [flag('--once'), flag('--json'), flag('--print-unit')],
    exitStatus: '0 done (interrupted, or --once); 2 bad config or usage.',
    operands: [],
  },
  { name: 'send', usage: SEND_HELP, flags: [flag('--keys'), flag('--no-enter')], operands: ['job', 'value'], repeats: true },
  {
    name: 'launch',
    usage: jobUsage('launch'),
    flags: [flag('--worker', 'worker'), flag('--attach'), flag('--branch', 'value'), flag('--name', 'value'), flag('--no-worktree'), flag('--force')],
    operands: ['kind', 'value'],
    repeats: true,
  },
  { name: 'jobs', usage: jobUsage('jobs'), flags: [flag('--json'), flag('--waiting')], operands: [] },
  { name: 'logs', usage: jobUsage('logs'), flags: [flag('--follow'), flag('--bytes', 'value')], operands: ['job'] },
  { name: 'stop', usage: jobUsage('stop'), flags: [flag('--grace', 'value')], operands: ['job'] },
  { name: 'rm', usage: jobUsage('rm'), flags: [flag('--purge'), flag('--all-finished'), flag('--yes')], operands: ['job'] },
  { name: 'resume', usage: jobUsage('resume'), flags: [], operands: ['job'] },
  { name: 'diff', usage: jobUsage('diff'), flags: [flag('--stat'), flag('--color')], operands: ['job'] },
  { name: 'setup', usage: jobUsage('setup'), flags: [flag('--force')], operands: ['worker'] },
  { name: 'suspend', usage: SUSPEND_HELP, flags: [], operands: ['worker'] },
  {
    name: 'completion',
    usage: `  mission-control completion bash|zsh|fish
                                       print a shell completion script (bash, zsh: source <(mission-control
                                       completion bash); fish: mission-control completion fish | source)
`,
    exitStatus: '0 printed; 2 bad usage (a shell without a script).',
    flags: [],
    operands: ['shell'],
  },
];

/** The entry of `name`, if it is a subcommand. */
export function commandEntry(name: string): CommandEntry | undefined {
  return COMMANDS.find((entry) => entry.name === name);
}

/** Options every subcommand takes. */
export const COMMON_FLAGS: readonly CommandFlag[] = [flag('--config', 'file'), flag('--help')];
