/**
 * The observing commands against a real tmux server on a private socket (no fake runner): pane capture of
 * hostile output, log tail, attach argv, the tmux prefix, and the detach key only a mutating fleet can bind.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { bindDetachKey, createObserveCommands, readTmuxPrefix } from '../../src/app/observe-commands.js';
import { defaultFleet, DEFAULT_SETTINGS } from '../../src/config/schema.js';
import type { WorkerObserver } from '../../src/providers/types.js';
import { attachSessionArgs } from '../../src/providers/tmux.js';
import { screenLines } from '../../src/ui/feeds.js';

let dir: string;
let sock: string;
let fleet: Fleet<WorkerObserver>;
const tmux = (...args: string[]) => execFileSync('tmux', ['-f', '/dev/null', '-S', sock, ...args], { encoding: 'utf8' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-observe-'));
  sock = join(dir, 'sock');
  const state = join(dir, 'state');
  mkdirSync(join(state, 'jobs', '9-review'), { recursive: true });
  writeFileSync(
    join(state, 'jobs', '9-review', 'meta.json'),
    JSON.stringify({ id: '9-review', kind: 'review', params: { pr: '9' }, command: ['sh'], session: 'mc-9-review', createdAt: new Date().toISOString() }),
  );
  writeFileSync(join(state, 'jobs', '9-review', 'output.log'), `${'x'.repeat(5000)}\nfirst\n\x1b]52;c;aGk=\x07second\n`);
  // tmux itself swallows OSC 52 and acts on cursor moves; what reaches a capture is text and the SGR tmux writes.
  const hostile = "printf '\\033]52;c;aGk=\\007HOSTILE \\033[31mred\\033[0m\\n'; exec sleep 600";
  tmux('new-session', '-d', '-s', 'mc-9-review', '-x', '80', '-y', '10', hostile);
  tmux('new-session', '-d', '-s', 'by-hand', '-x', '80', '-y', '10', 'exec sleep 600');
  fleet = createFleet(defaultFleet(undefined, { ...DEFAULT_SETTINGS, tmuxSocket: sock, stateDir: state }), { readOnly: true });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (tmux('capture-pane', '-p', '-t', 'mc-9-review').includes('HOSTILE')) break;
    if (Date.now() > deadline) throw new Error('the hostile pane printed nothing');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await fleet.refreshAll();
});

afterAll(async () => {
  await fleet?.close();
  try {
    tmux('kill-server');
  } catch {
    // Already gone.
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('observing commands on a real tmux server', () => {
  it('capture the pane by id, colours and all, and the screen shows only the colours', async () => {
    const commands = createObserveCommands(fleet);
    const text = await commands.capture('local/9-review', 5);
    expect(text).toContain('HOSTILE');
    expect(screenLines(text, true)).toEqual(['HOSTILE \x1b[31mred\x1b[0m']);
  });

  it('read the tail of the output log, and say why a session started by hand has none', async () => {
    const commands = createObserveCommands(fleet);
    const log = await commands.readLog('local/9-review', { bytes: 30 });
    expect(log.endsWith('first\n\x1b]52;c;aGk=\x07second\n')).toBe(true);
    expect(screenLines(log, true).slice(-3)).toEqual(['first', 'second', '']);
    const byHand = fleet.store.getState().jobsByWorker['local']?.find((j) => j.session?.name === 'by-hand');
    expect(byHand?.key).toMatch(/^local\/\$\d+$/);
    await expect(commands.readLog(byHand!.key)).rejects.toThrow('was started by hand (no job record), so it has no output log');
  });

  it('attach read-only through a read-only fleet, by session id', () => {
    const commands = createObserveCommands(fleet);
    const job = fleet.store.getState().jobsByWorker['local']?.find((j) => j.id === '9-review');
    expect(commands.attachCommand('local/9-review')).toEqual({ argv: ['tmux', '-u', '-S', sock, ...attachSessionArgs(job!.session!.id, { readOnly: true })] });
    expect(() => commands.attachCommand('local/nope')).toThrow('no job local/nope');
  });

  it('read the prefix, and bind the detach key only through a fleet that may change things', async () => {
    expect(await readTmuxPrefix(fleet, 'local/9-review')).toBe('C-b');
    expect(tmux('list-keys', '-T', 'root')).not.toContain('C-q');
    const full = createFleet(defaultFleet(undefined, { ...DEFAULT_SETTINGS, tmuxSocket: sock, stateDir: join(dir, 'state') }));
    try {
      await full.refreshAll();
      await bindDetachKey(full, 'local/9-review');
      expect(tmux('list-keys', '-T', 'root')).toMatch(/bind-key\s+-T root\s+C-q\s+detach-client/);
      // The key set as attach.detachKey instead.
      await bindDetachKey(full, 'local/9-review', 'C-]');
      expect(tmux('list-keys', '-T', 'root')).toMatch(/bind-key\s+-T root\s+C-\]\s+detach-client/);
    } finally {
      await full.close();
    }
  });
});
