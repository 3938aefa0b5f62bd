/**
 * Everything a user sees of a fleet, gathered as text so a test can check that no remote string drives the
 * terminal: the dashboard's frames (jobs, workers, preview, help), `jobs`, `jobs --json`, `status`,
 * `status --json`, and `logs` of each job with a record.
 */
import { vi } from 'vitest';
import type { Fleet } from '../../src/app/fleet.js';
import { createObserveCommands } from '../../src/app/observe-commands.js';
import { runStatus } from '../../src/cli/status.js';
import type { FleetConfig } from '../../src/config/schema.js';
import { runJobs, runLogs } from '../../src/jobs/cli.js';
import type { JobSettings } from '../../src/jobs/kinds.js';
import { SAFE_NAME } from '../../src/jobs/params.js';
import type { JobFleet } from '../../src/jobs/placement.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { selectAllJobs } from '../../src/state/selectors.js';
import type { FleetState } from '../../src/state/store.js';
import { attachBanner } from '../../src/ui/attach.js';
import { screenLines } from '../../src/ui/feeds.js';
import { escaped, jsonLeaks, terminalLeaks } from '../fuzz/terminal-checks.js';
import { testDashboard } from '../ui/fixtures.js';
import { KEYS, renderDashboard, settle } from '../ui/render.js';
import { captureIo } from './cli-io.js';

/** One piece of output and where it came from. */
export interface Shown {
  readonly where: string;
  readonly text: string;
  /** Colours (SGR) may pass here: pane previews and logs keep them. */
  readonly colours?: boolean;
  readonly json?: boolean;
}

/** The forbidden sequences and characters in the output, as `where (and where else): leaks`, one line per kind of leak. */
export function leaksIn(shown: readonly Shown[]): string[] {
  const places = new Map<string, string[]>();
  for (const s of shown) {
    const leaks = s.json ? jsonLeaks(s.text) : terminalLeaks(s.text, { allowSgr: s.colours ?? false });
    if (leaks.length === 0) continue;
    const key = [...new Set(leaks)].join(' ');
    places.set(key, [...(places.get(key) ?? []), s.where]);
  }
  return [...places].map(([leaks, wheres]) => `${wheres.slice(0, 3).join(', ')}${wheres.length > 3 ? ` and ${wheres.length - 3} more` : ''}: ${leaks}`);
}

/** The dashboard drawn over `state`: the first frame, each job selected in turn, the help screen. */
export async function dashboardFrames(state: FleetState, preview?: { jobKey: string; capture: string }): Promise<Shown[]> {
  const feeds = preview ? { preview: { jobKey: preview.jobKey, lines: screenLines(preview.capture, true), error: undefined, at: 0 } } : {};
  const rendered = await renderDashboard(testDashboard({ state, feeds }), 200, 60);
  try {
    const shown: Shown[] = [{ where: 'dashboard', text: rendered.frame(), colours: true }];
    for (let i = 0; i < Math.min(selectAllJobs(state).length, 40); i++) {
      await rendered.press(KEYS.down);
      shown.push({ where: `dashboard row ${i + 1}`, text: rendered.frame(), colours: true });
    }
    await rendered.press(KEYS.tab);
    shown.push({ where: 'dashboard workers', text: rendered.frame(), colours: true });
    await rendered.press('?');
    shown.push({ where: 'dashboard help', text: rendered.frame(), colours: true });
    return shown;
  } finally {
    rendered.unmount();
  }
}

/**
 * What an attach shows of each job: the banner printed before tmux takes the terminal, and the status line's
 * notices after it (detached, ended, failed), as the dashboard builds them from the job's key.
 */
export async function attachTexts(state: FleetState): Promise<Shown[]> {
  const dashboard = testDashboard({ state });
  const rendered = await renderDashboard(dashboard, 200, 30);
  try {
    const shown: Shown[] = [];
    for (const job of selectAllJobs(state).slice(0, 40)) {
      const where = `attach to ${escaped(job.key)}`;
      shown.push({ where: `${where}: banner`, text: attachBanner(job.key, { prefix: 'C-b', detachKeyBound: true, readOnly: false }) });
      for (const text of [`detached from ${job.key}`, `attach to ${job.key} ended with 1`]) {
        dashboard.ui.getState().notify(text, 'error');
        await settle();
        shown.push({ where: `${where}: notice`, text: rendered.frame(), colours: true });
      }
    }
    return shown;
  } finally {
    rendered.unmount();
  }
}

/** `jobs`, `jobs --json` and `logs` of every job with a record, through the CLI handlers. */
export async function cliOutputs(fleet: JobFleet, settings: JobSettings): Promise<Shown[]> {
  const table = captureIo();
  await runJobs(fleet, [], table, settings);
  const json = captureIo();
  await runJobs(fleet, ['--json'], json, settings);
  const shown: Shown[] = [
    { where: 'jobs', text: table.out() + table.err() },
    { where: 'jobs --json', text: json.out(), json: true },
    { where: 'jobs --json (stderr)', text: json.err() },
  ];
  for (const job of selectAllJobs(fleet.store.getState())) {
    if (job.adhoc || !SAFE_NAME.test(job.id)) continue;
    const logs = captureIo();
    await runLogs(fleet, [job.key], logs, settings);
    shown.push({ where: `logs ${escaped(job.key)}`, text: logs.out(), colours: true }, { where: `logs ${escaped(job.key)} (stderr)`, text: logs.err() });
  }
  return shown;
}

/** `status` and `status --json` as the CLI prints them (its own fleet, its own scan). */
export async function statusOutputs(config: FleetConfig): Promise<Shown[]> {
  const shown: Shown[] = [];
  for (const json of [false, true]) {
    let text = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    });
    try {
      await runStatus({ ok: true, config, path: '/hostile/config.yaml', explicit: true }, { json, watch: false });
    } finally {
      write.mockRestore();
    }
    shown.push({ where: json ? 'status --json' : 'status', text, json });
  }
  return shown;
}

/** What the dashboard, the CLI and `status` show of `fleet` (refreshed), with pane captures of its live jobs. */
export async function everythingShown(fleet: Fleet<WorkerProvider>, config: FleetConfig, settings: JobSettings): Promise<Shown[]> {
  await fleet.refreshAll();
  const state = fleet.store.getState();
  const observe = createObserveCommands(fleet);
  const captures: { jobKey: string; capture: string }[] = [];
  for (const job of selectAllJobs(state)) {
    if (!job.paneId) continue;
    const capture = await observe.capture(job.key, 50).catch((error: Error) => error.message);
    captures.push({ jobKey: job.key, capture });
  }
  return [
    ...captures.map((c) => ({ where: `preview of ${escaped(c.jobKey)}`, text: screenLines(c.capture, true).join('\n'), colours: true })),
    ...(await dashboardFrames(state, captures[0])),
    ...(await attachTexts(state)),
    ...(await cliOutputs(fleet, settings)),
    ...(await statusOutputs(config)),
  ];
}
