import { Box } from 'ink';
import React from 'react';
import { pad } from '../text/format.js';
import { sanitizeLine } from '../text/sanitize.js';
import { useDashboard } from './hooks.js';
import type { LaunchFormState } from './state/ui-types.js';
import { Text } from './Text.js';

/** The `n` form: the job kind, the worker (or placement), and the kind's parameters, checked before launching. */
export function LaunchForm({ form, width, lines }: { readonly form: LaunchFormState; readonly width: number; readonly lines: number }): React.JSX.Element {
  const dashboard = useDashboard();
  const kind = dashboard.kinds[form.kindIndex];
  const accent = dashboard.color ? { color: 'cyan' as const } : {};
  const field = (index: number, label: string, value: string, note: string, choice: boolean) => {
    const focused = form.field === index;
    const shown = choice ? `‹ ${value} ›` : `${value}${focused ? '█' : ''}`;
    return (
      <Text key={label} wrap="truncate">
        <Text bold={focused} {...(focused ? accent : {})}>
          {`${focused ? '›' : ' '} ${pad(label, 10)}`}
        </Text>
        <Text inverse={focused && choice}>{shown}</Text>
        <Text dimColor>{`   ${note}`}</Text>
      </Text>
    );
  };
  const rows = [
    field(0, 'kind', kind?.name ?? '-', kind?.description ?? 'no job kinds configured', true),
    field(1, 'worker', form.worker ? sanitizeLine(form.worker) : 'auto', form.worker ? 'this worker' : 'placement picks a ready worker with room', true),
    ...(kind?.params ?? []).map((param, index) =>
      field(index + 2, param.name, sanitizeLine(form.params[param.name] ?? ''), `${param.description}${param.required ? '' : ' (optional)'}`, false),
    ),
  ];
  return (
    <Box flexDirection="column" width={width} height={lines} borderStyle="round" {...(dashboard.color ? { borderColor: 'cyan' } : {})} paddingX={1}>
      <Text bold>New job</Text>
      <Text> </Text>
      {rows.slice(0, Math.max(1, lines - 6))}
      <Text {...(dashboard.color ? { color: 'red' } : {})} wrap="truncate">
        {form.error ? sanitizeLine(form.error) : ' '}
      </Text>
      <Text dimColor wrap="truncate">
        enter launch · tab/↑↓ field · ←/→ choose · esc cancel
      </Text>
    </Box>
  );
}
