import { Box } from 'ink';
import React from 'react';
import { workerDetailLines } from '../cli/worker-detail.js';
import { sanitizeLine } from '../text/sanitize.js';
import { useFeeds, useFleet, useNow, useUi } from './hooks.js';
import { PaneTitle } from './PaneTitle.js';
import { resolveCursor } from './state/selection.js';
import { Text } from './Text.js';

/**
 * The selected worker in full, in the preview's place while the workers pane is focused (like k9s' describe):
 * the same text as `mission-control status WORKER`, wrapped to the pane.
 */
export function WorkerDetail({ width, lines }: { readonly width: number; readonly lines: number }): React.JSX.Element {
  const order = useFleet((s) => s.workerOrder);
  const workers = useFleet((s) => s.workers);
  const jobsByWorker = useFleet((s) => s.jobsByWorker);
  const now = useNow();
  const selected = useUi((s) => s.selectedWorker);
  const hint = useUi((s) => s.workerCursor);
  const name = order[resolveCursor(order, selected, hint)];
  const worker = name === undefined ? undefined : workers[name];
  const feed = useFeeds((s) => s.containerLog);
  const log = worker?.container?.exists && feed?.jobKey === worker.name ? feed : undefined;
  const containerLog = log ? (log.error ? { error: log.error } : { lines: trimEnd(log.lines) }) : undefined;
  const costSoFar = useFleet((s) => (name === undefined ? undefined : s.costSoFar?.workers[name]));
  const costError = useFleet((s) => s.costError);
  const text = worker
    ? workerDetailLines({ worker, jobs: jobsByWorker[worker.name] ?? [], containerLog, costSoFar, costError, now, width })
    : ['no worker selected'];
  const rows = text.slice(0, lines).map((line, index) => (
    <Text key={index} wrap="truncate">
      {line === '' ? ' ' : line}
    </Text>
  ));
  while (rows.length < lines) rows.push(<Text key={`pad-${rows.length}`}> </Text>);
  return (
    <Box flexDirection="column" width={width} height={lines + 1} overflow="hidden">
      <PaneTitle text={worker ? `Worker ─ ${sanitizeLine(worker.name)}` : 'Worker'} focused={false} width={width} />
      {rows}
    </Box>
  );
}

function trimEnd(lines: readonly string[]): readonly string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1] === '') end -= 1;
  // The feed kept colours; the detail is plain text (its sanitizer would show an escape as a mark).
  return lines.slice(0, end).map((line) => line.replace(/\x1b\[[0-9;:]*m/g, ''));
}
