/**
 * Hostile data on a watched worker: an 8 MB `meta.json`, a job directory whose name carries terminal escapes (in
 * the store, and the built dashboard in a tmux pane: the outer terminal's title and clipboard must not change),
 * a 200 MB log followed with `logs -f` (peak RSS of the CLI), and thousands of sessions on one worker.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FleetState } from '../../src/state/store.js';
import { LocalWorld, TuiDriver } from '../../test/e2e/tui-driver.js';
import { run } from '../../test/harness/process.js';
import { runCli } from './cli.js';
import { upSince } from './network.js';
import type { FaultRow } from './table.js';
import { sleep, type WatchedFault } from './watch.js';
import type { FaultWorld } from './world.js';

/** The worker's `problems` (a field the store may not have yet). */
const problemsOf = (state: FleetState, worker: string): readonly string[] =>
  ((state.workers[worker] as unknown as { problems?: readonly string[] } | undefined)?.problems ?? []);

/** A name that retitles the terminal and writes "canary" to its clipboard (OSC 0 and OSC 52). */
export const ESCAPE_NAME = 'x\x1b]0;PWNED\x07\x1b]52;c;Y2FuYXJ5\x07';

/** 8 MB `meta.json` on w6. */
export function oversizeMetaFault(world: FaultWorld): WatchedFault {
  const dir = join(world.worker('w6').stateDir, 'jobs', 'huge-1');
  let healed = 0;
  let sawDown = '';
  return {
    name: '8 MB meta.json (w6)',
    targets: ['w6'],
    async inject() {
      await mkdir(dir, { recursive: true });
      const pad = 'a'.repeat(8 * 1024 * 1024);
      await writeFile(join(dir, 'meta.json'), JSON.stringify({ id: 'huge-1', kind: 'sleeper', params: { n: pad }, command: ['true'], session: 'mc-huge-1', createdAt: new Date().toISOString() }));
    },
    async heal() {
      const view = world.fleet.store.getState().workers['w6'];
      if (view?.connection === 'down') sawDown = `worker shown down: ${view.lastError ?? ''}`.slice(0, 120);
      await rm(dir, { recursive: true, force: true });
      healed = Date.now();
    },
    // Detected: the worker stays up and names the oversized record among its problems.
    detected: (state) => state.workers['w6']?.connection === 'up' && problemsOf(state, 'w6').some((p) => /huge-1|meta/i.test(p)),
    recovered: (state) => upSince('w6', () => healed)(state) && problemsOf(state, 'w6').length === 0,
    async after() {
      return { note: sawDown || 'worker stayed up' };
    },
  };
}

/** The escape-named job directory on w6, as the store shows it. */
export function escapeDirFault(world: FaultWorld): WatchedFault {
  const dir = join(world.worker('w6').stateDir, 'jobs', ESCAPE_NAME);
  let healed = 0;
  const hostile = (state: FleetState) => (state.jobsByWorker['w6'] ?? []).some((job) => job.id.includes('\x1b') || job.key.includes('\x1b'));
  let shownAsJob = false;
  return {
    name: 'job dir named with escapes (w6, store)',
    targets: ['w6'],
    async inject() {
      await mkdir(dir, { recursive: true });
    },
    async heal() {
      shownAsJob = hostile(world.fleet.store.getState());
      await rm(dir, { recursive: true, force: true });
      healed = Date.now();
    },
    detected: (state) => problemsOf(state, 'w6').length > 0 && !hostile(state),
    recovered: (state) => upSince('w6', () => healed)(state) && problemsOf(state, 'w6').length === 0,
    holdMs: 4000,
    async after() {
      return { note: shownAsJob ? 'shown as a job with escapes in its key' : 'not shown as a job', noteMet: !shownAsJob };
    },
  };
}

/**
 * The built dashboard in a tmux pane, with a job whose directory carries escapes (its session live), attached with
 * Enter and detached: the outer pane's title must not change and no OSC 52 may reach it (a paste buffer appears).
 */
export async function escapeTerminalRow(): Promise<FaultRow> {
  const fault = 'escapes in a job dir: dashboard attach+detach';
  const world = LocalWorld.create({ pollInterval: '1s' });
  let tui: TuiDriver | undefined;
  try {
    world.startJob('esc', 'exec sleep 3600');
    const dir = join(world.stateDir, 'jobs', ESCAPE_NAME);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ id: ESCAPE_NAME, kind: 'sleeper', params: {}, command: ['sleep'], session: 'mc-esc', createdAt: new Date().toISOString() }));
    tui = await TuiDriver.start({ argv: world.argv() });
    await tui.tmux('set-option', '-s', 'set-clipboard', 'on');
    const titleBefore = (await tui.tmux('display', '-p', '-t', 'tui', '#{pane_title}')).trim();
    await tui.waitFor(/sleep|esc|x/, { timeoutMs: 15_000 });
    await sleep(1500);
    await tui.send('Enter');
    // Attached (or refused): detach every client of the jobs' server, then let the dashboard come back and say so.
    const attachedBy = performance.now() + 8000;
    while (performance.now() < attachedBy) {
      const clients = world.tmux('list-clients', '-F', '#{client_name}').trim();
      if (clients) break;
      await sleep(100);
    }
    await sleep(500);
    try {
      world.tmux('detach-client', '-a');
    } catch {
      // no client
    }
    try {
      world.tmux('detach-client', '-s', 'mc-esc');
    } catch {
      // no client
    }
    await sleep(2500);
    const titleAfter = (await tui.tmux('display', '-p', '-t', 'tui', '#{pane_title}')).trim();
    const buffers = (await tui.tmux('list-buffers', '-F', '#{buffer_sample}').catch(() => '')).trim();
    const escapes = (titleAfter !== titleBefore || /PWNED/.test(titleAfter) ? 1 : 0) + (/canary/.test(buffers) ? 1 : 0);
    const screen = await tui.screen();
    const notice = screen.split('\n').find((line) => /detached|attach/.test(line))?.trim() ?? '';
    return {
      fault,
      note: `escapes reaching the terminal: ${escapes} (title "${titleAfter.slice(0, 30)}"${/canary/.test(buffers) ? ', OSC 52 set the clipboard' : ''}); notice: "${notice.slice(0, 60)}"`,
      noteMet: escapes === 0,
      leftovers: 0,
    };
  } catch (error) {
    return { fault, notRun: `the dashboard could not be driven: ${String(error).split('\n')[0]}` };
  } finally {
    await tui?.stop();
    world.close();
  }
}

/** A 200 MB log appended to a job on w7 while `logs -f` follows it: its peak RSS. */
export function bigLogFault(world: FaultWorld, jobKey: () => string, limitMb: number): WatchedFault {
  const w7 = world.worker('w7');
  let follow: Promise<Awaited<ReturnType<typeof runCli>>> | undefined;
  const id = () => jobKey().split('/')[1] ?? '';
  const SIZE = 200 * 1024 * 1024;
  return {
    name: '200 MB log followed with logs -f (w7)',
    targets: ['w7'],
    async inject() {
      follow = runCli(world.configPath, ['logs', jobKey(), '-f'], { timeoutMs: 150_000, discardStdout: true });
      await sleep(2500);
      const log = join(w7.stateDir, 'jobs', id(), 'output.log');
      // 200 MiB of printable lines, appended at once, then the job's end recorded as its wrapper would.
      const line = 'log line 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n';
      await run('sh', ['-c', `yes '${line.trim()}' | head -c ${SIZE} >>"$1" && printf 0 >"$2"`, 'sh', log, join(w7.stateDir, 'jobs', id(), 'exit')]);
    },
    async heal() {
      await follow;
    },
    holdMs: 0,
    // The followed job's end is recorded on purpose, so that `logs -f` finishes.
    ends: () => [jobKey()],
    async after() {
      const result = await follow!;
      const mb = result.peakKb / 1024;
      const got = result.stdoutBytes / 1024 / 1024;
      const ok = !result.timedOut && result.code === 0 && mb <= limitMb && got >= 199;
      const how = result.timedOut ? 'still following after 150 s' : `exit ${result.code ?? result.signal}`;
      return {
        note: `peak RSS ${mb.toFixed(0)} MiB (goal ≤ ${limitMb}), ${got.toFixed(0)} MiB shown in ${(result.ms / 1000).toFixed(1)} s, ${how}${result.code ? `: ${result.stderr.trim().split('\n').pop()?.slice(0, 80)}` : ''}`,
        noteMet: ok,
        // The followed job ended by design (its exit was recorded): not lost.
      };
    },
  };
}

/** Creates sessions on w7's job server from one shell script, until `target` or `budgetMs`. */
export function crowdFault(world: FaultWorld, target: number, live: number, budgetMs: number): WatchedFault {
  const w7 = world.worker('w7');
  let made = 0;
  let tookMs = 0;
  let healed = 0;
  // Sessions with no record are keyed by session id: count them by name.
  const crowd = (state: FleetState) => (state.jobsByWorker['w7'] ?? []).filter((job) => job.session?.name.startsWith('crowd-') === true).length;
  return {
    name: `${target} sessions on one worker (w7)`,
    targets: ['w7'],
    async inject() {
      // One tmux command line per 100 sessions; the first `live` run a process (each holds a pty: the machine has
      // 4096), the rest exit at once and stay as dead panes (remain-on-exit during creation only).
      const script = [
        'S=$1; N=$2; LIVE=$3; END=$4; i=0',
        'tmux -S "$S" set -g remain-on-exit on',
        'while [ $i -lt $N ] && [ "$(date +%s)" -lt "$END" ]; do',
        '  set --; j=0',
        '  while [ $j -lt 100 ] && [ $i -lt $N ]; do',
        '    if [ $i -lt $LIVE ]; then set -- "$@" new-session -d -x 40 -y 10 -s "crowd-$i" "exec sleep 3600" ";"',
        '    else set -- "$@" new-session -d -x 40 -y 10 -s "crowd-$i" "exit 0" ";"; fi',
        '    i=$((i+1)); j=$((j+1))',
        '  done',
        '  tmux -S "$S" "$@" display -p ok >/dev/null || break',
        'done',
        'tmux -S "$S" set -g remain-on-exit off',
        'echo $i',
      ].join('\n');
      const started = performance.now();
      const end = Math.floor((Date.now() + budgetMs) / 1000);
      const out = await run('sh', ['-c', script, 'sh', w7.socket, String(target), String(live), String(end)], { allowFailure: true });
      made = Number(out.stdout.trim().split('\n').pop()) || 0;
      tookMs = performance.now() - started;
    },
    async heal() {
      // Our sessions only, by id, in batches on one command line each.
      const listed = await w7.tmux(['list-sessions', '-F', '#{session_id} #{session_name}']);
      const ids = listed.stdout.split('\n').filter((line) => / crowd-\d+$/.test(line)).map((line) => line.split(' ')[0]!);
      for (let i = 0; i < ids.length; i += 200) {
        const args = ids.slice(i, i + 200).flatMap((sid, k) => (k ? [';', 'kill-session', '-t', sid] : ['kill-session', '-t', sid]));
        await w7.tmux(args);
      }
      healed = Date.now();
    },
    detected: (state) => made > 0 && crowd(state) >= made && state.workers['w7']?.connection === 'up',
    recovered: (state) => upSince('w7', () => healed)(state) && crowd(state) === 0,
    holdMs: 8000,
    async after() {
      const scan = world.fleet.store.getState().workers['w7']?.scanMs;
      return {
        note: `${made} sessions made (${Math.min(made, live)} live) in ${(tookMs / 1000).toFixed(0)} s${made < target ? ` (creation budget ${budgetMs / 1000} s spent)` : ''}; detect counts from the last one made; w7 scan ${scan?.toFixed(0) ?? '?'} ms`,
        noteMet: made >= target,
      };
    },
  };
}
