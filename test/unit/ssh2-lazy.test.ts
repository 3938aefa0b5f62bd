import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Runs `script` (ESM) in a fresh Node with tsx, from the repository root; returns what it printed. */
async function fresh(script: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeout: 60_000 });
  return stdout.trim();
}

const SSH2_LOADED = `Object.keys((await import('node:module')).createRequire(import.meta.url).cache).some((file) => file.includes('/node_modules/ssh2/'))`;

describe('ssh2 is loaded by the first connection, not with the program', () => {
  it('is not loaded by the dashboard, the fleet and the SSH pool until a connection plans its login', async () => {
    const printed = await fresh(`
      await import('./src/ui/run.ts');
      const { SshPool } = await import('./src/ssh/pool.ts');
      const { planAuth } = await import('./src/ssh/auth.ts');
      new SshPool({ agent: '' });
      const before = ${SSH2_LOADED};
      await planAuth({ user: 'u', host: 'h', port: 22, identityFiles: [], knownHostsFiles: [], label: 'h', sshArgs: [] }, undefined);
      console.log(JSON.stringify({ before, after: ${SSH2_LOADED} }));
    `);
    expect(JSON.parse(printed)).toEqual({ before: false, after: true });
  }, 90_000);
});
