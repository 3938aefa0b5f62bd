import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshProvider } from '../../src/providers/ssh.js';
import { SshPool } from '../../src/ssh/pool.js';
import { shellQuote } from '../../src/ssh/quote.js';
import { resolveSshTarget } from '../../src/ssh/target.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';

describe('quick commands on the long-lived shell (real sshd)', () => {
  let sshd: TestSshd;
  let pool: SshPool;
  let provider: SshProvider;

  beforeAll(async () => {
    sshd = await startSshd();
    pool = new SshPool({ agent: '' });
    const target = { ...(await resolveSshTarget({ host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath })), knownHostsFiles: [sshd.knownHostsFile] };
    provider = new SshProvider({ name: 'box', tmuxSocket: 'mc', stateDir: '~/.mc', attachArgs: [], connect: async () => pool.connection(target) });
  });
  afterAll(async () => {
    await pool.close();
    await sshd.stop();
  });

  it('keeps stdout and stderr apart, byte for byte, with the exit code, on the same channel every time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => !s.includes('\0')), fc.string({ maxLength: 100 }).filter((s) => !s.includes('\0')), fc.integer({ min: 0, max: 255 }), async (out, err, code) => {
        const result = await provider.exec({ script: `printf %s ${shellQuote(out)}; printf %s ${shellQuote(err)} >&2; exit ${code}` }, { quick: true });
        expect(result).toEqual({ code, stdout: out, stderr: err });
      }),
      { numRuns: 60 },
    );
    const connection = pool.connections()[0]!;
    expect(connection.connects).toBe(1);
    // Quick commands open no exec channel of their own: at most the long-lived shell holds a channel.
    expect(connection.channels.open).toBeLessThanOrEqual(1);
  });

  it('answers a quick command in one exchange, and a command with stdin still gets a channel of its own', async () => {
    const fed = await provider.exec({ script: 'cat' }, { quick: true, stdin: 'fed through stdin' });
    expect(fed).toMatchObject({ code: 0, stdout: 'fed through stdin' });
  });

  it('a quick command that hangs is stopped at its deadline and the next one works', async () => {
    await expect(provider.exec({ argv: ['sleep', '5'] }, { quick: true, timeoutMs: 300 })).rejects.toThrow(/within/);
    expect(await provider.exec({ argv: ['echo', 'after'] }, { quick: true })).toEqual({ code: 0, stdout: 'after\n', stderr: '' });
  });
});
