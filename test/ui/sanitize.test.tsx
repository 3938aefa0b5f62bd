import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { screenLines } from '../../src/ui/feeds.js';
import { fleetState, job, recordedHostileFleet, testDashboard, worker } from './fixtures.js';
import { dangerous, KEYS, renderDashboard, type Rendered } from './render.js';

vi.hoisted(() => {
  // Colours on, so the test sees that SGR may pass and nothing else does.
  process.env['FORCE_COLOR'] = '1';
});

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

const OSC52 = '\x1b]52;c;ZWNobyBwd25lZA==\x07';
const CLEAR = '\x1b[2J';
const TITLE = '\x1b]0;owned\x1b\\';

const hostile = `evil${OSC52}${CLEAR}${TITLE}`;

describe('remote text on screen', () => {
  it('draws a job named with OSC 52 and a screen clear as inert text', async () => {
    const state = fleetState(
      [worker('local', { lastError: `ssh: ${CLEAR}connect failed${OSC52}` })],
      [
        job(hostile, {
          kind: `k${CLEAR}`,
          params: { pr: `1${OSC52}` },
          command: ['sh', '-c', `printf '${OSC52}'`],
          reason: `r${TITLE}`,
        }),
      ],
    );
    const dashboard = testDashboard({ state });
    mounted = await renderDashboard(dashboard, 200, 40);
    expect(dangerous(mounted.frame())).toEqual([]);
    expect(mounted.screen()).toContain('evil');
    await mounted.press(KEYS.space, 's');
    expect(dangerous(mounted.frame())).toEqual([]);
    expect(mounted.screen()).toContain('Stop job local/evil');
    await mounted.press(KEYS.esc, '/', ...'evil', KEYS.enter);
    expect(dangerous(mounted.frame())).toEqual([]);
  });

  it('draws the recorded hostile scan (names with $(…), #(…), backticks, tabs, quotes) without a single escape', async () => {
    const dashboard = testDashboard({ state: recordedHostileFleet() });
    mounted = await renderDashboard(dashboard, 200, 60);
    const screen = mounted.screen();
    expect(screen).toContain('$5 $(touch /tmp/mc-scan-f…');
    expect(screen).toContain('$7 #(touch /tmp/mc-scan-f…');
    // A job directory named like that is not a job id: the worker reports it as a problem instead of listing it.
    expect(screen).toContain('"j $(touch pwned-7) `touch pwned-8`" skipped');
    expect(dangerous(mounted.frame())).toEqual([]);
    await mounted.press('?');
    expect(dangerous(mounted.frame())).toEqual([]);
  });

  it('keeps the colours of a pane capture and drops every other sequence', async () => {
    const capture = `\x1b[31mred\x1b[0m plain ${OSC52}${CLEAR}\x1b[1;1Hmoved\x07bell\x9b2Jc1 ${TITLE}\r\nnext\rover`;
    const lines = screenLines(capture, true);
    expect(lines).toEqual(['\x1b[31mred\x1b[0m plain moved^Gbellc1 \x1b[0m', 'over']);
    expect(screenLines(capture, false)[0]).toBe('red plain moved^Gbellc1 ');
    const dashboard = testDashboard({ feeds: { preview: { jobKey: 'local/12-review', lines, error: undefined, at: 0 } } });
    mounted = await renderDashboard(dashboard, 120, 30);
    expect(mounted.frame()).toContain('\x1b[31mred');
    expect(mounted.screen()).toContain('red plain moved^Gbell');
    expect(dangerous(mounted.frame())).toEqual([]);
  });

  it('keeps the log view inert too', async () => {
    const dashboard = testDashboard({ feeds: { log: { jobKey: 'local/12-review', lines: screenLines(`line one\n${OSC52}${CLEAR}line two`, true), error: undefined, at: 0 } } });
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('l');
    expect(mounted.screen()).toContain('line two');
    expect(dangerous(mounted.frame())).toEqual([]);
  });
});

describe('the one place text is drawn', () => {
  // Ink's parts that draw no text of their own. Its `Text` (and `Transform`, which rewrites text) is imported by
  // src/ui/Text.tsx only, which sanitizes every string it is given: a new component cannot forget to.
  const DRAWS_NO_TEXT = new Set(['Box', 'Key', 'useInput', 'useStdout', 'useStdin', 'useApp', 'useFocus', 'measureElement']);
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sources(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [join(dir, entry.name)] : [],
    );

  it("imports Ink's Text in src/ui/Text.tsx only", () => {
    const root = new URL('../../src/', import.meta.url).pathname;
    const offenders: string[] = [];
    for (const file of sources(root)) {
      if (file.endsWith('/ui/Text.tsx')) continue;
      for (const match of readFileSync(file, 'utf8').matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'ink'|import\s+\*\s+as\s+\w+\s+from\s+'ink'/g)) {
        const names = (match[1] ?? '*').split(',').map((name) => name.replace(/^\s*type\s+/, '').split(/\s+as\s+/)[0]!.trim()).filter(Boolean);
        for (const name of names) if (!DRAWS_NO_TEXT.has(name)) offenders.push(`${file.slice(root.length)}: ${name}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

