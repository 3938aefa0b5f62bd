/** A mistake in how mission-control was called: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes, the same for every subcommand. */
export const EXIT = {
  ok: 0,
  /** Some workers did not answer (the rest was still printed). */
  partial: 1,
  /** Bad config or usage. */
  usage: 2,
} as const;

import { JOB_ARGUMENT_HELP, JOBS_HELP } from '../jobs/cli.js';
import { SEND_HELP } from './send.js';

/** The top-level help text. */
export const HELP = `mission-control: watch and drive a fleet of coding-agent jobs in tmux sessions on local, SSH and cloud workers.

Usage:
  mission-control [--readonly]         open the dashboard (full screen)
  mission-control watch                a read-only wallboard: nothing can change the fleet from it
  mission-control status [--json] [--watch]
                                       print the fleet: workers, then jobs
  mission-control status WORKER [--json]
                                       one worker in full: whole last error, connection, container
                                       state and its last log lines, jobs, cost, problems
  mission-control attach [--readonly] JOB
                                       attach this terminal to a job's tmux session (detach: C-q, or
                                       the tmux prefix then d; --readonly: watch without typing into it)
${SEND_HELP}${JOBS_HELP}  mission-control help | --help        this text
  mission-control COMMAND --help       a command's own help (launch --help lists the kinds)
  mission-control --version            the version

${JOB_ARGUMENT_HELP}
Options:
  --config PATH   the config file (default: $XDG_CONFIG_HOME/mission-control/config.yaml,
                  or ~/.config/mission-control/config.yaml; without one, the fleet is
                  this machine alone, as the worker "local")
  --json          machine-readable output (schema: docs/status-json.md)
  --watch         keep refreshing in place until interrupted
  --readonly      open the dashboard without any action that changes the fleet

Exit status: 0 all workers answered; 1 some workers did not answer; 2 bad config or usage.
`;
