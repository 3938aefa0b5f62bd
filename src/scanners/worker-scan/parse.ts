/**
 * Reads the output of the script made by `buildScanCommand` into a {@link WorkerScan}.
 * Pure: imports nothing that does I/O. Never throws: a part that cannot be read becomes an
 * error field, a skipped record or a line in `problems`.
 */
import { FIELD_SEPARATOR, NONCE_PATTERN, SCAN_FORMAT_VERSION, sectionMarker } from './command.js';
import { parseJobSections } from './parse-jobs.js';
import { parseCaptures, parseForeground } from './screens.js';
import { firstLines, parseTmuxSection } from './parse-tmux.js';
import { splitSections, type Section } from './sections.js';
import type { ContainerInfo, HostInfo, WorkerScan } from './types.js';

/** Reads one scan's output (stdout and stderr merged), framed with `nonce`. */
export function parseScan(output: string, nonce: string): WorkerScan {
  if (!NONCE_PATTERN.test(nonce)) {
    return emptyScan([`the scan nonce ${JSON.stringify(nonce.slice(0, 80))} is not valid; nothing was read`]);
  }
  const { sections, problems } = splitSections(output, sectionMarker(nonce));
  if (sections.size === 0) {
    const text = output.trim();
    return emptyScan([text === '' ? 'the scan printed nothing' : `the scan output has no sections: ${JSON.stringify(text.slice(0, 200))}`]);
  }
  const plan = parsePlan(sections.get('plan'));
  const { host, problems: hostProblems } = parseHost(sections);
  const container = plan.container === undefined ? undefined : parseContainer(plan.container, sections.get('container'));
  const session = sections.get('session');
  const skipped = skippedSessionHost(plan.container, container, session, sections);
  if (skipped !== undefined) {
    return { host, container, ...skipped, problems: [...problems, ...plan.problems, ...hostProblems] };
  }
  const tmux = parseTmuxSection(sections.get('tmux'), nonce);
  const jobs = parseJobSections(sections.get('jobs'), sections.get('logs'));
  const captured = sections.get('capture');
  const foreground = sections.get('fg');
  return {
    ...(captured ? { screens: parseCaptures(captured) } : {}),
    ...(foreground ? { readingTerminal: parseForeground(foreground) } : {}),
    host,
    container,
    tmuxRunning: tmux.tmuxRunning,
    tmuxError: tmux.tmuxError,
    sessions: tmux.sessions,
    jobs: jobs.jobs,
    jobsError: jobs.jobsError,
    problems: [...problems, ...plan.problems, ...hostProblems, ...tmux.problems, ...jobs.problems],
  };
}

type SessionHostPart = Pick<WorkerScan, 'tmuxRunning' | 'tmuxError' | 'sessions' | 'jobs' | 'jobsError'>;

/**
 * When the session host is a container that was not entered (stopped, missing) or could not be
 * entered (`docker exec` failed), the tmux and job parts say so instead of being read.
 */
function skippedSessionHost(
  name: string | undefined,
  container: ContainerInfo | undefined,
  session: Section | undefined,
  sections: ReadonlyMap<string, Section>,
): SessionHostPart | undefined {
  if (name === undefined) return undefined;
  const none = { tmuxRunning: false, sessions: [], jobs: [] } as const;
  if (session?.status === 'skipped') {
    const why = container?.exists === false ? 'does not exist' : container?.error !== undefined ? 'could not be inspected' : 'is not running';
    return { ...none, tmuxError: undefined, jobsError: `not read: container ${name} ${why}` };
  }
  if (session !== undefined && session.status !== 0 && session.status !== undefined && !sections.has('tmux')) {
    const text = session.body.trim();
    const error = `docker exec into ${name} failed (status ${session.status})${text === '' ? '' : `: ${firstLines(text)}`}`;
    return { ...none, tmuxError: error, jobsError: error };
  }
  return undefined;
}

function parsePlan(section: Section | undefined): { container: string | undefined; problems: string[] } {
  if (section === undefined) return { container: undefined, problems: ['the scan output has no plan part'] };
  let container: string | undefined;
  const problems: string[] = [];
  for (const line of section.body.split('\n')) {
    if (line.startsWith('container ')) container = line.slice('container '.length);
    else if (line.startsWith('version ') && line !== `version ${SCAN_FORMAT_VERSION}`) problems.push(`unknown scan format ${line}`);
  }
  return { container, problems };
}

function parseHost(sections: ReadonlyMap<string, Section>): { host: HostInfo; problems: string[] } {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const section = sections.get(name);
    if (section === undefined) {
      problems.push(`the scan output has no ${name} part`);
      return undefined;
    }
    if (section.status !== 0) {
      const text = section.body.trim();
      problems.push(`${name} could not be read${text === '' ? '' : `: ${firstLines(text)}`}`);
      return undefined;
    }
    return section.body.trim();
  };
  const now = read('now');
  const uptime = read('uptime')?.split(/\s+/);
  const load = read('loadavg')?.split(/\s+/);
  const cpus = read('cpus');
  const host: HostInfo = {
    now: integer(now) ?? 0,
    uptimeSeconds: decimal(uptime?.[0]),
    load1: decimal(load?.[0]),
    load5: decimal(load?.[1]),
    load15: decimal(load?.[2]),
    cpus: cpuCount(cpus),
  };
  return { host, problems };
}

/** docker's complaint when there is no such container (CLI 28 says "object" without `--type`). */
const NO_SUCH_CONTAINER = /No such (container|object)/;

function parseContainer(name: string, section: Section | undefined): ContainerInfo {
  const unknown = { name, exists: true, status: undefined, running: false, startedAt: undefined, image: undefined };
  if (section === undefined) return { ...unknown, error: 'the scan output has no container part' };
  const text = section.body.trim();
  if (section.status !== 0) {
    if (NO_SUCH_CONTAINER.test(text)) return { ...unknown, exists: false, error: undefined };
    return { ...unknown, error: text === '' ? `docker inspect failed (status ${String(section.status)})` : firstLines(text) };
  }
  const fields = text.split(FIELD_SEPARATOR);
  if (fields.length !== 4) return { ...unknown, error: `docker inspect printed something unexpected: ${JSON.stringify(text.slice(0, 200))}` };
  const [running, status, startedAt, image] = fields as [string, string, string, string];
  return {
    name,
    exists: true,
    status: status === '' ? undefined : status,
    running: running === 'true',
    // docker reports a container that never started as started at the zero time.
    startedAt: startedAt === '' || startedAt.startsWith('0001-01-01') ? undefined : startedAt,
    image: image === '' ? undefined : image,
    error: undefined,
  };
}

function emptyScan(problems: string[]): WorkerScan {
  return {
    host: { now: 0, uptimeSeconds: undefined, load1: undefined, load5: undefined, load15: undefined, cpus: undefined },
    container: undefined,
    tmuxRunning: false,
    tmuxError: 'the scan output could not be read',
    sessions: [],
    jobs: [],
    jobsError: 'the scan output could not be read',
    problems,
  };
}

function integer(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** A CPU count, or a Linux CPU list such as `0-3,8-11` (/sys/devices/system/cpu/online). */
function cpuCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d{1,6}$/.test(text)) return Number(text);
  if (!/^\d{1,6}(-\d{1,6})?(,\d{1,6}(-\d{1,6})?)*$/.test(text)) return undefined;
  let count = 0;
  for (const range of text.split(',')) {
    const [low, high = low] = range.split('-').map(Number);
    count += high! - low! + 1;
  }
  return count > 0 ? count : undefined;
}

function decimal(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}(\.\d+)?$/.test(text) ? Number(text) : undefined;
}
