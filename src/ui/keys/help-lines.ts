import { pad } from '../../text/format.js';
import { SCOPES, SCOPE_TITLES, type Binding, type BindingContext, type LineCommand } from './bindings.js';
import { displayKey } from './key-names.js';

/** One line of the help. */
export interface HelpLine {
  readonly text: string;
  readonly heading?: boolean;
  readonly disabled?: boolean;
}

/** The help's lines, from the key table of this mode (pure: a read-only table has no mutating row to show). */
export function helpLines(bindings: readonly Binding[], commands: readonly LineCommand[], context: BindingContext): HelpLine[] {
  const lines: HelpLine[] = [];
  for (const scope of SCOPES) {
    const rows = bindings.filter((binding) => binding.scope === scope);
    if (rows.length === 0) continue;
    if (lines.length > 0) lines.push({ text: '' });
    lines.push({ text: SCOPE_TITLES[scope], heading: true });
    for (const binding of rows) {
      const reason = binding.disabledReason?.(context);
      const keys = pad(binding.keys.map(displayKey).join(' '), 22);
      const flag = binding.dangerous ? ' (asks first)' : '';
      lines.push({ text: `  ${keys}${binding.description}${flag}${reason ? `  [now: ${reason}]` : ''}`, disabled: reason !== undefined });
    }
  }
  lines.push({ text: '' }, { text: 'Command line (:)', heading: true });
  for (const command of commands) {
    lines.push({ text: `  ${pad(`:${command.name} ${command.args}`, 34)}${command.description}` });
  }
  return lines;
}

