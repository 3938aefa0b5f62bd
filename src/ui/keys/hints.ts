import { cellWidth } from '../../text/format.js';
import type { Binding, BindingContext, Scope } from './bindings.js';
import { displayKey } from './key-names.js';

/** One footer hint: the key, its one-word label, and why it is disabled (drawn dim) if it is. */
export interface Hint {
  readonly id: Binding['id'];
  readonly key: string;
  readonly label: string;
  readonly disabled: string | undefined;
}

/** The hints of the live scopes, most specific scope first, in table order within a scope. */
export function hintsFor(table: readonly Binding[], scopes: readonly Scope[], context: BindingContext): Hint[] {
  const seen = new Set<string>();
  const hints: Hint[] = [];
  for (const scope of scopes) {
    for (const binding of table) {
      if (binding.scope !== scope || binding.hint === undefined) continue;
      const key = binding.keys[0];
      if (key === undefined || seen.has(key)) continue;
      seen.add(key);
      hints.push({ id: binding.id, key: displayKey(key), label: binding.hint, disabled: binding.disabledReason?.(context) });
    }
  }
  return hints;
}

/** The width a hint takes in the footer (`key label` and the gap after it). */
export function hintWidth(hint: Hint): number {
  return cellWidth(hint.key) + 1 + cellWidth(hint.label) + 2;
}

/** Hints that are always shown, at the end of the footer, however narrow the terminal. */
const ESSENTIAL: ReadonlySet<string> = new Set(['help', 'quit', 'help-close', 'log-close', 'confirm-yes', 'confirm-no', 'input-cancel', 'launch-cancel']);

/**
 * The hints that fit in `width` cells: the essential ones (help, quit, the way back) always, at the end; the
 * others in order, the last ones dropped until the rest fits.
 */
export function fitHints(hints: readonly Hint[], width: number): Hint[] {
  const tail = hints.filter((hint) => ESSENTIAL.has(hint.id));
  const head = hints.filter((hint) => !ESSENTIAL.has(hint.id));
  const total = (list: readonly Hint[]) => list.reduce((sum, hint) => sum + hintWidth(hint), 0);
  while (head.length > 0 && total(head) + total(tail) > width) head.pop();
  return [...head, ...tail];
}
