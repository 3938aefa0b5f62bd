/**
 * Writes docs/keybindings.md from the key table (src/ui/keys/bindings.ts). Run from the repository root:
 * `npx tsx scripts/gen-keybindings.ts`. A test (test/ui/keybindings-doc.test.ts) fails when the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { KEYBINDINGS_DOC, renderKeybindingsDoc } from '../src/ui/keys/keybindings-doc.js';

const target = new URL(`../${KEYBINDINGS_DOC}`, import.meta.url);
writeFileSync(target, renderKeybindingsDoc());
process.stdout.write(`wrote ${KEYBINDINGS_DOC}\n`);
