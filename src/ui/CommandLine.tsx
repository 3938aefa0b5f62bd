import React from 'react';
import { sanitizeLine } from '../text/sanitize.js';
import { useDashboard } from './hooks.js';
import { Text } from './Text.js';

/** The `:` command line being typed, with tab completion's candidates when the completion was ambiguous. */
export function CommandLine({ text, candidates }: { readonly text: string; readonly candidates: readonly string[] }): React.JSX.Element {
  const dashboard = useDashboard();
  const help = candidates.length > 0 ? `  ${candidates.map(sanitizeLine).join('  ')}` : `  tab completes · ${dashboard.lineCommands.map((c) => c.name).join(' ')}`;
  return (
    <Text wrap="truncate">
      <Text bold {...(dashboard.color ? { color: 'cyan' } : {})}>
        :
      </Text>
      {sanitizeLine(text)}
      <Text inverse> </Text>
      <Text dimColor>{help}</Text>
    </Text>
  );
}
