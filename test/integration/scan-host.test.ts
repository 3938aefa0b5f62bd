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
