/**
 * Resolves where an SSH worker really is by asking the user's own OpenSSH client (`ssh -G`), so Host
 * patterns, Match blocks and Include behave exactly as they do for `ssh` in a terminal. No connection is made.
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';

/** How a worker names its SSH host: an ssh config alias, or explicit connection details. */
export type SshTargetSpec =
  | { readonly alias: string; readonly sshConfigFile?: string }
  | {
      readonly host: string;
      readonly user?: string;
      readonly port?: number;
      readonly identityFile?: string;
      readonly sshConfigFile?: string;
    };

/** A fully resolved SSH destination, as OpenSSH would connect to it. */
export interface SshTarget {
  /** The host name or address to connect to (`HostName`, lowercased as OpenSSH does). */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Private keys to offer, in order; only files that exist. */
  readonly identityFiles: readonly string[];
  /** `ProxyJump` hops (`[user@]host[:port]`, comma separated), if any. */
  readonly proxyJump?: string;
  /** `ProxyCommand`, with `%h %p %r %n %%` already substituted, if any. */
  readonly proxyCommand?: string;
  /** known_hosts files to check: `UserKnownHostsFile` entries first, then `GlobalKnownHostsFile`. */
  readonly knownHostsFiles: readonly string[];
  /** `HostKeyAlias`: the name host keys are looked up and recorded under instead of the host. */
  readonly hostKeyAlias?: string;
  /** How the user knows this target: the alias, or `user@host:port`. */
  readonly label: string;
  /** Arguments for `ssh` that reach this target from a terminal (for hints such as "run ssh … once"). */
  readonly sshArgs: readonly string[];
  /** The ssh config file used to resolve it, when not the default. */
  readonly sshConfigFile?: string;
}

/** Parses `ssh -G` output (`key value` lines, lowercase keys) into a multimap. */
export function parseSshG(output: string): Map<string, string[]> {
  const options = new Map<string, string[]>();
  for (const line of output.split('\n')) {
    const match = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!match) continue;
    const key = match[1]!.toLowerCase();
    const values = options.get(key) ?? [];
    values.push(match[2]!);
    options.set(key, values);
  }
  return options;
}

/** Resolves a worker's SSH spec through `ssh -G`; fails with an actionable message if that is impossible. */
export async function resolveSshTarget(spec: SshTargetSpec): Promise<SshTarget> {
  const name = 'alias' in spec ? spec.alias : spec.host;
  if (!name || name.startsWith('-') || /\s/.test(name)) {
    throw new Error(`invalid SSH host ${JSON.stringify(name)}: expected a host name or an ssh config alias`);
  }
  const args = ['-G'];
  const sshArgs: string[] = [];
  if (spec.sshConfigFile) {
    args.push('-F', spec.sshConfigFile);
    sshArgs.push('-F', spec.sshConfigFile);
  }
  if (!('alias' in spec)) {
    if (spec.port !== undefined) {
      if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) {
        throw new Error(`invalid SSH port ${spec.port} for ${name}: expected 1-65535`);
      }
      args.push('-p', String(spec.port));
      sshArgs.push('-p', String(spec.port));
    }
    if (spec.user !== undefined) {
      args.push('-l', spec.user);
      sshArgs.push('-l', spec.user);
    }
    if (spec.identityFile !== undefined) {
      const file = expandPath(spec.identityFile, {});
      if (!(await fileExists(file))) {
        throw new Error(`identity file ${file} for ${name} does not exist: fix identityFile in the worker's config`);
      }
      args.push('-i', file);
      sshArgs.push('-i', file);
    }
  }
  args.push('--', name);
  sshArgs.push(name);

  const options = parseSshG(await runSshG(args, name));
  const one = (key: string) => options.get(key)?.[0];
  const host = (one('hostname') ?? name).toLowerCase();
  const user = one('user') ?? userInfo().username;
  const port = Number(one('port') ?? '22');
  const tokens: Tokens = { h: host, p: String(port), r: user, n: name };

  const identityFiles: string[] = [];
  for (const raw of options.get('identityfile') ?? []) {
    const file = expandPath(raw, tokens);
    if (!identityFiles.includes(file) && (await fileExists(file))) identityFiles.push(file);
  }
  const knownHostsFiles = [...(options.get('userknownhostsfile') ?? []), ...(options.get('globalknownhostsfile') ?? [])]
    .flatMap((value) => value.split(/\s+/))
    .filter((file) => file && file !== 'none')
    .map((file) => expandPath(file, tokens));

  const proxyJump = unlessNone(one('proxyjump'));
  const rawProxyCommand = unlessNone(one('proxycommand'));
  const hostKeyAlias = unlessNone(one('hostkeyalias'));
  return {
    host,
    port,
    user,
    identityFiles,
    ...(proxyJump ? { proxyJump } : {}),
    ...(rawProxyCommand ? { proxyCommand: substituteProxyTokens(rawProxyCommand, tokens, name) } : {}),
    knownHostsFiles: [...new Set(knownHostsFiles)],
    ...(hostKeyAlias ? { hostKeyAlias } : {}),
    label: 'alias' in spec ? spec.alias : `${user}@${host}:${port}`,
    sshArgs,
    ...(spec.sshConfigFile ? { sshConfigFile: spec.sshConfigFile } : {}),
  };
}

type Tokens = Partial<Record<'h' | 'p' | 'r' | 'n', string>>;

function runSshG(args: string[], name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('ssh', args, { timeout: 10_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(
          new Error(
            'the OpenSSH client (`ssh`) is not installed; mission-control reads ~/.ssh/config through it. ' +
              'Install openssh-client (e.g. `apt-get install openssh-client`) and try again',
          ),
        );
      }
      const why = stderr
        .split('\n')
        .filter((line) => line && !line.startsWith('Pseudo-terminal'))
        .join('; ');
      reject(new Error(`cannot resolve SSH host ${name} with \`ssh ${args.join(' ')}\`: ${why || error.message}`));
    });
    // ssh -G never reads stdin; closing it keeps ssh from warning about a missing terminal.
    child.stdin?.end();
  });
}

function unlessNone(value: string | undefined): string | undefined {
  return value === undefined || value === 'none' ? undefined : value;
}

/** Expands a leading `~` and the `%d %u %h %p %r %n %%` tokens OpenSSH allows in file paths. */
function expandPath(value: string, tokens: Tokens): string {
  const home = homedir();
  const withHome = value === '~' || value.startsWith('~/') ? home + value.slice(1) : value;
  return withHome.replace(/%([duhprn%])/g, (whole, token: string) => {
    if (token === '%') return '%';
    if (token === 'd') return home;
    if (token === 'u') return userInfo().username;
    return tokens[token as keyof Tokens] ?? whole;
  });
}

/**
 * ssh -G leaves ProxyCommand's tokens for the connecting process to fill in; we are that process.
 * The command is the user's own shell string, but the values come from host names, so they must not
 * be able to add shell syntax to it (OpenSSH 9.6 added the same check).
 */
function substituteProxyTokens(command: string, tokens: Tokens, name: string): string {
  return command.replace(/%([hprn%])/g, (whole, token: string) => {
    if (token === '%') return '%';
    const value = tokens[token as keyof Tokens] ?? whole;
    if (!/^[A-Za-z0-9._:@\[\]-]+$/.test(value)) {
      throw new Error(
        `cannot use ProxyCommand for ${name}: %${token} would be ${JSON.stringify(value)}, which contains characters a shell would interpret`,
      );
    }
    return value;
  });
}

/** True when `file` exists (and can be reached). */
export async function fileExists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
