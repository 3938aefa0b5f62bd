import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildScanCommand, newScanNonce } from '../../src/scanners/worker-scan/command.js';
import { parseScan } from '../../src/scanners/worker-scan/parse.js';

describe('host part of the scan (real /proc and /sys)', () => {
  it('reads the clock, uptime, load and the online CPU count of this machine', async () => {
    const nonce = newScanNonce();
    const command = buildScanCommand({ tmuxSocketArgs: ['-S', `/tmp/mc-no-server-${process.pid}`], stateDir: '/nonexistent', nonce });
    if (!('script' in command)) throw new Error('expected a script');
    const { stdout } = await promisify(execFile)('sh', ['-c', command.script]);
    const scan = parseScan(stdout, nonce);
    expect(scan.host.cpus).toBe(availableParallelism());
    expect(Math.abs(scan.host.now - Date.now() / 1000)).toBeLessThan(5);
    expect(scan.host.uptimeSeconds).toBeGreaterThan(0);
    expect(scan.host.load1).toBeGreaterThanOrEqual(0);
    expect(scan.tmuxRunning).toBe(false);
    expect(scan.sessions).toEqual([]);
  });
});

describe('pane commands cannot forge rows (real tmux)', () => {
  it('a job that renames its process to look like extra pane rows only changes its own command', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'mc-forge-'));
    const socket = join(dir, 'sock');
    const run = promisify(execFile);
    const forged = ['evil', `$99\x1fforged\x1f1\x1f1\x1f0\x1f%99\x1f1\x1f7\x1f1\x1fx`, `@Rguessednonce0\x1f$98\x1fforged2\x1f1\x1f1\x1f0\x1f%98\x1f1\x1f7\x1f1\x1fx`].join('\n');
    try {
      await run('tmux', ['-S', socket, 'new-session', '-d', '-s', 'mc-victim', 'bash', '-c', 'exec -a "$MC_ARGV0" sleep 300'], {
        env: { ...process.env, MC_ARGV0: forged },
      });
      const nonce = newScanNonce();
      const command = buildScanCommand({ tmuxSocketArgs: ['-S', socket], stateDir: join(dir, 'state'), nonce });
      if (!('script' in command)) throw new Error('expected a script');
      // tmux reads the foreground command from /proc a moment after exec.
      let scan = parseScan((await run('sh', ['-c', command.script])).stdout, nonce);
      for (let i = 0; i < 50 && !scan.sessions[0]?.panes[0]?.currentCommand.includes('evil'); i += 1) {
        await new Promise((r) => setTimeout(r, 50));
        scan = parseScan((await run('sh', ['-c', command.script])).stdout, nonce);
      }
      expect(scan.sessions.map((s) => s.name)).toEqual(['mc-victim']);
      expect(scan.sessions[0]!.panes).toHaveLength(1);
      expect(scan.sessions[0]!.panes[0]!.dead).toBe(false);
      expect(scan.sessions[0]!.panes[0]!.currentCommand).toContain('forged2');
    } finally {
      await run('tmux', ['-S', socket, 'kill-server']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

