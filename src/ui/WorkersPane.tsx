import { Box } from 'ink';
import React from 'react';
import { workerStateLabel } from '../cli/status-report.js';
import { formatHourly } from '../providers/gce/pricing.js';
import { countsTowardMaxJobs, workerCostPerHour } from '../state/selectors.js';
import type { UnmanagedVm } from '../state/store.js';
import type { Job, WorkerView } from '../state/types.js';
import { idleLabel, workerIdle } from '../state/idle.js';
import { formatMs, pad } from '../text/format.js';
import { sanitizeLine } from '../text/sanitize.js';
import { useDashboard, useFleet, useNow, useUi } from './hooks.js';
import { resolveCursor, scrollTop } from './state/selection.js';
import { PaneTitle } from './PaneTitle.js';
import { Text } from './Text.js';

/** The IDLE column's width: "suspends in 1h05m", "kept up: build-7 running" cut short. */
const IDLE_WIDTH = 22;

/** The columns of the workers pane for a width; a COST column when some worker is priced, IDLE when one has a policy. */
function columns(width: number, priced: boolean, idle = false) {
  const name = width >= 120 ? 16 : 12;
  const state = width >= 120 ? 20 : 14;
  const path = width >= 120 ? 13 : 8;
  const cost = priced ? 9 : 0;
  const fixed = name + 9 + state + path + 7 + 6 + 7 + 8 + (priced ? cost + 1 : 0) + (idle ? IDLE_WIDTH + 1 : 0);
  return { name, state, path, cost, idle: idle ? IDLE_WIDTH : 0, error: Math.max(0, width - fixed) };
}

/**
 * The last column of a worker: its error, after `!N` when its last scan had N problems; for the selected worker
 * with no error, the first problem itself (the rest are in `status --json`).
 */
function errorCell(worker: WorkerView, selected: boolean): string {
  const error = worker.lastError ?? worker.tmuxError ?? worker.container?.error;
  const n = worker.problems.length;
  if (n === 0) return error ?? '';
  const marker = `!${n}`;
  if (error !== undefined) return `${marker} ${error}`;
  return selected ? `${marker} ${worker.problems[0]}` : `${marker} problem${n === 1 ? '' : 's'} (select to see)`;
}

/** The IDLE cell: the countdown or what keeps the worker up; `-` without a policy or while it is not running. */
function idleCell(worker: WorkerView, jobs: readonly Job[], now: number): string {
  const verdict = workerIdle(worker, jobs, now);
  return verdict ? idleLabel(verdict, now) : '-';
}

/** One worker as a line of text (pure); `now` (ms since epoch) is given when the IDLE column is shown. */
export function workerLine(worker: WorkerView, jobs: readonly Job[], width: number, priced = false, selected = false, now?: number): string {
  const c = columns(width, priced, now !== undefined);
  const live = countsTowardMaxJobs(jobs);
  const machine = worker.machine?.detail ? `${workerStateLabel(worker)} (${worker.machine.detail})` : workerStateLabel(worker);
  const load = worker.host?.load1 === undefined ? '-' : worker.host.load1.toFixed(2);
  const error = errorCell(worker, selected);
  return [
    pad(sanitizeLine(worker.name), c.name),
    pad(worker.provider, 8),
    pad(sanitizeLine(machine), c.state),
    pad(worker.path ?? '-', c.path),
    pad(formatMs(worker.rttMs), 6, 'right'),
    pad(load, 5, 'right'),
    pad(`${live}/${worker.maxJobs}`, 6, 'right'),
    ...(priced ? [pad(worker.cost ? formatHourly(workerCostPerHour(worker)) : '-', c.cost, 'right')] : []),
    ...(now !== undefined ? [pad(sanitizeLine(idleCell(worker, jobs, now)), c.idle)] : []),
    ' ',
    pad(sanitizeLine(error), c.error),
  ].join(' ');
}

/** A cloud VM labelled as a worker that the config does not name, as a line of text (pure). */
export function unmanagedLine(vm: UnmanagedVm, width: number, priced = false): string {
  const c = columns(width, priced);
  return [
    pad(sanitizeLine(vm.instance), c.name),
    pad('gce', 8),
    pad(sanitizeLine(vm.machine.state), c.state),
    pad(sanitizeLine(`not in config: ${vm.project}/${vm.zone}`), Math.max(0, width - c.name - c.state - 11)),
  ].join(' ');
}

/** The header line of the workers pane. */
export function workerHeader(width: number, priced = false, idle = false): string {
  const c = columns(width, priced, idle);
  return [
    pad('WORKER', c.name),
    pad('PROVIDER', 8),
    pad('STATE', c.state),
    pad('PATH', c.path),
    pad('RTT', 6, 'right'),
    pad('LOAD', 5, 'right'),
    pad('JOBS', 6, 'right'),
    ...(priced ? [pad('COST', c.cost, 'right')] : []),
    ...(idle ? [pad('IDLE', c.idle)] : []),
    ' ',
    pad('LAST ERROR', c.error),
  ].join(' ');
}

/**
 * The workers pane: name, provider, machine state, connection path, round trip, load, jobs/maxJobs, last error
 * (with the scan's problems: `!N`, and the first of them on the selected worker).
 */
export function WorkersPane({ width, rows }: { readonly width: number; readonly rows: number }): React.JSX.Element {
  const dashboard = useDashboard();
  const order = useFleet((s) => s.workerOrder);
  const workers = useFleet((s) => s.workers);
  const jobsByWorker = useFleet((s) => s.jobsByWorker);
  const unmanaged = useFleet((s) => s.unmanagedVms);
  const priced = order.some((name) => workers[name]?.cost !== undefined);
  const withIdle = order.some((name) => workers[name]?.idle !== undefined);
  // The countdown moves with the shared clock, not only with scans.
  const now = useNow();
  const focused = useUi((s) => s.focus === 'workers' && s.overlay.kind === 'none');
  const selected = useUi((s) => s.selectedWorker);
  const hint = useUi((s) => s.workerCursor);
  const cursor = resolveCursor(order, selected, hint);
  const top = scrollTop(0, cursor, rows, order.length);
  const visible = order.slice(top, top + rows);
  const lines: React.JSX.Element[] = visible.map((name, index) => {
    const worker = workers[name];
    if (!worker) return <Text key={name}> </Text>;
    const isSelected = top + index === cursor;
    const down = worker.connection === 'down';
    return (
      <Text
        key={name}
        wrap="truncate"
        inverse={isSelected && focused}
        bold={isSelected && !focused}
        {...(down && dashboard.color ? { color: 'red' } : {})}
      >
        {workerLine(worker, jobsByWorker[name] ?? [], width, priced, isSelected, withIdle ? now : undefined)}
      </Text>
    );
  });
  // VMs the config does not name come after the workers, dim, while there is room (they take no action).
  for (const vm of unmanaged) {
    if (lines.length >= rows) break;
    lines.push(
      <Text key={`vm-${vm.project}-${vm.zone}-${vm.instance}`} dimColor wrap="truncate">
        {unmanagedLine(vm, width, priced)}
      </Text>,
    );
  }
  while (lines.length < rows) lines.push(<Text key={`empty-${lines.length}`}>{lines.length === 0 && order.length === 0 ? 'no workers configured' : ' '}</Text>);
  const extra = unmanaged.length > 0 ? ` + ${unmanaged.length} not in config` : '';
  const more = (order.length > rows ? ` ${top + 1}-${top + visible.length} of ${order.length}` : ` ${order.length}`) + extra;
  return (
    <Box flexDirection="column" width={width} height={rows + 2}>
      <PaneTitle text={`Workers${more}`} focused={focused} width={width} />
      <Text dimColor wrap="truncate">
        {workerHeader(width, priced, withIdle)}
      </Text>
      {lines}
    </Box>
  );
}
