import { useInput } from 'ink';
import { useCallback } from 'react';
import { useDashboard } from './hooks.js';
import { dispatchInput } from './keys/dispatch.js';

/** Listens to the keyboard and routes every key through the key table. Draws nothing. */
export function KeyRouter({ tooSmall = false }: { readonly tooSmall?: boolean }): null {
  const dashboard = useDashboard();
  const onKey = useCallback<Parameters<typeof useInput>[0]>(
    (input, key) => {
      dispatchInput(dashboard, input, key, { tooSmall });
    },
    [dashboard, tooSmall],
  );
  useInput(onKey);
  return null;
}
