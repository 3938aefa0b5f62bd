import { Box } from 'ink';
import React from 'react';
import { useShallow } from 'zustand/react/shallow';
import { jobStateLabel } from '../cli/status-report.js';
import { jobLabel } from '../state/job-target.js';
import { kindLabel } from '../state/selectors.js';
import type { Job } from '../state/types.js';
import { formatAge, pad } from '../text/format.js';
import { sanitizeLine } from '../text/sanitize.js';
import { useDashboard, useFleet, useNow, useUi } from './hooks.js';
import { PaneTitle } from './PaneTitle.js';
import { attentionReason } from './state/job-rows.js';
import { resolveCursor, scrollTop } from './state/selection.js';
import type { SortKey } from './state/ui-types.js';
import { STATE_COLOURS, stateWithGlyph, tint } from './theme.js';
import { Text } from './Text.js';

interface Columns {
  readonly id: number;
  readonly worker: number;
  readonly kind: number;
  readonly state: number;
  readonly age: number;
  readonly output: number;
  readonly command: number;
}

function columnsFor(width: number): Columns {
  const wide = width >= 110;
  const id = wide ? 26 : 14;
  const worker = wide ? 14 : 8;
  const kind = wide ? 12 : 8;
  const state = wide ? 17 : 15;
  const age = wide ? 6 : 5;
  const output = 6;
  const used = 2 + id + worker + kind + state + age + output + 6;
  return { id, worker, kind, state, age, output, command: Math.max(0, width - used) };
}

const SORT_COLUMNS: Partial<Record<SortKey, keyof Columns>> = { id: 'id', worker: 'worker', kind: 'kind', state: 'state', age: 'age', output: 'output' };

/** The column header line, with an arrow on the sorted column (pure). */
export function jobsHeader(width: number, sort: { key: SortKey; descending: boolean }): string {
  const c = columnsFor(width);
  const arrow = sort.descending ? '↓' : '↑';
  const mark = (key: keyof Columns, label: string) => (SORT_COLUMNS[sort.key] === key ? `${label}${arrow}` : label);
  return [
    '  ' + pad(mark('id', 'JOB'), c.id),
    pad(mark('worker', 'WORKER'), c.worker),
    pad(mark('kind', 'KIND'), c.kind),
    pad(mark('state', 'STATE'), c.state),
    pad(mark('age', 'FOR'), c.age, 'right'),
    pad(mark('output', 'OUTPUT'), c.output, 'right'),
    pad('COMMAND', c.command),
  ].join(' ');
}

/** One job as a line of text; every remote string sanitized (pure). A waiting job's row shows what it asks. */
export function jobLine(job: Job, width: number, now: number, marked: boolean): string {
  const c = columnsFor(width);
  const attention = attentionReason(job, now) !== undefined;
  const outputAge = job.lastOutputAt === undefined ? undefined : now / 1000 + job.clockSkew - job.lastOutputAt;
  return [
    (marked ? '*' : ' ') + (attention ? '!' : ' ') + pad(sanitizeLine(jobLabel(job)), c.id),
    pad(sanitizeLine(job.worker), c.worker),
    pad(sanitizeLine(kindLabel(job)), c.kind),
    pad(stateWithGlyph(job.state, jobStateLabel(job)), c.state),
    pad(formatAge((now - job.since) / 1000), c.age, 'right'),
    pad(formatAge(outputAge), c.output, 'right'),
    pad(sanitizeLine(job.state === 'waiting' ? job.reason : job.command.join(' ')), c.command),
  ].join(' ');
}

/**
 * The jobs table: only the rows that fit are rendered, whatever the fleet's size. Rows needing attention are
 * flagged `!` and coloured; marked rows `*`; the selected row is inverse while the pane has focus.
 */
export function JobsTable({ width, rows }: { readonly width: number; readonly rows: number }): React.JSX.Element {
  const dashboard = useDashboard();
  const fleet = useFleet((s) => s);
  const now = useNow();
  const ui = useUi(
    useShallow((s) => ({
      filter: s.filter,
      workerFilter: s.workerFilter,
      attentionOnly: s.attentionOnly,
      sort: s.sort,
      selectedJobKey: s.selectedJobKey,
      jobCursor: s.jobCursor,
      jobsTop: s.jobsTop,
      marks: s.marks,
      focused: s.focus === 'jobs' && s.overlay.kind === 'none',
    })),
  );
  const { jobs, keys, filterError } = dashboard.rowsOf(fleet, ui, now);
  const cursor = resolveCursor(keys, ui.selectedJobKey, ui.jobCursor);
  const top = scrollTop(ui.jobsTop, cursor, rows, jobs.length);
  const visible = jobs.slice(top, top + rows);
  const lines = visible.map((job, index) => {
    const selected = top + index === cursor;
    const attention = attentionReason(job, now) !== undefined;
    const colour = attention || job.state === 'running' || job.state === 'idle' || job.state === 'working' ? tint(dashboard.color, STATE_COLOURS[job.state]) : undefined;
    return (
      <Text key={job.key} wrap="truncate" inverse={selected && ui.focused} bold={selected && !ui.focused} {...(colour ? { color: colour } : {})}>
        {jobLine(job, width, now, ui.marks.has(job.key))}
      </Text>
    );
  });
  const total = fleet.workerOrder.reduce((sum, name) => sum + (fleet.jobsByWorker[name]?.length ?? 0), 0);
  if (lines.length === 0) {
    const empty = total === 0 ? 'no jobs yet: press n to launch one' : 'no job matches (esc clears the filters)';
    lines.push(
      <Text key="empty" dimColor>
        {dashboard.readOnly && total === 0 ? 'no jobs' : empty}
      </Text>,
    );
  }
  while (lines.length < rows) lines.push(<Text key={`pad-${lines.length}`}> </Text>);
  const title = [
    `Jobs ${jobs.length === total ? total : `${jobs.length} of ${total}`}`,
    jobs.length > rows ? `rows ${top + 1}-${top + visible.length}` : '',
    ui.workerFilter !== undefined ? `worker: ${sanitizeLine(ui.workerFilter)}` : '',
    ui.filter !== '' ? `filter: ${sanitizeLine(ui.filter)}${filterError ? ' (not a regex: as text)' : ''}` : '',
    ui.attentionOnly ? 'needing attention' : '',
    ui.sort.key !== 'natural' || ui.sort.descending ? `sort: ${ui.sort.key}${ui.sort.descending ? ' ↓' : ''}` : '',
  ]
    .filter((part) => part !== '')
    .join(' ─ ');
  return (
    <Box flexDirection="column" width={width} height={rows + 2}>
      <PaneTitle text={title} focused={ui.focused} width={width} />
      <Text dimColor wrap="truncate">
        {jobsHeader(width, ui.sort)}
      </Text>
      {lines}
    </Box>
  );
}
