import type { Key } from 'ink';
import { HANDLERS, insertText } from '../actions/handlers.js';
import { activeScopes, type Dashboard } from '../dashboard.js';
import { findBinding, type Binding } from './bindings.js';
import { isText, keyNames, textOf, type KeyName } from './key-names.js';

/** What a key press did: ran a binding, was refused with a reason, was typed into an input, or nothing. */
export type KeyOutcome =
  | { readonly type: 'ran'; readonly binding: Binding }
  | { readonly type: 'disabled'; readonly binding: Binding; readonly reason: string }
  | { readonly type: 'typed' }
  | { readonly type: 'ignored' };

/**
 * Routes what Ink read (one key, or a run of characters read at once: each is its own key) and returns what
 * each key did.
 */
export function dispatchInput(dashboard: Dashboard, input: string, key: Key, options: { tooSmall?: boolean } = {}): KeyOutcome[] {
  return keyNames(input, key).map((name) => dispatchKey(dashboard, name, options));
}

/**
 * Routes one key press: key → binding table (in the scopes live on screen) → command. Keys that match no
 * binding are text for an open input line or form field. A disabled binding says why in the notice line.
 * Below the minimum size only the quit keys work.
 */
export function dispatchKey(dashboard: Dashboard, name: KeyName, options: { tooSmall?: boolean } = {}): KeyOutcome {
  const state = dashboard.ui.getState();
  const scopes = options.tooSmall ? (['always'] as const) : activeScopes(state);
  const binding = findBinding(dashboard.bindings, name, scopes) ?? (options.tooSmall && name === 'q' ? findBinding(dashboard.bindings, name, ['global']) : undefined);
  if (binding) {
    const reason = binding.disabledReason?.(dashboard.bindingContext());
    if (reason !== undefined) {
      state.notify(`${binding.description.replace(/ \(.*\)$/, '')}: ${reason}`, 'error');
      return { type: 'disabled', binding, reason };
    }
    HANDLERS[binding.id](dashboard);
    return { type: 'ran', binding };
  }
  const typing = state.input !== undefined || state.overlay.kind === 'launch';
  if (typing && !options.tooSmall && isText(name)) {
    insertText(dashboard, textOf(name));
    return { type: 'typed' };
  }
  return { type: 'ignored' };
}
