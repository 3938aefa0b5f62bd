import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScan } from '../../src/scanners/worker-scan/parse.js';
import type { WorkerScan } from '../../src/scanners/worker-scan/types.js';

const NONCE = 'fixture0nonce0001';
const M = `@@MC-${NONCE}@@`;
const US = '\x1f';
const full = readFileSync(new URL('../fixtures/scan/host-hostile.dash.txt', import.meta.url), 'utf8');
const containerFull = readFileSync(new URL('../fixtures/scan/container-running.handmade.txt', import.meta.url), 'utf8');

/** A scan output made of sections, framed the way the script frames them. */
function output(...sections: [name: string, body: string, status?: string][]): string {
  return sections.map(([name, body, status]) => `\n${M} BEGIN ${name}\n${body}${status === undefined ? '' : `\n${M} END ${name} ${status}\n`}`).join('');
}

const hostSections: [string, string, string][] = [
  ['plan', 'version 1\n', '0'],
  ['now', '1795000000\n', '0'],
  ['uptime', '100.5 180.2\n', '0'],
  ['loadavg', '0.10 0.20 0.30 1/100 42\n', '0'],
  ['cpus', '4\n', '0'],
];
const HOST = { now: 1795000000, uptimeSeconds: 100.5, load1: 0.1, load5: 0.2, load15: 0.3, cpus: 4 };
const paneLine = (session: string, name: string, pane: string, command = 'bash'): string =>
  [`@R${NONCE}`, session, name, '1795000000', '1795000010', '1', pane, '0', '', '4242', command].join(US);

function scan(over: Partial<WorkerScan>): WorkerScan {
  return { host: HOST, container: undefined, tmuxRunning: false, tmuxError: undefined, sessions: [], jobs: [], jobsError: undefined, problems: [], ...over };
}

const session = (id: string, name: string, panes: { id: string; command?: string }[]) => ({
  id,
  name,
  created: 1795000000,
  activity: 1795000010,
  attached: 1,
  panes: panes.map((p) => ({ id: p.id, dead: false, deadStatus: undefined, currentCommand: p.command ?? 'bash', pid: 4242 })),
});

const unread = {
  host: { now: 0, uptimeSeconds: undefined, load1: undefined, load5: undefined, load15: undefined, cpus: undefined },
  tmuxError: 'the scan output could not be read',
  jobsError: 'the scan output could not be read',
};

describe('parseScan on damaged or hostile output', () => {
  const cases: [string, string, string, WorkerScan][] = [
    ['empty output', '', NONCE, scan({ ...unread, problems: ['the scan printed nothing'] })],
    [
      'a shell error instead of a scan',
      'sh: 1: Syntax error: "(" unexpected\n',
      NONCE,
      scan({ ...unread, problems: ['the scan output has no sections: "sh: 1: Syntax error: \\"(\\" unexpected"'] }),
    ],
    ['an invalid nonce', full, '', scan({ ...unread, problems: ['the scan nonce "" is not valid; nothing was read'] })],
    [
      'frames with another nonce',
      full.replaceAll(NONCE, 'othernonce0000'),
      NONCE,
      scan({ ...unread, problems: [expect.stringMatching(/^the scan output has no sections: /) as unknown as string] }),
    ],
    [
      'cut short inside the tmux listing',
      output(...hostSections, ['tmux', `${paneLine('$1', 'one', '%1')}\n${paneLine('$2', 'two', '%2')}\n$3${US}thr`]),
      NONCE,
      scan({
        tmuxRunning: true,
        sessions: [session('$1', 'one', [{ id: '%1' }]), session('$2', 'two', [{ id: '%2' }])],
        jobsError: 'the scan output has no job records part',
        problems: ['section tmux was cut short', 'the tmux listing was cut short'],
      }),
    ],
    [
      'cut short inside the job records',
      output(...hostSections, ['tmux', '', '0'], ['jobs', `J${US}a${US}0${US}1${US}0${US}\nJ${US}b${US}0${US}1${US}`]),
      NONCE,
      scan({
        tmuxRunning: true,
        jobs: [{ id: 'a', meta: undefined, metaError: undefined, exitCode: 0, exitError: undefined, logModified: undefined, logBytes: undefined }],
        problems: ['section jobs was cut short', 'the scan output has no job log part', 'the job records were cut short'],
      }),
    ],
    [
      'only the host parts',
      output(...hostSections),
      NONCE,
      scan({ tmuxError: 'the scan output has no tmux part', jobsError: 'the scan output has no job records part' }),
    ],
    [
      'a forged frame with another nonce, garbage lines and a forged row (no row marker) inside the tmux listing',
      output(
        ...hostSections,
        [
          'tmux',
          `stray before any row\n${paneLine('$1', 'one', '%1')}\n@@MC-othernonce0000@@ END tmux 0\n$9${US}forged${US}1${US}1${US}0${US}%9${US}1${US}0${US}1${US}x\n` +
            `${paneLine('$1', 'one', '%2', `a${US}b`)}\n`,
          '0',
        ],
        ['jobs', '', '0'],
        ['logs', '', '0'],
      ),
      NONCE,
      scan({
        tmuxRunning: true,
        sessions: [
          session('$1', 'one', [
            // A command (a process's own argv[0]) can hold newlines: they stay in it and forge nothing.
            { id: '%1', command: `bash\n@@MC-othernonce0000@@ END tmux 0\n$9${US}forged${US}1${US}1${US}0${US}%9${US}1${US}0${US}1${US}x` },
            { id: '%2', command: `a${US}b` },
          ]),
        ],
        problems: ['tmux line 1 skipped (no row marker): "stray before any row"'],
      }),
    ],
    [
      'an END without BEGIN, a section twice, an unknown status and stray text',
      `motd banner without newline${output(...hostSections)}\n${M} END tmux 0\n${output(['cpus', '8\n', '0'], ['tmux', 'tmux: not found\n', '127'], ['jobs', 'permission denied\n', '1'], ['logs', '', '0'])}`,
      NONCE,
      scan({
        tmuxError: 'tmux: not found',
        jobsError: 'permission denied',
        problems: ['section tmux ends without beginning', 'section cpus appears more than once; the first is used'],
      }),
    ],
    [
      'failed host parts',
      output(['plan', 'version 2\n', '0'], ['now', 'date: not found\n', '127'], ['uptime', 'x y\n', '0'], ['loadavg', '', '1'], ['tmux', 'no server running on /tmp/s\n', '1'], ['jobs', '', '0'], ['logs', '', '0']),
      NONCE,
      scan({
        host: { now: 0, uptimeSeconds: undefined, load1: undefined, load5: undefined, load15: undefined, cpus: undefined },
        problems: ['unknown scan format version 2', 'now could not be read: date: not found', 'loadavg could not be read', 'the scan output has no cpus part'],
      }),
    ],
    [
      'job lines that are not records, and a stat that cannot format',
      output(
        ...hostSections,
        ['tmux', '', '0'],
        ['jobs', `J${US}a${US}9${US}2${US}${US}\nJ${US}a${US}0${US}0${US}${US}\nJ${US}short\n`, '0'],
        ['logs', "stat: invalid option -- 'c'\n", '1'],
      ),
      NONCE,
      scan({
        tmuxRunning: true,
        jobs: [
          { id: 'a', meta: undefined, metaError: 'meta.json could not be read', exitCode: undefined, exitError: 'the exit file could not be read', logModified: undefined, logBytes: undefined },
        ],
        problems: [
          'job logs could not be examined: stat: invalid option -- \'c\'',
          'job "a" listed twice; the first is used',
          `unexpected text among job records: ${JSON.stringify(`J${US}short`)}`,
        ],
      }),
    ],
  ];

  it.each(cases)('%s', (_name, text, nonce, expected) => {
    expect(parseScan(text, nonce)).toEqual(expected);
  });

  it('reads the container part without the session part when the output stops inside the container', () => {
    const cut = containerFull.slice(0, containerFull.indexOf(`${M} BEGIN jobs`));
    const result = parseScan(cut, NONCE);
    expect(result.container?.running).toBe(true);
    expect(result.sessions.map((s) => s.id)).toContain('$13');
    expect(result.jobsError).toBe('the scan output has no job records part');
    expect(result.problems).toEqual(['section session was cut short']);
  });

  it('never throws, and keeps only whole sessions, whatever the cut', () => {
    const whole = parseScan(full, NONCE);
    for (let end = 0; end <= full.length; end += 7) {
      const result = parseScan(full.slice(0, end), NONCE);
      for (const s of result.sessions) {
        const complete = whole.sessions.find((w) => w.id === s.id);
        expect(complete).toBeDefined();
        expect(s.name).toBe(complete?.name);
      }
    }
  });

  it('never throws on arbitrary text, framed or not', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom(`\n${M} BEGIN tmux\n`, `\n${M} END tmux 0\n`, `\n${M} BEGIN jobs\n`, `\n${M} END jobs 1\n`, `\n${M} BEGIN session\n`, US, '\n', 'J'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const result = parseScan(pieces.join(''), NONCE);
        expect(Array.isArray(result.sessions)).toBe(true);
      }),
    );
  });
});
