/**
 * `init`: writes a first config from what this machine already has: the local worker, the git checkout the command
 * runs in (its origin as `repo.url`, the checkout itself as the local worker's main clone, so nothing is cloned
 * twice), SSH workers from `~/.ssh/config` aliases the user picks, and the default agent from those on PATH.
 * Asks in a terminal; takes flags and `--yes` in scripts; never replaces an existing config without `--force`.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { AGENT_NAMES, DEFAULT_AGENT, type AgentName } from '../agents/schema.js';
import { formatConfigError } from '../config/config-error.js';
import { defaultConfigPath, parseConfig } from '../config/load.js';
import { terminalStream } from './terminal-io.js';
import { EXIT, UsageError } from './usage.js';

/** What init found on this machine. */
export interface InitFacts {
  /** The top of the git checkout the command runs in, if any. */
  readonly checkout?: string;
  /** That checkout's `origin` URL, if it has one. */
  readonly origin?: string;
  /** Host aliases of `~/.ssh/config`, without patterns. */
  readonly sshAliases: readonly string[];
  /** The agents whose command is on PATH, in preset order. */
  readonly agents: readonly AgentName[];
}

/** What goes into the config. */
export interface InitChoices {
  /** Use the checkout as the local worker's main clone (and its origin as `repo.url`). */
  readonly useCheckout: boolean;
  /** SSH aliases to add as workers. */
  readonly ssh: readonly string[];
  /** The default agent; undefined leaves the built-in default. */
  readonly agent?: AgentName;
}

/** Where init looks: the directory it runs in and the environment (HOME, PATH, XDG_CONFIG_HOME). */
export interface InitContext {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
  /** Asks a question in a terminal; undefined when there is none (answers are the defaults then). */
  readonly ask?: (question: string) => Promise<string>;
}

const USAGE = `Usage: mission-control init [--config PATH] [--ssh ALIAS,…] [--agent ${AGENT_NAMES.join('|')}] [--no-repo] [--yes] [--force]
Writes a commented config: the local worker, the git checkout it runs in (origin as repo.url, the checkout as the
local worker's main clone), SSH workers from ~/.ssh/config aliases, the default agent from those on PATH.
  --ssh LIST   SSH aliases to add as workers, comma-separated
  --agent NAME the agent built-in kinds run (default: the first of ${AGENT_NAMES.join(', ')} on PATH)
  --no-repo    leave the current checkout out
  --yes, -y    ask nothing: take the defaults and the flags
  --force      replace an existing config file
`;

/** Runs `mission-control init ARGS`; resolves to the exit code. */
export async function runInit(args: readonly string[], configPath: string | undefined, context: InitContext = processContext()): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        ssh: { type: 'string' },
        agent: { type: 'string' },
        'no-repo': { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`init: ${error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error)}`);
  }
  if (values.help) {
    context.out.write(USAGE);
    return EXIT.ok;
  }
  if (values.agent !== undefined && !isAgent(values.agent)) {
    throw new UsageError(`init: --agent ${values.agent} is not an agent preset; expected one of ${AGENT_NAMES.join(', ')}`);
  }
  const file = configPath ?? defaultConfigPath(context.env);
  if (!values.force && (await exists(file))) {
    context.err.write(`mission-control: ${file} exists already; left as it is. Edit it, or run \`mission-control init --force\` to replace it.\n`);
    return EXIT.usage;
  }

  const facts = await gatherFacts(context.cwd, context.env);
  const wanted = values.ssh === undefined ? undefined : values.ssh.split(',').map((a) => a.trim()).filter((a) => a !== '');
  const unknown = (wanted ?? []).filter((alias) => !facts.sshAliases.includes(alias));
  if (unknown.length > 0) {
    const known = facts.sshAliases.length > 0 ? facts.sshAliases.join(', ') : 'none';
    throw new UsageError(`init: --ssh ${unknown.join(',')}: not a Host alias of ~/.ssh/config (aliases there: ${known})`);
  }
  const ask = values.yes ? undefined : context.ask;
  if (ask) context.out.write(`A config for this machine, to be written to ${file}:\n`);
  const choices = await choose(facts, { ssh: wanted, agent: values.agent as AgentName | undefined, noRepo: values['no-repo'] ?? false }, ask, (text) => context.err.write(`${text}\n`));

  const text = renderConfig(facts, choices, new Date());
  // The file must load as it is written: a config init cannot read back is never left behind.
  const check = parseConfig(text, file);
  if (!check.ok) throw new Error(`init made a config that does not load:\n${check.errors.map(formatConfigError).join('\n')}`);
  await mkdir(dirname(file), { recursive: true });
  try {
    await writeFile(file, text, { flag: values.force ? 'w' : 'wx' });
  } catch (error) {
    context.err.write(`mission-control: cannot write ${file}: ${(error as Error).message}. Pick another path with --config.\n`);
    return EXIT.usage;
  }
  context.out.write(summary(file, facts, choices));
  return EXIT.ok;
}

/** One line for a run without a config inside a git checkout: what `init` would write, and the command. */
export async function initOffer(cwd: string, configPath: string): Promise<string | undefined> {
  const checkout = await git(cwd, ['rev-parse', '--show-toplevel']);
  if (checkout === undefined) return undefined;
  const origin = await git(checkout, ['remote', 'get-url', 'origin']);
  const repo = origin === undefined ? '' : ` and ${origin} as repo.url`;
  return `mission-control: no config at ${configPath}; \`mission-control init\` writes one with the local worker using ${checkout} as its main clone${repo}, so jobs can be launched on it.`;
}

/** Looks at the checkout in `cwd`, `~/.ssh/config` and PATH. */
export async function gatherFacts(cwd: string, env: NodeJS.ProcessEnv): Promise<InitFacts> {
  const checkout = await git(cwd, ['rev-parse', '--show-toplevel']);
  const origin = checkout === undefined ? undefined : await git(checkout, ['remote', 'get-url', 'origin']);
  const sshConfig = await readFile(join(env.HOME || homedir(), '.ssh', 'config'), 'utf8').catch(() => '');
  const found = await Promise.all(AGENT_NAMES.map(async (name) => ((await onPath(name, env.PATH ?? '')) ? name : undefined)));
  return {
    ...(checkout !== undefined && { checkout }),
    ...(origin !== undefined && { origin }),
    sshAliases: sshAliases(sshConfig),
    agents: found.filter((name): name is AgentName => name !== undefined),
  };
}

/** The `Host` aliases of an ssh config, in order, without patterns (`*`, `?`, `!`) which name no one host. */
export function sshAliases(text: string): string[] {
  const aliases: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*host(?:\s*=\s*|\s+)(.*)$/i.exec(line);
    if (!match) continue;
    for (const alias of match[1]!.replace(/#.*$/, '').trim().split(/\s+/)) {
      if (alias !== '' && !/[*?!]/.test(alias) && !aliases.includes(alias)) aliases.push(alias);
    }
  }
  return aliases;
}

/** The config text for these facts and choices, with comments that say what each part is for. */
export function renderConfig(facts: InitFacts, choices: InitChoices, now: Date): string {
  const value = (v: string) => stringify(v).trimEnd();
  const checkout = choices.useCheckout ? facts.checkout : undefined;
  const origin = choices.useCheckout ? facts.origin : undefined;
  const lines = [`# mission-control config, written by \`mission-control init\` on ${now.toISOString().slice(0, 10)}.`, '# Edits apply to a running dashboard.', ''];
  if (choices.agent !== undefined) {
    lines.push(`# The agent the built-in kinds run: ${AGENT_NAMES.join(', ')}.`, `agent: ${choices.agent}`, '');
  } else {
    lines.push(`# The agent the built-in kinds run (${AGENT_NAMES.join(', ')}); none was found on PATH, so the default (${DEFAULT_AGENT}) runs.`, `# agent: ${DEFAULT_AGENT}`, '');
  }
  if (origin !== undefined) {
    lines.push('# The repository jobs work on. `mission-control setup WORKER` clones it to repo.mainDir (~/dev/main) on workers', '# that have no mainDir of their own.', 'repo:', `  url: ${value(origin)}`, '');
  } else if (checkout !== undefined) {
    lines.push('# The checkout has no origin remote: add `repo: {url: …}` so `mission-control setup` can clone it on other workers.', '');
  }
  lines.push('workers:', '  # This machine. Its jobs run in tmux on a private server.', '  - name: local', '    provider: local');
  if (checkout !== undefined) lines.push('    # The existing checkout is the main clone: job worktrees are made from it, nothing is cloned again.', `    mainDir: ${value(checkout)}`);
  for (const { alias, name } of sshWorkers(choices.ssh)) {
    lines.push(`  # ${alias} from ~/.ssh/config; \`mission-control setup ${name}\` makes it ready for jobs.`, `  - name: ${value(name)}`, '    provider: ssh', `    ssh: ${value(alias)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A worker name per ssh alias: the alias when it is a valid, unused name, else a cleaned-up and numbered one. */
function sshWorkers(aliases: readonly string[]): { alias: string; name: string }[] {
  const taken = new Set(['local']);
  return aliases.map((alias) => {
    const base = alias.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 60) || 'ssh';
    let name = base;
    for (let i = 2; taken.has(name); i += 1) name = `${base}-${i}`;
    taken.add(name);
    return { alias, name };
  });
}

async function choose(
  facts: InitFacts,
  flags: { ssh: readonly string[] | undefined; agent: AgentName | undefined; noRepo: boolean },
  ask: InitContext['ask'],
  warn: (text: string) => void,
): Promise<InitChoices> {
  let useCheckout = facts.checkout !== undefined && !flags.noRepo;
  if (ask && useCheckout) {
    const origin = facts.origin === undefined ? '' : ` (origin ${facts.origin} as repo.url)`;
    useCheckout = !/^n/i.test(await ask(`Use the checkout ${facts.checkout} as the local worker's main clone${origin}? [Y/n] `));
  }
  let ssh = flags.ssh ?? [];
  if (ask && flags.ssh === undefined && facts.sshAliases.length > 0) {
    const answer = await ask(`SSH workers to add, comma-separated (from ~/.ssh/config: ${facts.sshAliases.join(', ')}) [none]: `);
    const picked = answer.split(',').map((a) => a.trim()).filter((a) => a !== '');
    ssh = picked.filter((a) => facts.sshAliases.includes(a));
    const left = picked.filter((a) => !ssh.includes(a));
    if (left.length > 0) warn(`not a Host alias of ~/.ssh/config, left out: ${left.join(', ')}`);
  }
  let agent = flags.agent ?? facts.agents[0];
  if (ask && flags.agent === undefined && facts.agents.length > 1) {
    const answer = (await ask(`Default agent (on PATH: ${facts.agents.join(', ')}) [${agent}]: `)).trim();
    if (isAgent(answer)) agent = answer;
  }
  return { useCheckout, ssh, ...(agent !== undefined && { agent }) };
}

function summary(file: string, facts: InitFacts, choices: InitChoices): string {
  const checkout = choices.useCheckout ? facts.checkout : undefined;
  const lines = [`Wrote ${file}:`, `  worker local (this machine)${checkout === undefined ? '' : `, main clone ${checkout}`}`];
  for (const { alias, name } of sshWorkers(choices.ssh)) lines.push(`  worker ${name} (ssh ${alias})`);
  if (choices.useCheckout && facts.origin !== undefined) lines.push(`  repo.url ${facts.origin}`);
  lines.push(`  agent ${choices.agent ?? `${DEFAULT_AGENT} (the default; none found on PATH)`}`);
  if (choices.ssh.length > 0) lines.push(`Next: \`mission-control setup WORKER\` for each SSH worker, then \`mission-control\`.`);
  else lines.push('Next: `mission-control` opens the dashboard.');
  return `${lines.join('\n')}\n`;
}

function isAgent(name: string): name is AgentName {
  return (AGENT_NAMES as readonly string[]).includes(name);
}

/** Runs git with an argv (no shell); its trimmed output, or undefined when it fails. */
function git(cwd: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['-C', cwd, ...args], { timeout: 10_000 }, (error, stdout) => {
      const text = String(stdout).trim();
      resolve(error || text === '' ? undefined : text);
    });
  });
}

async function onPath(command: string, path: string): Promise<boolean> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    if (await access(join(dir, command), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

function processContext(): InitContext {
  const terminal = process.stdin.isTTY && process.stdout.isTTY;
  return {
    cwd: process.cwd(),
    env: process.env,
    out: terminalStream(process.stdout),
    err: terminalStream(process.stderr),
    ...(terminal && {
      ask: async (question: string) => {
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        try {
          return await rl.question(question);
        } finally {
          rl.close();
        }
      },
    }),
  };
}
