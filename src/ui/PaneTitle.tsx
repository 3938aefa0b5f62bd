import React from 'react';
import { cellWidth, truncate } from '../text/format.js';
import { useDashboard } from './hooks.js';
import { Text } from './Text.js';

/** A pane's title line: `─ Jobs 12 of 300 ─ filter: x ──────`, bright when the pane has focus. */
export function PaneTitle({ text, focused, width }: { readonly text: string; readonly focused: boolean; readonly width: number }): React.JSX.Element {
  const dashboard = useDashboard();
  const label = truncate(`─ ${text} `, width);
  const rule = '─'.repeat(Math.max(0, width - cellWidth(label)));
  return (
    <Text wrap="truncate" bold={focused} dimColor={!focused} {...(focused && dashboard.color ? { color: 'cyan' } : {})}>
      {label}
      {rule}
    </Text>
  );
}
