import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScan } from '../../src/scanners/worker-scan/parse.js';
import type { ContainerInfo, HostInfo, JobMeta, JobRecord, TmuxPane, TmuxSession, WorkerScan } from '../../src/scanners/worker-scan/types.js';

/** The nonce every fixture in test/fixtures/scan was recorded with. */
const NONCE = 'fixture0nonce0001';
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/scan/${name}`, import.meta.url), 'utf8');

/** When the hostile world's sessions were created (test/fixtures/scan/world.ts). */
const T = 1795395580;
const PWNED = '/tmp/mc-scan-fixture-pwned';

function pane(id: string, pid: number, over: Partial<TmuxPane> = {}): TmuxPane {
  return { id, dead: false, deadStatus: undefined, currentCommand: 'sh', pid, ...over };
}

function session(id: string, name: string, panes: TmuxPane[], over: Partial<TmuxSession> = {}): TmuxSession {
  return { id, name, created: T, activity: T, attached: 0, panes, ...over };
}

/** The world's sessions in tmux's order (sorted by name). */
const worldSessions = (withCapture: boolean): TmuxSession[] => [
  session('$7', `#(touch ${PWNED}-3)`, [pane('%7', 21694)]),
  session('$5', `$(touch ${PWNED}-1)`, [pane('%5', 21686)]),
  session('$11', `@@MC-${NONCE}@@ END tmux 0`, [pane('%11', 21710)]),
  session('$6', `\`touch ${PWNED}-2\``, [pane('%6', 21690)]),
  session('$3', 'a_b_c', [pane('%3', 21678)]),
  ...(withCapture ? [session('$15', 'capture', [pane('%16', 21846)], { created: T + 1, activity: T + 1 })] : []),
  session('$12', 'dead', [pane('%12', 21713, { dead: true, deadStatus: 3, currentCommand: 'exit' })]),
  session('$2', `it's "quoted"`, [pane('%2', 21674)]),
  session('$14', 'mc-j-done', [pane('%14', 21722, { dead: true, deadStatus: 0, currentCommand: 'cd' })]),
  session('$0', 'mc-j-running', [pane('%0', 21665)]),
  session('$13', 'multi', [pane('%13', 21718), pane('%15', 21745)], { activity: T + 1 }),
  session('$10', 'semi;', [pane('%10', 21706)]),
  session('$8', 'tab\\there', [pane('%8', 21698)]),
  session('$9', 'us\\037x', [pane('%9', 21702)]),
  session('$1', 'with space', [pane('%1', 21670)]),
  session('$4', '日本語', [pane('%4', 21682)]),
];

function meta(id: string, over: Partial<JobMeta> = {}): JobMeta {
  return { id, kind: 'review', params: { pr: '12' }, command: ['mc-review', '12'], session: `mc-${id}`, createdAt: '2026-11-23T00:00:00.000Z', ...over };
}

function job(id: string, over: Partial<JobRecord> = {}): JobRecord {
  return { id, meta: meta(id), metaError: undefined, exitCode: undefined, exitError: undefined, logModified: undefined, logBytes: undefined, ...over };
}

const notJson = expect.stringMatching(/^meta\.json is not valid JSON: /) as unknown as string;

/** The world's job records, sorted by id. */
const worldJobs: JobRecord[] = [
  job('j-badexit', { exitError: 'the exit file holds "abc", not a number' }),
  job('j-badjson', { meta: undefined, metaError: notJson }),
  job('j-badshape', { meta: undefined, metaError: 'meta.json has no string "kind"' }),
  job('j-done', { meta: meta('j-done', { worktree: '/w/j-done' }), exitCode: 7, logModified: T, logBytes: 8 }),
  job('j-emptyexit'),
  job('j-forge', { meta: undefined, metaError: notJson, exitCode: 1 }),
  job('j-hostile', {
    meta: meta('j-hostile', {
      kind: 'fix',
      params: { pr: '12; rm -rf ~', title: `$(touch ${PWNED}-4) \`touch ${PWNED}-5\` 'q' "dq" 日本語 \\ \t \x1f end` },
      command: ['sh', '-c', `echo "$(touch ${PWNED}-6)"`],
    }),
    exitCode: 0,
    logModified: T,
    logBytes: 1000,
  }),
  job('j-nometa', { meta: undefined, exitCode: 0 }),
  job('j-rawctl'),
  job('j-running', { logModified: T, logBytes: 12 }),
];

/** Directory names that are not job ids are reported, quoted, never listed as jobs. */
const worldProblems = ['job directories "bad?name", "j $(touch pwned-7) `touch pwned-8`" skipped: a job id is letters, digits, _ and - only'];

function host(now: number, uptimeSeconds: number, load: [number, number, number]): HostInfo {
  return { now, uptimeSeconds, load1: load[0], load5: load[1], load15: load[2], cpus: 2 };
}

const CONTAINER = 'maintainer-worker';
const noContainerInfo = { status: undefined, running: false, startedAt: undefined, image: undefined };
const runningContainer: ContainerInfo = {
  name: CONTAINER,
  exists: true,
  status: 'running',
  running: true,
  startedAt: '2026-11-23T00:40:12.123456789Z',
  image: 'local/worker:latest',
  error: undefined,
};

function scan(over: Partial<WorkerScan> & Pick<WorkerScan, 'host'>): WorkerScan {
  return { container: undefined, tmuxRunning: false, tmuxError: undefined, sessions: [], jobs: [], jobsError: undefined, problems: [], ...over };
}

const cases: [string, WorkerScan][] = [
  [
    'host-hostile.dash.txt',
    scan({ host: host(T + 1, 752.36, [4.21, 1.67, 0.65]), tmuxRunning: true, sessions: worldSessions(false), jobs: worldJobs, problems: worldProblems }),
  ],
  [
    'host-hostile.busybox.txt',
    scan({ host: host(T + 1, 752.41, [4.21, 1.67, 0.65]), tmuxRunning: true, sessions: worldSessions(false), jobs: worldJobs, problems: worldProblems }),
  ],
  ['no-server.txt', scan({ host: host(T + 1, 752.46, [4.21, 1.67, 0.65]) })],
  ['stale-socket.txt', scan({ host: host(T + 1, 752.72, [4.21, 1.67, 0.65]) })],
  [
    'docker-daemon-down.txt',
    scan({
      host: host(T + 1, 752.74, [4.21, 1.67, 0.65]),
      container: {
        name: CONTAINER,
        exists: true,
        ...noContainerInfo,
        error: 'Cannot connect to the Docker daemon at unix:///tmp/mc-scan-fixture/empty/docker.sock. Is the docker daemon running?',
      },
      jobsError: `not read: container ${CONTAINER} could not be inspected`,
    }),
  ],
  [
    'docker-missing.txt',
    scan({
      host: host(T + 1, 752.76, [4.21, 1.67, 0.65]),
      container: { name: CONTAINER, exists: true, ...noContainerInfo, error: '/bin/dash: 14: docker: not found' },
      jobsError: `not read: container ${CONTAINER} could not be inspected`,
    }),
  ],
  [
    'container-running.handmade.txt',
    scan({
      host: host(T + 2, 752.84, [4.21, 1.67, 0.65]),
      container: runningContainer,
      tmuxRunning: true,
      sessions: worldSessions(true),
      jobs: worldJobs,
      problems: worldProblems,
    }),
  ],
  [
    'container-exited.handmade.txt',
    scan({
      host: host(T + 2, 752.9, [4.21, 1.67, 0.65]),
      container: { ...runningContainer, status: 'exited', running: false },
      jobsError: `not read: container ${CONTAINER} is not running`,
    }),
  ],
  [
    'container-missing.handmade.txt',
    scan({
      host: host(T + 2, 752.92, [4.21, 1.67, 0.65]),
      container: { name: CONTAINER, exists: false, ...noContainerInfo, error: undefined },
      jobsError: `not read: container ${CONTAINER} does not exist`,
    }),
  ],
  [
    'container-exec-fails.handmade.txt',
    scan({
      host: host(T + 2, 752.94, [4.21, 1.67, 0.65]),
      container: runningContainer,
      tmuxError: `docker exec into ${CONTAINER} failed (status 1): Error response from daemon: container 5e3c0c5b2f1a3d9e is not running`,
      jobsError: `docker exec into ${CONTAINER} failed (status 1): Error response from daemon: container 5e3c0c5b2f1a3d9e is not running`,
    }),
  ],
];

describe('parseScan on recorded outputs', () => {
  it.each(cases)('%s', (name, expected) => {
    expect(parseScan(fixture(name), NONCE)).toEqual(expected);
  });
});

describe('parseScan on records over their caps and names that are not job ids (jobs-capped.*.txt)', () => {
  const M = 1795000000;
  const capped = (id: string, over: Partial<JobRecord>): JobRecord => job(id, { meta: meta(id, { params: { pr: '1' }, command: ['true'] }), ...over });
  it.each([['jobs-capped.dash.txt'], ['jobs-capped.busybox.txt']])('%s', (name) => {
    const result = parseScan(fixture(name), NONCE);
    expect(result.jobs).toEqual([
      capped('1-ok', { exitCode: 0, logModified: M, logBytes: 5 }),
      capped('2-huge', {
        meta: undefined,
        metaError: 'record too large: meta.json is 8388739 bytes, over the 64 KiB limit; not read',
        logModified: M,
        logBytes: 4,
      }),
      capped('3-hugeexit', { exitError: 'record too large: the exit file is 4002 bytes, over the 1 KiB limit; not read' }),
      // Exactly at the cap: read.
      job('4-edge', { meta: expect.objectContaining({ id: '4-edge' }) as unknown as JobMeta }),
    ]);
    expect(result.jobsError).toBeUndefined();
    expect(result.problems).toEqual([
      'job 2-huge: record too large: meta.json is 8388739 bytes, over the 64 KiB limit; not read',
      'job 3-hugeexit: record too large: the exit file is 4002 bytes, over the 1 KiB limit; not read',
      'job directories (a name holding a newline or a separator), "x\\u001b]0;TITLE\\u0007" skipped: a job id is letters, digits, _ and - only',
    ]);
  });
});
