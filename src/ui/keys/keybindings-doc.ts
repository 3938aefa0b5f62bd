import { BINDINGS, LINE_COMMANDS, SCOPES, SCOPE_TITLES, type Binding } from './bindings.js';
import { displayKey } from './key-names.js';

/** The path of the generated doc, relative to the package root. */
export const KEYBINDINGS_DOC = 'docs/keybindings.md';

const cell = (text: string) => text.replace(/\|/g, '\\|');
const keys = (binding: Binding) => binding.keys.map((key) => `\`${cell(displayKey(key))}\``).join(' ');

function notes(binding: Binding): string {
  if (binding.dangerous) return 'asks first; not in read-only mode';
  if (binding.mutating) return 'not in read-only mode';
  return '';
}

/** docs/keybindings.md, generated from the key table (`npx tsx scripts/gen-keybindings.ts` writes it). */
export function renderKeybindingsDoc(): string {
  const out: string[] = [
    '<!-- Generated from src/ui/keys/bindings.ts by scripts/gen-keybindings.ts. Do not edit: a test fails when it is stale. -->',
    '',
    '# Dashboard keys',
    '',
    "Every key of `mission-control`'s dashboard. The footer and the `?` help overlay are generated from the same table.",
    'In read-only mode (`mission-control watch`, `mission-control --readonly`) the keys that change the fleet do not exist:',
    'they are absent from the footer and the help, and pressing them does nothing.',
    '',
    'Attaching (`enter`) leaves the dashboard for the job\'s tmux session. Detach with `ctrl-q` (bound on mission-control\'s',
    'private tmux server before attaching; another key with `attach: { detachKey: C-] }` in the config, a tmux key name',
    'with ctrl or alt, or a function key) or with the tmux prefix then `d`; the dashboard comes back as it was. A read-only',
    'dashboard attaches as a read-only tmux client and does not bind `ctrl-q` (that would change the tmux server): detach with',
    'the prefix then `d`.',
    '',
  ];
  for (const scope of SCOPES) {
    const rows = BINDINGS.filter((binding) => binding.scope === scope);
    if (rows.length === 0) continue;
    out.push(`## ${SCOPE_TITLES[scope]}`, '', '| Keys | Action | Notes |', '| --- | --- | --- |');
    for (const binding of rows) out.push(`| ${keys(binding)} | ${cell(binding.description)} | ${notes(binding)} |`);
    out.push('');
  }
  out.push('## Command line (`:`)', '', '`tab` completes commands, worker names, job kinds and parameter names.', '', '| Command | Action | Notes |', '| --- | --- | --- |');
  for (const command of LINE_COMMANDS) {
    const names = [command.name, ...command.aliases].map((name) => `\`:${name}\``).join(', ');
    const usage = command.args ? ` \`${cell(command.args)}\`` : '';
    out.push(`| ${names}${usage} | ${cell(command.description)} | ${command.mutating ? 'not in read-only mode' : ''} |`);
  }
  out.push('');
  return out.join('\n');
}
