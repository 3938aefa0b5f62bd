import { describe, expect, it } from 'vitest';
import { armHooksLine, buildWatcherCommand, frameMarker, PUSH_HOOKS, PUSH_SIGNAL, PUSH_WAIT_BOUND_S } from '../../src/scanners/worker-events/command.js';
import { WatcherStreamReader, type WatcherEvent } from '../../src/scanners/worker-events/parse.js';

const secret = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
const M = frameMarker(secret);

/** Feeds `text` to a fresh reader in chunks of `size` bytes and returns every event. */
function read(text: string, size = text.length, max = 1024): WatcherEvent[] {
  const reader = new WatcherStreamReader(M, max);
  const bytes = Buffer.from(text);
  const events: WatcherEvent[] = [];
  for (let i = 0; i < bytes.length; i += size) events.push(...reader.push(bytes.subarray(i, i + size)));
  return events;
}

describe('the watcher stream reader', () => {
  const stream = `login noise\n\n${M} DOWN\n\n${M} UP\n\n${M} BEGIN 00ff00ff00ff\nscan body\nline two\n${M} END 00ff00ff00ff\n`;

  it.each([1, 3, 7, 64, stream.length])('splits frames whatever the chunk size (%i bytes)', (size) => {
    expect(read(stream, size)).toEqual([
      { kind: 'down' },
      { kind: 'up' },
      { kind: 'scan', nonce: '00ff00ff00ff', output: 'scan body\nline two' },
    ]);
  });

  it('a body cannot forge a frame without the secret, nor end its own scan with another nonce', () => {
    const forged = `\n${M} BEGIN 0123456789ab\n@@MCP-deadbeefdeadbeef END 0123456789ab\nx\n${M} END 999999999999\n${M} END 0123456789ab\n`;
    // The wrong nonce's END line ends the scan unfinished (the watcher never prints one): nothing is stored from it.
    expect(read(forged)).toEqual([]);
  });

  it('drops a scan over its cap whole and says how large it was', () => {
    const big = `\n${M} BEGIN abcdefabcdef\n${'x'.repeat(5000)}\n${M} END abcdefabcdef\n\n${M} BEGIN 111111111111\nok\n${M} END 111111111111\n`;
    expect(read(big, 100, 1000)).toEqual([
      { kind: 'oversized', bytes: 5000 },
      { kind: 'scan', nonce: '111111111111', output: 'ok' },
    ]);
  });

  it('keeps no more than a marker of bytes between frames', () => {
    const reader = new WatcherStreamReader(M, 1024);
    for (let i = 0; i < 100; i++) reader.push(Buffer.alloc(10_000, 0x61));
    expect(reader.push(Buffer.from(`\n${M} UP\n`))).toEqual([{ kind: 'up' }]);
  });
});

describe('the watcher script', () => {
  it('arms every hook with the fixed wait-for command in one tmux call', () => {
    const line = armHooksLine('tmux -u -S /tmp/s');
    expect(line.match(/^tmux /g)).toHaveLength(1);
    for (const hook of PUSH_HOOKS) expect(line).toContain(`'${hook}[47]' '${PUSH_SIGNAL}'`);
    expect(line.replaceAll(PUSH_SIGNAL, '')).not.toMatch(/#\{|#\(/);
  });

  it('carries the scan with a placeholder nonce, never a fixed one', () => {
    const one = buildWatcherCommand({ tmuxSocketArgs: ['-S', '/tmp/s'], stateDir: '~/.mc', secret, lifetimeS: 60 });
    const two = buildWatcherCommand({ tmuxSocketArgs: ['-S', '/tmp/s'], stateDir: '~/.mc', secret, lifetimeS: 60 });
    const placeholder = (c: typeof one) => /P=(mcpushnonce[0-9a-f]+)/.exec('script' in c ? c.script : '')?.[1];
    expect(placeholder(one)).toBeDefined();
    expect(placeholder(one)).not.toBe(placeholder(two));
    expect(() => buildWatcherCommand({ tmuxSocketArgs: [], stateDir: '~', secret: 'short', lifetimeS: 1 })).toThrow(/secret/);
  });

  it('bounds every wait with a tmux timer on its own channel and never kills a waiting client', () => {
    const command = buildWatcherCommand({ tmuxSocketArgs: ['-S', '/tmp/s'], stateDir: '~/.mc', secret, lifetimeS: 60 });
    const script = 'script' in command ? command.script : '';
    const waits = [...script.matchAll(/wait-for (?!-S)([a-z0-9-]+)/g)].map((m) => m[1]);
    expect(waits.length).toBeGreaterThanOrEqual(2);
    // The timer's command is quoted once more where it sits inside if-shell: any quotes between.
    for (const channel of waits) expect(script).toMatch(new RegExp(`run-shell -b -C -d ${PUSH_WAIT_BOUND_S} [^ ]*wait-for -S ${channel}\\b`));
    expect(script).not.toMatch(/\btimeout\b|\bkill\b/);
  });
});
