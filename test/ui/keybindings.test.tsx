import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../src/ui/actions/handlers.js';
import { activeScopes } from '../../src/ui/dashboard.js';
import { BINDINGS, COMMAND_IDS, LINE_COMMANDS, SCOPES, bindingsFor } from '../../src/ui/keys/bindings.js';
import { fitHints, hintsFor } from '../../src/ui/keys/hints.js';
import { KEYBINDINGS_DOC, renderKeybindingsDoc } from '../../src/ui/keys/keybindings-doc.js';
import { testDashboard } from './fixtures.js';
import { KEYS, renderDashboard, type Rendered } from './render.js';

let mounted: Rendered | undefined;
afterEach(() => mounted?.unmount());

describe('the key table', () => {
  it('is what docs/keybindings.md says (regenerate with `npx tsx scripts/gen-keybindings.ts`)', () => {
    const doc = readFileSync(new URL(`../../${KEYBINDINGS_DOC}`, import.meta.url), 'utf8');
    expect(doc).toBe(renderKeybindingsDoc());
  });

  it('gives every command a key, a description and a handler, and every binding a known command', () => {
    for (const id of COMMAND_IDS) {
      const binding = BINDINGS.find((b) => b.id === id);
      expect(binding, `command ${id} has no binding`).toBeDefined();
      expect(binding?.keys.length, `command ${id} has no key`).toBeGreaterThan(0);
      expect(binding?.description.trim(), `command ${id} has no description`).not.toBe('');
      expect(typeof HANDLERS[id], `command ${id} has no handler`).toBe('function');
    }
    expect(BINDINGS.map((b) => b.id).sort()).toEqual([...COMMAND_IDS].sort());
    expect(Object.keys(HANDLERS).sort()).toEqual([...COMMAND_IDS].sort());
    for (const command of LINE_COMMANDS) expect(command.description.trim(), `:${command.name}`).not.toBe('');
  });

  it('never gives one key two meanings where both scopes are live at once', () => {
    const stacks = [
      ['jobs', 'list', 'global', 'always'],
      ['workers', 'list', 'global', 'always'],
      ['log', 'always'],
      ['help', 'always'],
      ['confirm', 'always'],
      ['command', 'input', 'always'],
      ['launch', 'always'],
    ];
    for (const stack of stacks) {
      const seen = new Map<string, string>();
      for (const binding of BINDINGS.filter((b) => stack.includes(b.scope))) {
        for (const key of binding.keys) {
          expect(seen.get(key), `${key} is both ${seen.get(key)} and ${binding.id} in ${stack.join('+')}`).toBeUndefined();
          seen.set(key, binding.id);
        }
      }
    }
    expect(new Set(BINDINGS.map((b) => b.scope))).toEqual(new Set(SCOPES));
  });

  it('marks every dangerous binding as mutating, and keeps them all out of the read-only table', () => {
    for (const binding of BINDINGS.filter((b) => b.dangerous)) expect(binding.mutating).toBe(true);
    expect(bindingsFor(true).filter((b) => b.mutating || b.dangerous)).toEqual([]);
    expect(bindingsFor(true).map((b) => b.id)).toEqual(BINDINGS.filter((b) => !b.mutating).map((b) => b.id));
  });
});

describe('footer hints', () => {
  it('are the table hints of the live scopes, in table order', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 200, 40);
    const last = mounted.screen().split('\n').at(-1)?.trimEnd();
    const hints = fitHints(hintsFor(dashboard.bindings, activeScopes(dashboard.ui.getState()), dashboard.bindingContext()), 200);
    expect(last).toBe(hints.map((h) => `${h.key} ${h.label}`).join('  '));
    expect(last).toBe('enter attach  l log  space mark  s stop  x remove  i reply  y approve  d diff  n new  / filter  : cmd  r refresh  a attention  tab pane  ? help  q quit');

    await mounted.press(KEYS.tab);
    expect(mounted.screen().split('\n').at(-1)?.trimEnd()).toBe(
      'enter jobs  p provision  S start/stop  Z suspend  R rebuild  n new  / filter  : cmd  r refresh  a attention  tab pane  ? help  q quit',
    );
    await mounted.press('?');
    expect(mounted.screen().split('\n').at(-1)?.trimEnd()).toBe('esc close');
  });

  it('show why a key is disabled, and pressing it says so', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press(KEYS.tab, 'p');
    expect(mounted.screen()).toContain("Provision the worker's machine: this machine is not managed by mission-control");
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
  });

  it('disable the actions a build without the jobs module lacks, with that reason', async () => {
    const { recordingObserve } = await import('./fixtures.js');
    const dashboard = testDashboard({ access: { readOnly: false, commands: recordingObserve(), mutationsUnavailable: 'not available in this build' } });
    mounted = await renderDashboard(dashboard, 120, 30);
    const footer = hintsFor(dashboard.bindings, activeScopes(dashboard.ui.getState()), dashboard.bindingContext());
    expect(footer.filter((h) => h.disabled).map((h) => `${h.key} ${h.disabled}`)).toEqual([
      's not available in this build',
      'x not available in this build',
      'i not available in this build',
      'y not available in this build',
      'n not available in this build',
    ]);
    await mounted.press('s');
    expect(mounted.screen()).toContain('Stop the marked jobs, or the selected one: not available in this build');
    await mounted.press('n');
    expect(mounted.screen()).toContain('Launch a new job: not available in this build');
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
  });
});

describe('keys read in one chunk', () => {
  it('are each their own key: a key repeat, typing ahead of a frame, a paste', async () => {
    const dashboard = testDashboard();
    mounted = await renderDashboard(dashboard, 120, 30);
    await mounted.press('jj');
    expect(dashboard.selectedJob()?.id).toBe('14-ready');
    await mounted.press('/rev\r');
    expect(dashboard.ui.getState()).toMatchObject({ filter: 'rev', input: undefined });
    await mounted.press('j\r');
    expect(dashboard.requests).toEqual(['attach gpu-1/15-review']);
    await mounted.press('\x1bx');
    expect(dashboard.ui.getState().overlay.kind).toBe('none');
  });
});
