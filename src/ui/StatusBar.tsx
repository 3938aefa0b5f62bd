import React from 'react';
import { CommandLine } from './CommandLine.js';
import { FilterBar, ReplyLine } from './FilterBar.js';
import { useDashboard, useNow, useUi } from './hooks.js';
import { Text } from './Text.js';

/** How long a notice stays on the status line. */
export const NOTICE_MS = 8000;

/**
 * The status line above the footer: the input being typed, else the operations in progress (each with its
 * latest step), else the last notice for a few seconds.
 */
export function StatusBar(): React.JSX.Element {
  const dashboard = useDashboard();
  const input = useUi((s) => s.input);
  const operations = useUi((s) => s.operations);
  const notice = useUi((s) => s.notice);
  // The clock's tick redraws the line; the notice's age is measured on the same clock it was stamped with.
  useNow();
  if (input?.kind === 'filter') return <FilterBar text={input.text} />;
  if (input?.kind === 'command') return <CommandLine text={input.text} candidates={input.candidates} />;
  if (input?.kind === 'reply') return <ReplyLine text={input.text} to={input.target?.key ?? ''} />;
  const running = operations.filter((op) => op.status === 'running');
  if (running.length > 0) {
    const [first] = running;
    const more = running.length > 1 ? ` (+${running.length - 1} more running)` : '';
    return (
      <Text wrap="truncate" {...(dashboard.color ? { color: 'yellow' } : {})}>
        {`… ${first?.label}: ${first?.step}${more}`}
      </Text>
    );
  }
  if (notice && Date.now() - notice.at < NOTICE_MS) {
    return (
      <Text wrap="truncate" {...(notice.tone === 'error' && dashboard.color ? { color: 'red' } : {})}>
        {notice.text}
      </Text>
    );
  }
  return <Text> </Text>;
}
