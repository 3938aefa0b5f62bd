/**
 * Properties of the scan parsers (sections, tmux rows, job records, pane captures) and of what a scan becomes on
 * the way to the user: the store's jobs, the `jobs` and `status` outputs. Scan output is made by a worker, so
 * every byte of it is hostile input.
 */
import fc from 'fast-check';
import { statusJson, statusTable } from '../../src/cli/status-report.js';
import { jobsTable, runJobs } from '../../src/jobs/cli.js';
import { SAFE_NAME } from '../../src/jobs/params.js';
import { CAPTURE_TRAILER } from '../../src/scanners/pane-capture/command.js';
import { parseCapture } from '../../src/scanners/pane-capture/parse.js';
import { FIELD_SEPARATOR, paneRowMarker, sectionMarker } from '../../src/scanners/worker-scan/command.js';
import { parseScan } from '../../src/scanners/worker-scan/parse.js';
import { toJobMeta } from '../../src/scanners/worker-scan/parse-jobs.js';
import { splitSections } from '../../src/scanners/worker-scan/sections.js';
import type { WorkerScan } from '../../src/scanners/worker-scan/types.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import { createFleetStore } from '../../src/state/store.js';
import { anyText, hostileText, soup } from './arbitraries.js';
import { ensure, type AnyFuzzProperty } from './runner.js';
import { terminalLeaks, jsonLeaks } from './terminal-checks.js';

const NONCE = 'fuzz0nonce0000001';
const MARKER = sectionMarker(NONCE);
const US = FIELD_SEPARATOR;
const SECTION_NAMES = ['plan', 'now', 'uptime', 'loadavg', 'cpus', 'container', 'session', 'tmux', 'jobs', 'logs'];

const digits = fc.oneof(fc.constantFrom('0', '1', '1795000000', '99999999999999', '999999999999999', '-1', ''), fc.nat().map(String));

/** One `list-panes` row as the scan prints it, with hostile names and commands. */
const paneRow = fc
  .tuple(
    fc.oneof(fc.nat(20).map((n) => `$${n}`), anyText(4)),
    hostileText(),
    digits,
    digits,
    fc.constantFrom('0', '1', 'x'),
    fc.oneof(fc.nat(20).map((n) => `%${n}`), anyText(4)),
    fc.constantFrom('0', '1'),
    digits,
    digits,
    hostileText(),
  )
  .map((fields) => [paneRowMarker(NONCE), ...fields].join(US));

/** A `meta.json` that is valid, or nearly valid, with hostile text in every field. */
const meta = fc
  .record(
    {
      id: hostileText(),
      kind: hostileText(),
      session: fc.oneof(hostileText(), fc.constant('mc-zz')),
      createdAt: fc.oneof(fc.constant('2026-11-23T12:00:00Z'), hostileText(3)),
      command: fc.array(hostileText(4), { maxLength: 3 }),
      params: fc.dictionary(hostileText(2), hostileText(4), { maxKeys: 3 }),
      worktree: hostileText(4),
    },
    { requiredKeys: [] },
  )
  .map((value) => JSON.stringify(value));

/** One job record line (`J US id US metaState US exitState US exit US meta`), or a skipped-name line. */
const jobLine = fc.oneof(
  fc
    .tuple(fc.oneof(hostileText(), fc.constantFrom('zz', '12-review')), fc.constantFrom('0', '1', '2'), fc.constantFrom('0', '1', '2'), fc.oneof(digits, anyText(5)), fc.oneof(meta, anyText(30)))
    .map(([id, m, e, exit, json]) => ['J', id, m, e, exit, json].join(US)),
  hostileText().map((name) => `S${US}${name}`),
);

const logLine = fc.tuple(digits, digits, fc.oneof(hostileText(), fc.constantFrom('zz', '12-review'))).map(([t, s, id]) => `${t} ${s} ${id}/output.log`);

const sectionBody = fc.oneof(
  fc.array(fc.oneof(paneRow, jobLine, logLine, fc.constantFrom('version 1', 'container maintainer-worker', '1795000000', '4', '0-3,8-11', '0.1 0.2 0.3 1/9 9')), { maxLength: 6 }).map((lines) => lines.join('\n')),
  soup([MARKER, ' BEGIN ', ' END ', '\n', US, paneRowMarker(NONCE), 'J', 'skipped', ...SECTION_NAMES], { maxParts: 20 }),
);

/** Scan output: framed sections in any order, some cut short, with hostile bodies and statuses. */
const scanOutput = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...SECTION_NAMES), anyText(6)),
      sectionBody,
      fc.option(fc.oneof(fc.constantFrom('0', '1', '2', 'skipped'), anyText(4)), { freq: 4 }),
    ),
    { maxLength: 12 },
  )
  .map((sections) => sections.map(([name, body, status]) => `\n${MARKER} BEGIN ${name}\n${body}${status === null ? '' : `\n${MARKER} END ${name} ${status}\n`}`).join(''));

const nonceOrNot = fc.oneof({ weight: 9, arbitrary: fc.constant(NONCE) }, { weight: 1, arbitrary: anyText(20) });

function checkScanShape(scan: WorkerScan): void {
  for (const value of Object.values(scan.host)) ensure(value === undefined || Number.isFinite(value), `host value ${value} is not a finite number`);
  ensure(typeof scan.tmuxRunning === 'boolean', 'tmuxRunning is not a boolean');
  ensure((scan.problems ?? []).every((p) => typeof p === 'string'), 'a problem is not a string');
  for (const session of scan.sessions) {
    ensure(/^\$\d+$/.test(session.id), `session id ${JSON.stringify(session.id)}`);
    ensure(session.panes.length > 0 && session.panes.every((p) => /^%\d+$/.test(p.id)), 'a pane id is not %N');
  }
  const ids = scan.jobs.map((j) => j.id);
  ensure(new Set(ids).size === ids.length, 'a job id appears twice');
}

/** The store after one successful refresh with `scan`, as the CLI and the dashboard read it. */
function storeWith(scan: WorkerScan) {
  const store = createFleetStore();
  store.getState().setWorkers([{ name: 'w', provider: 'ssh', maxJobs: 4, pollIntervalMs: 2000, sessionPrefix: 'mc' }], '/cfg.yaml');
  store.getState().refreshSucceeded('w', { scan, machine: { state: 'running' }, path: 'direct', rttMs: 3, scanMs: 5, now: 1_795_000_000_000 });
  return store;
}

/** `jobs --json` exactly as the CLI prints it, over a store filled by `scan` (nothing to refresh: no provider). */
async function jobsJsonOf(scan: WorkerScan): Promise<string> {
  let out = '';
  const store = storeWith(scan);
  const sink = { write: (text: string) => (out += text) };
  await runJobs({ store, provider: () => undefined, worker: () => undefined }, ['--json'], { stdout: sink, stderr: sink, confirm: async () => false });
  return out;
}

/** The scan properties. */
export const scanProperties: AnyFuzzProperty[] = [
  {
    name: 'splitSections: never throws; bodies are slices of the output',
    arbitrary: fc.tuple(scanOutput, fc.oneof(fc.constant(MARKER), anyText(8))),
    check: ([output, marker]: [string, string]) => {
      const { sections } = splitSections(output, marker);
      for (const s of sections.values()) ensure(output.includes(s.body), `body of ${s.name} is not in the output`);
    },
  },
  {
    name: 'splitSections: framing round trip (bodies and statuses come back exactly)',
    arbitrary: fc.uniqueArray(
      fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/), anyText(60), fc.oneof(fc.nat(255).map(String), fc.constantFrom('skipped'))),
      { selector: ([name]) => name, maxLength: 8 },
    ),
    check: (parts: [string, string, string][]) => {
      const output = parts.map(([name, body, status]) => `\n${MARKER} BEGIN ${name}\n${body}\n${MARKER} END ${name} ${status}\n`).join('');
      const { sections, problems } = splitSections(output, MARKER);
      ensure(problems.length === 0, () => `problems: ${problems.join('; ')}`);
      for (const [name, body, status] of parts) {
        const got = sections.get(name);
        ensure(got?.body === body, () => `body of ${name}: ${JSON.stringify(got?.body)} != ${JSON.stringify(body)}`);
        ensure(String(got.status) === status, `status of ${name}`);
      }
    },
  },
  {
    name: 'parseScan: never throws; sessions, panes and jobs well formed',
    arbitrary: fc.tuple(scanOutput, nonceOrNot),
    check: ([output, nonce]: [string, string]) => checkScanShape(parseScan(output, nonce)),
  },
  {
    name: 'parseCapture: never throws; round trip of captured lines',
    arbitrary: fc.tuple(fc.array(anyText(40).map((l) => l.replace(/\n/g, '')), { maxLength: 8 }), soup([CAPTURE_TRAILER, ' 0', ' 1', '\n'], { maxParts: 10 })),
    check: ([lines, noise]: [string[], string]) => {
      const body = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
      const got = parseCapture(`${body}\n${CAPTURE_TRAILER} 0\n`);
      ensure(got.kind === 'captured', `kind ${got.kind}`);
      ensure(JSON.stringify(got.lines) === JSON.stringify(lines), () => `lines ${JSON.stringify(got.lines)}`);
      const any = parseCapture(noise);
      ensure(['captured', 'gone', 'failed'].includes(any.kind), `kind ${any.kind}`);
    },
  },
  {
    name: 'toJobMeta: never throws; a valid meta comes back as written',
    arbitrary: fc.oneof(
      fc.jsonValue(),
      fc.record({ id: anyText(8), kind: anyText(8), session: anyText(8), createdAt: anyText(8), command: fc.array(anyText(8)), params: fc.dictionary(anyText(4), anyText(8)), worktree: anyText(8) }),
    ),
    check: (value: unknown) => {
      const meta = toJobMeta(value);
      if (typeof meta === 'string') return;
      for (const key of ['id', 'kind', 'session', 'createdAt'] as const) ensure(meta[key] === (value as Record<string, unknown>)[key], `${key} changed`);
      ensure(JSON.stringify(meta.params) === JSON.stringify((value as Record<string, unknown>)['params']), 'params changed');
    },
  },
  {
    name: 'store: every job key is unique (a hand-made session and a record never share one)',
    arbitrary: fc.tuple(scanOutput, fc.array(fc.tuple(fc.constantFrom('zz', 'mc-zz', '12-review', 'mc-12-review'), fc.constantFrom('zz', '12-review')), { maxLength: 3 })),
    check: ([output, pairs]: [string, [string, string][]]) => {
      const extra = pairs.flatMap(([session, record], i) => [
        [paneRowMarker(NONCE), `$${100 + i}`, session, '1795000000', '1795000000', '0', `%${100 + i}`, '0', '', '1', 'sh'].join(US),
        ['J', record, '0', '0', '', ''].join(US),
      ]);
      const framed = `${output}\n${MARKER} BEGIN tmux\n${extra.filter((l) => l.startsWith('@')).join('\n')}\n${MARKER} END tmux 0\n\n${MARKER} BEGIN jobs\n${extra.filter((l) => l.startsWith('J')).join('\n')}\n${MARKER} END jobs 0\n`;
      const keys = selectAllJobs(storeWith(parseScan(framed, NONCE)).getState()).map((j) => j.key);
      ensure(new Set(keys).size === keys.length, () => `keys shared: ${JSON.stringify(keys)}`);
    },
  },
  {
    name: 'store: a job record whose directory name is not a safe id never becomes a job',
    arbitrary: scanOutput,
    check: (output: string) => {
      for (const job of selectAllJobs(storeWith(parseScan(output, NONCE)).getState())) {
        if (!job.adhoc) ensure(SAFE_NAME.test(job.id), () => `record ${JSON.stringify(job.id)} shown as a job`);
      }
    },
  },
  {
    name: 'jobs and status tables: no escape, BEL, C1, bidi or format character reaches the terminal',
    arbitrary: scanOutput,
    check: (output: string) => {
      const state = storeWith(parseScan(output, NONCE)).getState();
      const text = jobsTable(selectAllJobs(state), 1_795_000_000_000) + statusTable(state, 1_795_000_000_000, 200);
      const leaks = terminalLeaks(text);
      ensure(leaks.length === 0, () => `leaks ${leaks.join(' ')}`);
    },
  },
  {
    name: 'status --json document: built without throwing whatever times the worker reports',
    arbitrary: scanOutput,
    check: (output: string) => {
      JSON.stringify(statusJson(storeWith(parseScan(output, NONCE)).getState(), 1_795_000_000_000));
    },
  },
  {
    name: 'jobs --json: valid JSON, no raw C1 or format character, every name round-trips',
    arbitrary: scanOutput,
    check: async (output: string) => {
      const scan = parseScan(output, NONCE);
      const text = await jobsJsonOf(scan);
      const leaks = jsonLeaks(text);
      ensure(leaks.length === 0, () => `raw in JSON: ${leaks.join(' ')}`);
      const parsed = JSON.parse(text) as { id: string }[];
      const ids = selectAllJobs(storeWith(scan).getState()).map((j) => j.id);
      ensure(JSON.stringify(parsed.map((j) => j.id)) === JSON.stringify(ids), 'ids changed on the way through JSON');
    },
  },
];
