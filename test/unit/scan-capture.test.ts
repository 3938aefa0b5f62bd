import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCapture, type PaneCapture } from '../../src/scanners/pane-capture/parse.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/scan/${name}`, import.meta.url), 'utf8');

describe('parseCapture on recorded outputs', () => {
  const cases: [string, PaneCapture][] = [
    [
      'capture-colour.txt',
      {
        kind: 'captured',
        lines: ['\x1b[31mred\x1b[39m plain', 'w'.repeat(60), '@@MC-CAPTURE-STATUS@@ 0', '日本語 end', '', '', '', '', ''],
      },
    ],
    ['capture-gone-pane.txt', { kind: 'gone', reason: "can't find pane: %999" }],
    ['capture-no-server.txt', { kind: 'gone', reason: 'error connecting to /tmp/mc-scan-fixture/nowhere/sock (No such file or directory)' }],
  ];
  it.each(cases)('%s', (name, expected) => {
    expect(parseCapture(fixture(name))).toEqual(expected);
  });
});

describe('parseCapture on damaged output', () => {
  const cases: [string, string, PaneCapture][] = [
    ['nothing', '', { kind: 'failed', error: 'the capture printed nothing' }],
    ['no trailer (cut short)', 'line one\nline two\n', { kind: 'failed', error: 'the capture output was cut short' }],
    ['pane text imitating the trailer, then cut', 'a\n@@MC-CAPTURE-STATUS@@ 0\nb', { kind: 'failed', error: 'the capture output was cut short' }],
    ['an empty capture', '\n@@MC-CAPTURE-STATUS@@ 0\n', { kind: 'captured', lines: [] }],
    ['a last line without newline', 'x\n@@MC-CAPTURE-STATUS@@ 0\n', { kind: 'captured', lines: ['x'] }],
    [
      'docker failing',
      'Error response from daemon: No such container: maintainer-worker\n\n@@MC-CAPTURE-STATUS@@ 1\n',
      { kind: 'failed', error: 'Error response from daemon: No such container: maintainer-worker' },
    ],
    ['a silent failure', '\n@@MC-CAPTURE-STATUS@@ 126\n', { kind: 'failed', error: 'capture-pane exited with status 126' }],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    expect(parseCapture(text)).toEqual(expected);
  });
});
