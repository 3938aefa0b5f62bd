/**
 * Writes docs/cli.md from the command table (src/cli/commands.ts). Run from the repository root: `npm run docs:cli`.
 * A test (test/unit/cli-commands.test.ts) fails when the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { CLI_DOC, renderCliDoc } from '../src/cli/command-help.js';

writeFileSync(new URL(`../${CLI_DOC}`, import.meta.url), renderCliDoc());
process.stdout.write(`wrote ${CLI_DOC}\n`);
