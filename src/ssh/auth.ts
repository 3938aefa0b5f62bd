/**
 * Which credentials a connection offers, in OpenSSH's order: the ssh-agent's keys, then the identity
 * files. Keys are read at connect time and never copied anywhere else; nothing here is logged.
 */
import { readFile } from 'node:fs/promises';
import type { AuthMethod, AgentAuthMethod, PublicKeyAuthMethod } from 'ssh2';
import type { SshTarget } from './target.js';

/** The auth methods to try and a human account of what was tried or skipped, for an 'auth' error. */
export interface AuthPlan {
  readonly methods: Array<AgentAuthMethod | PublicKeyAuthMethod>;
  /** e.g. `ssh-agent (/run/agent.sock)`, `/root/.ssh/id_ed25519`. */
  readonly tried: string[];
  /** e.g. `/root/.ssh/id_rsa (encrypted; add it to ssh-agent with ssh-add)`. */
  readonly skipped: string[];
}

/** Builds the auth plan for `target`; `agent` is an ssh-agent socket path (usually SSH_AUTH_SOCK). */
export async function planAuth(target: SshTarget, agent: string | undefined): Promise<AuthPlan> {
  const methods: AuthPlan['methods'] = [];
  const tried: string[] = [];
  const skipped: string[] = [];
  const base: Pick<AuthMethod, 'username'> = { username: target.user };
  // Loaded on the first connection, not with the program: ssh2 costs tens of ms before the dashboard's first frame.
  // It is CommonJS: Node's ESM loader sees only some of its names as named exports, and `utils` is not one.
  const { default: ssh2 } = await import('ssh2');
  if (agent) {
    methods.push({ ...base, type: 'agent', agent });
    tried.push(`ssh-agent (${agent})`);
  }
  for (const file of target.identityFiles) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (error) {
      skipped.push(`${file} (unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      continue;
    }
    const parsed = ssh2.utils.parseKey(data);
    if (parsed instanceof Error) {
      // An encrypted key needs a passphrase we never ask for; the agent is how it gets used unattended.
      const encrypted = /encrypt|passphrase/i.test(parsed.message);
      skipped.push(
        encrypted
          ? `${file} (encrypted: load it into ssh-agent with \`ssh-add ${file}\`${agent ? '' : ' and set SSH_AUTH_SOCK'})`
          : `${file} (not a private key ssh2 can read: ${parsed.message})`,
      );
      continue;
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || !key.isPrivateKey()) {
      skipped.push(`${file} (not a private key)`);
      continue;
    }
    methods.push({ ...base, type: 'publickey', key });
    tried.push(file);
  }
  return { methods, tried, skipped };
}

/** One sentence describing an auth plan, for the end of an 'auth' error. */
export function describeAuthPlan(plan: AuthPlan): string {
  const tried = plan.tried.length ? `tried ${plan.tried.join(', ')}` : 'no key or agent to offer';
  return plan.skipped.length ? `${tried}; skipped ${plan.skipped.join(', ')}` : tried;
}
