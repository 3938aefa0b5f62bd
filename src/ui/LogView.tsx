import { Box } from 'ink';
import React from 'react';
import { formatAge } from '../text/format.js';
import { sanitizeLine } from '../text/sanitize.js';
import { useFeeds, useNow } from './hooks.js';
import { PaneTitle } from './PaneTitle.js';
import { clamp } from './state/selection.js';
import { Text } from './Text.js';

/** The full-screen log of one job (`l`): the tail of its output log, following it as it grows unless scrolled up. */
export function LogView({
  jobKey,
  follow,
  scroll,
  width,
  lines,
}: {
  readonly jobKey: string;
  readonly follow: boolean;
  readonly scroll: number;
  readonly width: number;
  readonly lines: number;
}): React.JSX.Element {
  const feed = useFeeds((s) => s.log);
  const now = useNow();
  const text = feed?.jobKey === jobKey ? feed.lines : [];
  const offset = clamp(scroll, 0, Math.max(0, text.length - lines));
  const end = text.length - offset;
  const shown = text.slice(Math.max(0, end - lines), end);
  const state = follow ? 'following' : offset > 0 ? `${offset} lines up, G follows` : 'paused, f follows';
  const age = feed?.jobKey === jobKey ? ` ─ changed ${formatAge((now - feed.at) / 1000)} ago` : ' ─ reading…';
  const rows: React.JSX.Element[] = shown.map((line, index) => (
    <Text key={index} wrap="truncate" keepColor>
      {line === '' ? ' ' : line}
    </Text>
  ));
  if (feed?.jobKey === jobKey && feed.error) {
    if (rows.length >= lines) rows.shift();
    rows.push(
      <Text key="error" dimColor wrap="truncate">
        {`could not read the log: ${feed.error}`}
      </Text>,
    );
  }
  if (feed?.jobKey === jobKey && text.length === 0 && !feed.error) rows.push(<Text key="empty" dimColor>the log is empty</Text>);
  while (rows.length < lines) rows.push(<Text key={`pad-${rows.length}`}> </Text>);
  return (
    <Box flexDirection="column" width={width} height={lines + 1}>
      <PaneTitle text={`Log ─ ${sanitizeLine(jobKey)} ─ ${state}${age}`} focused width={width} />
      {rows}
    </Box>
  );
}
