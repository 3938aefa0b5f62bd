import React, { useMemo } from 'react';
import { formatHourly } from '../providers/gce/pricing.js';
import { connectingProgress, JOB_STATES, needsUser, selectAllJobs, selectWorkers, summarizeFleet, type FleetSummary } from '../state/selectors.js';
import type { FleetState } from '../state/store.js';
import type { WorkerView } from '../state/types.js';
import { cellWidth, formatAge, truncate } from '../text/format.js';
import { useDashboard, useFleet, useNow, useUi } from './hooks.js';
import { Text } from './Text.js';

/** A piece of the header line. */
interface Segment {
  readonly text: string;
  readonly tone?: 'alert';
}

/** The header's figures drawn from the fleet alone: counting them walks every job. */
interface FleetFigures {
  readonly summary: FleetSummary;
  readonly workers: readonly WorkerView[];
  readonly busy: number;
  readonly waiting: number;
}

const figuresByState = new WeakMap<FleetState, FleetFigures>();

/**
 * The header's counts of one fleet state, computed once for it: a beat (the clock) or a key redraws the header
 * without walking every job again, which at thousands of jobs was a large part of such a frame.
 */
export function fleetFigures(state: FleetState): FleetFigures {
  const known = figuresByState.get(state);
  if (known) return known;
  const workers = selectWorkers(state);
  const figures: FleetFigures = {
    summary: summarizeFleet(state),
    workers,
    busy: workers.filter((w) => w.machine?.state === 'provisioning' || w.machine?.state === 'starting').length,
    waiting: selectAllJobs(state).filter(needsUser).length,
  };
  figuresByState.set(state, figures);
  return figures;
}

/** What the header says: the fleet on the left, freshness and config trouble on the right (pure: tested directly). */
export function headerSegments(state: FleetState, now: number, marks: number): { readonly left: Segment[]; readonly right: Segment[] } {
  const { summary, workers, busy, waiting } = fleetFigures(state);
  const w = summary.workers;
  const workerParts = [`${w.up} up`];
  if (w.down > 0) workerParts.push(`${w.down} down`);
  const connecting = connectingProgress(summary);
  if (connecting) workerParts.push(connecting);
  if (busy > 0) workerParts.push(`${busy} provisioning`);
  const jobParts = JOB_STATES.filter((s) => summary.jobs[s] > 0).map((s) => `${summary.jobs[s]} ${s}`);
  const left: Segment[] = [
    ...(waiting > 0 ? [{ text: `${waiting} need${waiting === 1 ? 's' : ''} you`, tone: 'alert' as const }] : []),
    { text: `workers ${workerParts.join(' · ')}`, ...(w.down > 0 ? { tone: 'alert' as const } : {}) },
    { text: `jobs ${summary.jobs.total}${jobParts.length > 0 ? `: ${jobParts.join(' · ')}` : ''}` },
  ];
  const priced = workers.filter((worker) => worker.cost).length;
  if (priced > 0 && summary.unpriced === priced) left.push({ text: 'cost unknown' });
  else if (summary.costPerHour > 0 || summary.unpriced > 0) {
    left.push({ text: `${formatHourly(summary.costPerHour)}${summary.unpriced > 0 ? ` (+${summary.unpriced} cost unknown)` : ''}` });
  }
  // Spent so far, from the cost ledger (local calendar): what the hourly figure alone cannot say.
  const spent = state.costSoFar?.fleet;
  if (spent) left.push({ text: `$${spent.today.toFixed(2)} today · $${spent.month.toFixed(2)} month` });
  if (state.costError) left.push({ text: 'cost ledger unreadable (status says why)', tone: 'alert' });
  if (state.unmanagedVms.length > 0) left.push({ text: `${state.unmanagedVms.length} VM${state.unmanagedVms.length === 1 ? '' : 's'} not in config`, tone: 'alert' });
  if (marks > 0) left.push({ text: `${marks} marked` });
  const right: Segment[] = [];
  if (state.configErrors.length > 0) {
    const n = state.configErrors.length;
    right.push({ text: `config: ${n} error${n === 1 ? '' : 's'}, last good one runs`, tone: 'alert' });
  }
  // Freshness of the workers that answer; the ones that are down apart, with when they were last seen.
  const ago = (at: number) => `${formatAge((now - at) / 1000)} ago`;
  if (summary.oldestRefresh !== undefined) right.push({ text: `refreshed ${ago(summary.oldestRefresh)}` });
  else if (w.down === 0) right.push({ text: 'not refreshed yet' });
  if (w.down > 0) right.push({ text: `${w.down} down${summary.downSeenAt === undefined ? '' : `, seen ${ago(summary.downSeenAt)}`}`, tone: 'alert' });
  return { left, right };
}

function fit(segments: readonly Segment[], room: number): Segment[] {
  const shown: Segment[] = [];
  let used = 0;
  for (const segment of segments) {
    const text = `  ${segment.text}`;
    if (used + cellWidth(text) > room) {
      if (room - used > 3) shown.push({ ...segment, text: truncate(text, room - used) });
      break;
    }
    shown.push({ ...segment, text });
    used += cellWidth(text);
  }
  return shown;
}

const width = (segments: readonly Segment[]) => segments.reduce((sum, segment) => sum + cellWidth(segment.text), 0);

/** The top line: fleet summary on the left; time since the last refresh and the read-only badge on the right. */
export function Header({ width: columns }: { readonly width: number }): React.JSX.Element {
  const dashboard = useDashboard();
  const state = useFleet((s) => s);
  const now = useNow();
  const marks = useUi((s) => s.marks.size);
  const { left, right } = useMemo(() => headerSegments(state, now, marks), [state, now, marks]);
  const badge = dashboard.readOnly ? ' READ-ONLY ' : '';
  const title = 'mission-control';
  const rightShown = fit(right, Math.max(0, columns - title.length - badge.length - 1));
  const leftShown = fit(left, Math.max(0, columns - title.length - badge.length - width(rightShown) - 1));
  const fill = ' '.repeat(Math.max(0, columns - title.length - badge.length - width(leftShown) - width(rightShown) - 1));
  const red = dashboard.color ? { color: 'red' as const } : {};
  return (
    <Text wrap="truncate">
      <Text bold>{title}</Text>
      {leftShown.map((segment, index) => (
        <Text key={`l${index}`} {...(segment.tone === 'alert' ? red : {})}>
          {segment.text}
        </Text>
      ))}
      <Text>{fill}</Text>
      {rightShown.map((segment, index) => (
        <Text key={`r${index}`} {...(segment.tone === 'alert' ? red : {})}>
          {segment.text}
        </Text>
      ))}
      <Text> </Text>
      {badge ? (
        <Text inverse bold {...(dashboard.color ? { color: 'yellow' } : {})}>
          {badge}
        </Text>
      ) : null}
    </Text>
  );
}
