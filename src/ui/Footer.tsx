import React from 'react';
import { activeScopes } from './dashboard.js';
import { useDashboard, useFleet, useUi } from './hooks.js';
import { fitHints, hintsFor } from './keys/hints.js';
import { Text } from './Text.js';

/** The bottom line: key hints for what is on screen, generated from the key table; disabled ones dim. */
export function Footer({ width, tooSmall = false }: { readonly width: number; readonly tooSmall?: boolean }): React.JSX.Element {
  const dashboard = useDashboard();
  useFleet((s) => s);
  const state = useUi((s) => s);
  const scopes = tooSmall ? (['global'] as const) : activeScopes(state);
  const all = hintsFor(dashboard.bindings, scopes, dashboard.bindingContext());
  const hints = fitHints(tooSmall ? all.filter((hint) => hint.id === 'quit') : all, width);
  return (
    <Text wrap="truncate">
      {hints.map((hint) => (
        <Text key={hint.id} dimColor={hint.disabled !== undefined}>
          <Text bold={hint.disabled === undefined} {...(hint.disabled === undefined && dashboard.color ? { color: 'cyan' } : {})}>
            {hint.key}
          </Text>
          {` ${hint.label}  `}
        </Text>
      ))}
    </Text>
  );
}
