import { Box } from 'ink';
import React from 'react';
import { useDashboard, useFleet, useUi } from './hooks.js';
import { helpLines } from './keys/help-lines.js';
import { PaneTitle } from './PaneTitle.js';
import { clamp } from './state/selection.js';
import { Text } from './Text.js';

/** The `?` overlay: every key of this mode, by scope, with what it does and why it is disabled right now. */
export function HelpOverlay({ width, lines }: { readonly width: number; readonly lines: number }): React.JSX.Element {
  const dashboard = useDashboard();
  useFleet((s) => s);
  const overlay = useUi((s) => s.overlay);
  const all = helpLines(dashboard.bindings, dashboard.lineCommands, dashboard.bindingContext());
  const scroll = clamp(overlay.kind === 'help' ? overlay.scroll : 0, 0, Math.max(0, all.length - lines));
  const shown = all.slice(scroll, scroll + lines);
  const title = `Keys${dashboard.readOnly ? ' (read-only: nothing here changes the fleet)' : ''}${all.length > lines ? ` ─ ${scroll + 1}-${scroll + shown.length} of ${all.length}, j/k scroll` : ''}`;
  return (
    <Box flexDirection="column" width={width} height={lines + 1}>
      <PaneTitle text={title} focused width={width} />
      {shown.map((line, index) => (
        <Text key={index} wrap="truncate" bold={line.heading ?? false} dimColor={line.disabled ?? false}>
          {line.text === '' ? ' ' : line.text}
        </Text>
      ))}
      {Array.from({ length: lines - shown.length }, (_, index) => (
        <Text key={`pad-${index}`}> </Text>
      ))}
    </Box>
  );
}
