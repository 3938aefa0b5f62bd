import { Box } from 'ink';
import React from 'react';
import { truncate } from '../text/format.js';
import { useDashboard } from './hooks.js';
import type { ConfirmRequest } from './state/ui-types.js';
import { Text } from './Text.js';

/** A dangerous action waiting for `y`: its title, exactly which jobs or worker, and what will happen to them. */
export function ConfirmDialog({ request, width, lines }: { readonly request: ConfirmRequest; readonly width: number; readonly lines: number }): React.JSX.Element {
  const dashboard = useDashboard();
  const inner = Math.max(10, width - 4);
  const body = request.lines.slice(0, Math.max(1, lines - 6));
  return (
    <Box flexDirection="column" width={width} height={lines} borderStyle="round" {...(dashboard.color ? { borderColor: 'red' } : {})} paddingX={1}>
      <Text bold wrap="truncate">
        {truncate(request.title, inner)}
      </Text>
      <Text> </Text>
      {body.map((line, index) => (
        <Text key={index} wrap="truncate">
          {truncate(line, inner)}
        </Text>
      ))}
      <Text> </Text>
      <Text wrap="truncate">
        <Text bold {...(dashboard.color ? { color: 'red' } : {})}>
          y
        </Text>
        {` ${request.confirmLabel}   `}
        <Text bold>n</Text>
        {' / '}
        <Text bold>esc</Text>
        {' cancel'}
      </Text>
    </Box>
  );
}
