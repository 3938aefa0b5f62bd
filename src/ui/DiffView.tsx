import { Box } from 'ink';
import React from 'react';
import { sanitizeLine } from '../text/sanitize.js';
import { useFeeds } from './hooks.js';
import { PaneTitle } from './PaneTitle.js';
import { clamp } from './state/selection.js';
import { Text } from './Text.js';

/**
 * The full-screen diff of one job (`d`): what it changed in its worktree since it started, the stat first, then the
 * patch with git's colours (sanitized by the feed), read once when the view opens and scrolled from the top.
 */
export function DiffView({
  jobKey,
  scroll,
  width,
  lines,
}: {
  readonly jobKey: string;
  readonly scroll: number;
  readonly width: number;
  readonly lines: number;
}): React.JSX.Element {
  const feed = useFeeds((s) => s.diff);
  const mine = feed?.jobKey === jobKey ? feed : undefined;
  const text = mine?.lines ?? [];
  const top = clamp(scroll, 0, Math.max(0, text.length - lines));
  const rows: React.JSX.Element[] = text.slice(top, top + lines).map((line, index) => (
    <Text key={index} wrap="truncate" keepColor>
      {line === '' ? ' ' : line}
    </Text>
  ));
  if (mine?.error) {
    if (rows.length >= lines) rows.pop();
    rows.push(
      <Text key="error" dimColor wrap="truncate">
        {`could not read the diff: ${mine.error}`}
      </Text>,
    );
  }
  const where = mine === undefined ? 'reading…' : text.length > lines ? `lines ${top + 1}-${Math.min(text.length, top + lines)} of ${text.length}` : `${text.length} lines`;
  while (rows.length < lines) rows.push(<Text key={`pad-${rows.length}`}> </Text>);
  return (
    <Box flexDirection="column" width={width} height={lines + 1}>
      <PaneTitle text={`Diff ─ ${sanitizeLine(jobKey)} ─ ${where}`} focused width={width} />
      {rows}
    </Box>
  );
}
