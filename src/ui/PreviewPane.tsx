import { Box } from 'ink';
import React from 'react';
import { sanitizeLine } from '../text/sanitize.js';
import { useDashboard, useFeeds, useFleet, useNow, useUi } from './hooks.js';
import { PaneTitle } from './PaneTitle.js';
import { resolveCursor } from './state/selection.js';
import { STATE_COLOURS, stateWithGlyph } from './theme.js';
import { Text } from './Text.js';
import { WorkerDetail } from './WorkerDetail.js';

/**
 * The selected job's screen: the last lines of its pane capture (fetched by the preview feed for this job only),
 * sanitized with colours kept (or stripped under NO_COLOR). Drawn bottom-aligned, like the terminal it mirrors.
 * While the workers pane is focused, the selected worker in full instead ({@link WorkerDetail}).
 */
export function PreviewPane({ width, lines }: { readonly width: number; readonly lines: number }): React.JSX.Element {
  const workersFocused = useUi((s) => s.focus === 'workers');
  return workersFocused ? <WorkerDetail width={width} lines={lines} /> : <JobPreview width={width} lines={lines} />;
}

function JobPreview({ width, lines }: { readonly width: number; readonly lines: number }): React.JSX.Element {
  const dashboard = useDashboard();
  const fleet = useFleet((s) => s);
  const now = useNow();
  const query = useUi((s) => s);
  const preview = useFeeds((s) => s.preview);
  const { jobs, keys } = dashboard.rowsOf(fleet, query, now);
  const job = jobs[resolveCursor(keys, query.selectedJobKey, query.jobCursor)];
  const feed = job && preview?.jobKey === job.key ? preview : undefined;
  let title = 'Preview';
  let body: readonly string[] = [];
  let note: string | undefined;
  // A job waiting for the user says what it asks above its screen, where the eye lands first.
  const prompt = job?.state === 'waiting' ? `${stateWithGlyph('waiting')}: ${sanitizeLine(job.reason)}` : undefined;
  const room = prompt === undefined ? lines : Math.max(0, lines - 1);
  if (!job) {
    note = 'no job selected';
  } else {
    title = `Preview ─ ${sanitizeLine(job.key)}`;
    if (!job.paneId) note = 'the job has no tmux pane (its session has ended): press l for its log';
    else if (!feed) note = 'capturing…';
    else {
      body = trimBlankEnd(feed.lines).slice(-room);
      if (feed.error) note = `capture failed: ${feed.error}`;
    }
  }
  const rows: React.JSX.Element[] = body.map((line, index) => (
    <Text key={index} wrap="truncate" keepColor>
      {line === '' ? ' ' : line}
    </Text>
  ));
  if (note !== undefined) {
    if (rows.length >= room) rows.shift();
    rows.push(
      <Text key="note" dimColor wrap="truncate">
        {note}
      </Text>,
    );
  }
  while (rows.length < room) rows.unshift(<Text key={`pad-${rows.length}`}> </Text>);
  if (prompt !== undefined && lines > 0) {
    rows.unshift(
      <Text key="prompt" wrap="truncate" bold {...(dashboard.color ? { color: STATE_COLOURS.waiting } : {})}>
        {prompt}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" width={width} height={lines + 1} overflow="hidden">
      <PaneTitle text={title} focused={false} width={width} />
      {rows}
    </Box>
  );
}

function trimBlankEnd(lines: readonly string[]): readonly string[] {
  let end = lines.length;
  while (end > 0 && (lines[end - 1] ?? '').replace(/\x1b\[[0-9;:]*m/g, '').trim() === '') end -= 1;
  return lines.slice(0, end);
}
