/**
 * One connection attempt: transport, host key check, authentication. Every way it can fail becomes an
 * {@link SshError} that says which target, what happened, and what to try.
 */
import type { Client } from 'ssh2';
import { ChannelSlots } from './channel-slots.js';
import { shellJoin } from './quote.js';
import { describeAuthPlan, planAuth, type AuthPlan } from './auth.js';
import { isSshError, SshError } from './errors.js';
import { hostKeyAlgorithms, verifyHostKey, type HostKeyPolicy } from './host-key-check.js';
import type { SshTarget } from './target.js';
import { openTransport, type JumpHostLookup, type Transport } from './transport.js';

/** Connection settings shared by every connection of a pool. */
export interface HandshakeSettings {
  readonly hostKeyPolicy: HostKeyPolicy;
  readonly acceptNewKnownHostsFile?: string;
  readonly connectTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly keepaliveCountMax: number;
  /** ssh-agent socket; undefined for none. */
  readonly agent?: string;
  /** The gate a handshake waits at before it starts (see {@link sharedHandshakeGate}). */
  readonly handshakes: ChannelSlots;
}

/**
 * Handshakes in flight at once by default. Key exchange and authentication cost client CPU on the one JavaScript
 * thread: 200 started together each take as long as all of them, and every one misses its deadline. A few at a
 * time finish one after another instead; more than this gains nothing even at 50 ms round trips.
 */
export const DEFAULT_HANDSHAKES_IN_FLIGHT = 8;

/** The gate every pool of the process shares unless it is given a limit of its own. */
export const sharedHandshakeGate = new ChannelSlots(DEFAULT_HANDSHAKES_IN_FLIGHT, 'maxHandshakesInFlight');

/** A client that completed its handshake, and the transport under it. */
export interface OpenedClient {
  readonly client: Client;
  readonly transport: Transport;
}

/**
 * Connects and authenticates. After success, `onDrop` is called once, with a reason, when the
 * connection ends for any reason (including our own `end()`). Aborting `signal` abandons the attempt.
 * The handshake waits for a place at `settings.handshakes`; `onTurn` is called when it has one (the attempt's
 * own time starts there: its `connectTimeoutMs` and the deadlines of the calls waiting for it).
 */
export async function openClient(
  target: SshTarget,
  settings: HandshakeSettings,
  jumpHost: JumpHostLookup,
  onDrop: (reason: string) => void,
  signal: AbortSignal,
  onTurn: () => void = () => undefined,
): Promise<OpenedClient> {
  const transport = await openTransport(target, jumpHost);
  if (signal.aborted) {
    transport.dispose();
    throw signal.reason;
  }
  try {
    const plan = await planAuth(target, settings.agent);
    if (plan.methods.length === 0) {
      throw new SshError('auth', target.label, `no key or ssh-agent to log in as ${target.user} with (${describeAuthPlan(plan)})`, {
        hint: 'Set identityFile for this worker, add an IdentityFile line to ~/.ssh/config, or start ssh-agent and ssh-add your key',
      });
    }
    const serverHostKey = await hostKeyAlgorithms(target);
    // After the transport is open: a ProxyJump tunnel waits for its jump host's own handshake, which must not
    // queue behind the tunnels that need it.
    // Loaded on the first connection, not with the program (tens of ms before the dashboard's first frame).
    const { Client: SshClient } = await import('ssh2');
    const release = await settings.handshakes.acquire(signal);
    try {
      onTurn();
      const client = await handshake(new SshClient(), target, settings, transport, plan, serverHostKey, onDrop, signal);
      return { client, transport };
    } finally {
      release();
    }
  } catch (error) {
    transport.dispose();
    throw error;
  }
}

function handshake(
  client: Client,
  target: SshTarget,
  settings: HandshakeSettings,
  transport: Transport,
  plan: AuthPlan,
  serverHostKey: Awaited<ReturnType<typeof hostKeyAlgorithms>>,
  onDrop: (reason: string) => void,
  signal: AbortSignal,
): Promise<Client> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    let ready = false;
    let failed = false;
    let refusal: SshError | undefined;
    let agentTrouble = '';
    let dropReason = '';

    const fail = (error: unknown) => {
      if (ready || failed) return;
      failed = true;
      signal.removeEventListener('abort', onAbort);
      client.destroy();
      reject(error === signal.reason ? error : (refusal ?? describeFailure(target, settings, transport, plan, error, agentTrouble)));
    };
    const onAbort = () => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    client.on('error', (error: Error & { level?: string }) => {
      // ssh2 reports an unusable agent as an error but carries on with the next method.
      if (error.level === 'agent') agentTrouble = error.message;
      else if (ready) dropReason = error.level === 'client-timeout' ? 'no answer to keepalives' : error.message;
      else fail(error);
    });
    client.once('ready', () => {
      ready = true;
      signal.removeEventListener('abort', onAbort);
      // Without this each small exec waits on Nagle's algorithm: ~48 ms instead of 3-5 ms on loopback.
      client.setNoDelay(true);
      resolve(client);
    });
    client.once('close', () => {
      if (ready) onDrop(dropReason || 'the server closed the connection');
      else fail(new Error('the connection closed during the SSH handshake'));
    });
    const hostKeyOptions = {
      policy: settings.hostKeyPolicy,
      ...(settings.acceptNewKnownHostsFile ? { acceptNewFile: settings.acceptNewKnownHostsFile } : {}),
    };
    try {
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        ...(transport.sock ? { sock: transport.sock } : {}),
        readyTimeout: settings.connectTimeoutMs,
        keepaliveInterval: settings.keepaliveIntervalMs,
        keepaliveCountMax: settings.keepaliveCountMax,
        algorithms: { serverHostKey },
        authHandler: plan.methods,
        hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
          verifyHostKey(target, key, hostKeyOptions).then(
            (problem) => {
              refusal = problem;
              verify(problem === undefined);
            },
            (error: unknown) => {
              refusal = new SshError('host-key-unknown', target.label, `cannot check the host key: ${(error as Error).message}`, { cause: error });
              verify(false);
            },
          );
        },
      });
    } catch (error) {
      fail(error);
    }
  });
}

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'no answer',
  ECONNRESET: 'connection reset',
};

/** Turns whatever ssh2 reported during a failed attempt into an {@link SshError}. */
function describeFailure(
  target: SshTarget,
  settings: HandshakeSettings,
  transport: Transport,
  plan: AuthPlan,
  error: unknown,
  agentTrouble: string,
): SshError {
  if (isSshError(error)) return error;
  const cause = error as Error & { level?: string; code?: string };
  const ssh = `\`${shellJoin(['ssh', ...target.sshArgs])}\``;
  const where = `${target.host}:${target.port}`;
  if (cause.level === 'client-authentication') {
    const agent = agentTrouble ? `; ssh-agent: ${agentTrouble}` : '';
    return new SshError('auth', target.label, `login as ${target.user} was refused (${describeAuthPlan(plan)}${agent})`, {
      hint: `Check that one of these public keys is in ~${target.user}/.ssh/authorized_keys on the host, or see what ${ssh} says`,
      cause,
    });
  }
  const via = transport.describeFailure();
  let what: string;
  if (cause.level === 'client-timeout') what = `no SSH handshake from ${where} within ${settings.connectTimeoutMs} ms`;
  else if (cause.code && UNREACHABLE_CODES[cause.code]) what = `${UNREACHABLE_CODES[cause.code]} at ${where}`;
  else what = `cannot connect to ${where}: ${cause.message}`;
  return new SshError('unreachable', target.label, via ? `${what} (${via})` : what, {
    hint: `Check that the host is up and sshd listens on port ${target.port}; ${ssh} shows the same path`,
    cause,
  });
}

/**
 * Ends `client`'s connection at once, socket included. ssh2's own `destroy()` does nothing once `end()` was called
 * (it destroys only a writable socket), so a peer that never answers the end (a suspended VM, a host gone silent)
 * would keep the socket, and the process, alive.
 */
export function destroyClient(client: Client): void {
  client.destroy();
  (client as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
}
