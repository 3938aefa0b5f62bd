import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEADLINE_VARIABLE, inContainer, onSessionHost, placeCommand, WATCHDOG } from '../../src/providers/container.js';
import { waitFor } from '../support/ssh-fleet.js';

/** Runs argv as the leader of a new session (as `docker exec` starts a command), with `input` on stdin. */
function runAsLeader(argv: readonly string[], input = ''): Promise<{ code: number | null; stdout: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('setsid', ['--wait', ...argv], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, pid: child.pid ?? 0 }));
    child.stdin.end(input);
  });
}

/** Pids of live processes in process group `pgid`. */
async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(entry));
  }
  return members;
}

const SHELLS = [['dash'], ['busybox', 'ash']];

describe('docker exec command lines (one builder)', () => {
  it('bounds every command but an interactive attach with the caller’s deadline', () => {
    expect(inContainer('w', { argv: ['tmux', 'ls'] }, { deadlineMs: 2500 }).argv).toEqual(['docker', 'exec', '-i', 'w', 'sh', '-c', WATCHDOG, 'mission-control', '3', 'tmux', 'ls']);
    expect(inContainer('w', { script: 'echo hi' }).argv).toEqual(['docker', 'exec', '-i', 'w', 'sh', '-c', WATCHDOG, 'mission-control', '30', 'sh', '-c', 'echo hi']);
    expect(inContainer('w', { argv: ['tmux', 'attach-session', '-t', '$1'] }, { interactive: true }).argv).toEqual(['docker', 'exec', '-it', 'w', 'tmux', 'attach-session', '-t', '$1']);
    expect(onSessionHost('echo hi', undefined)).toBe('echo hi');
    expect(onSessionHost('echo hi', 'w')).toMatch(/^docker exec -i w sh -c '.*' mission-control "\$\{mc_deadline_s:-30\}" sh -c 'echo hi' <\/dev\/null$/s);
  });

  it('places commands: the session target in the container, host scripts with the deadline for their container steps', () => {
    const where = { container: 'w', timeoutMs: 4000 } as const;
    expect(placeCommand({ argv: ['true'] }, { ...where, target: 'session' })).toEqual({ argv: ['docker', 'exec', '-i', 'w', 'sh', '-c', WATCHDOG, 'mission-control', '4', 'true'] });
    expect(placeCommand({ script: 'scan' }, { ...where, target: 'host' })).toEqual({ script: `${DEADLINE_VARIABLE}=4\nscan` });
    expect(placeCommand({ argv: ['true'] }, { ...where, target: 'host' })).toEqual({ argv: ['true'] });
    expect(placeCommand({ argv: ['true'] }, { container: undefined, target: 'session', timeoutMs: 1 })).toEqual({ argv: ['true'] });
  });

  it.each(SHELLS)('the watchdog (%s) passes input, output and exit status through, and leaves nothing behind', async (...sh) => {
    const result = await runAsLeader([...sh, '-c', WATCHDOG, 'mission-control', '30', 'sh', '-c', 'cat; echo "$PPID"; exit 4'], 'payload\n');
    expect(result.code).toBe(4);
    const [payload, wrapper] = result.stdout.split('\n');
    expect(payload).toBe('payload');
    // The watchdog and its sleep were in the wrapper's group; they end with the command.
    await waitFor('the watchdog to end', async () => (await groupMembers(Number(wrapper))).length === 0, 60_000);
  });

  it.each(SHELLS)('the watchdog (%s) kills the command and everything it started at the deadline', async (...sh) => {
    const result = await runAsLeader([...sh, '-c', WATCHDOG, 'mission-control', '1', 'sh', '-c', 'echo "$PPID"; sleep 300 & sleep 300; echo not-reached']);
    expect(result.code).not.toBe(0);
    const wrapper = Number(result.stdout.split('\n')[0]);
    expect(result.stdout).not.toContain('not-reached');
    await waitFor('the command’s processes to end', async () => (await groupMembers(wrapper)).length === 0, 60_000);
  });
});
