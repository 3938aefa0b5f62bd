import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type TestSshd } from '../harness/sshd.js';
import { waitFor } from '../support/ssh-fleet.js';
import { SshProvider } from '../../src/providers/ssh.js';
import { observation } from '../../src/providers/types.js';
import { SshError } from '../../src/ssh/errors.js';
import { SshPool, type SshPoolOptions } from '../../src/ssh/pool.js';
import type { SshTarget } from '../../src/ssh/target.js';

const WORKERS = 40;
const servers: TestSshd[] = [];

beforeAll(async () => {
  // A few at a time: starting 40 servers together overloads a small machine.
  while (servers.length < WORKERS) servers.push(...(await Promise.all(Array.from({ length: Math.min(8, WORKERS - servers.length) }, () => startSshd()))));
}, 180_000);

afterAll(async () => {
  for (const server of servers) await server.stop();
});

/** The target of a server; a host that never answers gets the first server's key and known_hosts (it never reads them). */
function targetOf(server: { host: string; port: number } & Partial<TestSshd>, label: string): SshTarget {
  const keys = servers[0]!;
  return {
    host: server.host,
    port: server.port,
    user: server.user ?? keys.user,
    identityFiles: [server.clientKeyPath ?? keys.clientKeyPath],
    knownHostsFiles: [server.knownHostsFile ?? keys.knownHostsFile],
    label,
    sshArgs: ['-p', String(server.port), server.host],
  };
}

/**
 * A TCP server that accepts and never answers: a handshake to it holds its place until its own time-out or
 * until the test drops it. `most` is the largest number of connections held at once.
 */
async function startBlackhole(shared?: { held: Socket[]; most: number }) {
  const state = shared ?? { held: [] as Socket[], most: 0 };
  let seen = 0;
  const server = createServer((socket) => {
    seen += 1;
    state.held.push(socket);
    state.most = Math.max(state.most, state.held.length);
    socket.on('error', () => undefined);
    // Reading (and dropping) what arrives is how the client's close is noticed.
    socket.resume();
    socket.once('close', () => drop(socket));
  });
  const drop = (socket: Socket) => {
    const index = state.held.indexOf(socket);
    if (index >= 0) state.held.splice(index, 1);
    socket.destroy();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = async () => {
    for (const socket of [...state.held]) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port: (server.address() as AddressInfo).port, state, seen: () => seen, drop, stop };
}

const pools: SshPool[] = [];
function pool(options: SshPoolOptions): SshPool {
  const created = new SshPool({ agent: '', ...options });
  pools.push(created);
  return created;
}

describe('paced handshakes', () => {
  it('keeps at most the limit of handshakes in flight, and every attempt still gets its turn', async () => {
    const shared = { held: [] as Socket[], most: 0 };
    const holes: Awaited<ReturnType<typeof startBlackhole>>[] = [];
    for (let i = 0; i < 12; i += 1) holes.push(await startBlackhole(shared));
    const sshPool = pool({ maxHandshakesInFlight: 4, connectTimeoutMs: 120_000, backoff: { initialMs: 60_000, maxMs: 60_000 } });
    try {
      const calls = holes.map((hole, i) =>
        sshPool
          .connection(targetOf({ host: '127.0.0.1', port: hole.port }, `hole${i}`))
          .run('true', { timeoutMs: 120_000 })
          .then(
            () => undefined,
            (error: unknown) => error,
          ),
      );
      // Hosts that never answer hold every place; each one dropped lets exactly one more attempt start.
      for (let released = 0; released < holes.length; released += 1) {
        const expected = Math.min(4, holes.length - released);
        await waitFor(`${expected} handshakes in flight`, () => shared.held.length === expected);
        const [oldest] = shared.held;
        holes.find((hole) => hole.state.held.includes(oldest!))!.drop(oldest!);
      }
      const results = await Promise.all(calls);
      expect(holes.map((hole) => hole.seen())).toEqual(holes.map(() => 1));
      for (const error of results) {
        expect(error).toBeInstanceOf(SshError);
        expect((error as SshError).kind).toBe('unreachable');
      }
      expect(shared.most).toBe(4);
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.close()));
      await Promise.all(holes.map((hole) => hole.stop()));
    }
  }, 120_000);

  it(`answers for every one of ${WORKERS} workers reached at once through a small limit`, async () => {
    const sshPool = pool({ maxHandshakesInFlight: 3 });
    try {
      const outputs = await Promise.all(
        servers.map((server, i) => sshPool.connection(targetOf(server, `w${i}`)).run(`echo w${i}`, { timeoutMs: 120_000 })),
      );
      expect(outputs.map((result) => result.output)).toEqual(servers.map((_, i) => `w${i}\n`));
      expect(sshPool.connections().every((connection) => connection.state === 'ready' && connection.connects === 1)).toBe(true);
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.close()));
    }
  }, 180_000);

  it("starts a worker's deadline when its own handshake starts, not while it waits behind another's", async () => {
    const hole = await startBlackhole();
    // One handshake at a time; the unanswering host holds the only place for 4 s.
    const sshPool = pool({ maxHandshakesInFlight: 1, connectTimeoutMs: 4000 });
    const provider = (name: string, target: SshTarget) =>
      new SshProvider({ name, tmuxSocket: '/nonexistent/tmux.sock', stateDir: '/tmp', attachArgs: [], connect: async () => sshPool.connection(target) });
    const silent = provider('silent', targetOf({ host: '127.0.0.1', port: hole.port }, 'silent'));
    const answering = provider('answering', targetOf(servers[0]!, 'answering'));
    try {
      const held = silent.observe(observation({ argv: ['true'] }), { timeoutMs: 30_000, target: 'host' }).then(
        () => undefined,
        (error: unknown) => error,
      );
      await waitFor('the silent host to hold the only handshake place', async () => hole.seen() === 1);
      // A deadline shorter than the wait in the queue: only the worker's own attempt counts against it.
      const result = await answering.observe(observation({ argv: ['echo', 'here'] }), { timeoutMs: 2500, target: 'host' });
      expect(result.stdout).toBe('here\n');
      const error = await held;
      expect(error).toBeInstanceOf(SshError);
      expect((error as SshError).kind).toBe('unreachable');
    } finally {
      await silent.close();
      await answering.close();
      await Promise.all(pools.splice(0).map((p) => p.close()));
      await hole.stop();
    }
  }, 60_000);
});
