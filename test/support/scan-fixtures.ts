import type { JobRecord, TmuxSession, WorkerScan } from '../../src/scanners/worker-scan/types.js';

/** The worker's clock in the derivation tests, Unix seconds. */
export const NOW_S = 1_800_000_000;

/** A live session with one pane, active 5 s ago; its id is `$` and the name's length unless `over` gives one. */
export function session(name: string, over: Partial<TmuxSession> = {}, pane: Partial<TmuxSession['panes'][number]> = {}): TmuxSession {
  return {
    id: `$${name.length}`,
    name,
    created: NOW_S - 600,
    activity: NOW_S - 5,
    attached: 0,
    panes: [{ id: '%1', dead: false, deadStatus: undefined, currentCommand: 'node', pid: 42, ...pane }],
    ...over,
  };
}

/** A job record of kind `review` launched 10 minutes ago, its log written 5 s ago. */
export function record(id: string, over: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    meta: { id, kind: 'review', params: { pr: '12' }, command: ['review', '12'], session: `mc-${id}`, createdAt: new Date((NOW_S - 600) * 1000).toISOString() },
    metaError: undefined,
    exitCode: undefined,
    logModified: NOW_S - 5,
    logBytes: 100,
    ...over,
  };
}

/** One scan of a worker whose clock reads `hostNow`. */
export function scan(sessions: TmuxSession[], jobs: JobRecord[], hostNow = NOW_S): WorkerScan {
  return {
    host: { now: hostNow, uptimeSeconds: 100, load1: 0.1, load5: 0.1, load15: 0.1, cpus: 2 },
    container: undefined,
    tmuxRunning: sessions.length > 0,
    tmuxError: undefined,
    sessions,
    jobs,
  };
}
