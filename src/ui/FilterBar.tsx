import React from 'react';
import { sanitizeLine } from '../text/sanitize.js';
import { useDashboard } from './hooks.js';
import { parseFilter } from './state/job-rows.js';
import { Text } from './Text.js';

/** A reply being typed to a job (`i`): sent to its pane, then Enter, on enter. */
export function ReplyLine({ text, to }: { readonly text: string; readonly to: string }): React.JSX.Element {
  const dashboard = useDashboard();
  return (
    <Text wrap="truncate">
      <Text bold {...(dashboard.color ? { color: 'cyan' } : {})}>
        {`reply to ${sanitizeLine(to)} › `}
      </Text>
      {sanitizeLine(text)}
      <Text inverse> </Text>
      <Text dimColor>{'  enter sends it, then Enter · esc cancels'}</Text>
    </Text>
  );
}

/** The `/` filter being typed: text matches as a substring, `/regex/` as a regular expression, `!` inverts. */
export function FilterBar({ text }: { readonly text: string }): React.JSX.Element {
  const dashboard = useDashboard();
  const error = parseFilter(text).error;
  const mode = text.trim().replace(/^!/, '').startsWith('/') ? 'regex' : 'text';
  return (
    <Text wrap="truncate">
      <Text bold {...(dashboard.color ? { color: 'cyan' } : {})}>
        /
      </Text>
      {sanitizeLine(text)}
      <Text inverse> </Text>
      <Text dimColor>{`  ${mode}${text.trim().startsWith('!') ? ', inverted' : ''} · enter keeps it · esc clears`}</Text>
      {error ? <Text {...(dashboard.color ? { color: 'red' } : {})}>{`  ${error}`}</Text> : null}
    </Text>
  );
}
