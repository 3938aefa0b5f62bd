import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AgentName } from '../../src/agents/schema.js';

/** The fake agents' sources (test/fixtures/agents), one per preset. */
export const FAKE_AGENTS_DIR = resolve(import.meta.dirname, '../fixtures/agents');

/**
 * Writes `claude`, `gemini` and `codex` into `dir/bin`: sh programs that run the fake agents with this Node. Returns
 * the bin directory (put it first on the PATH, or name a program by its absolute path).
 */
export async function installFakeAgents(dir: string): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  for (const name of ['claude', 'gemini', 'codex'] satisfies AgentName[]) {
    const path = join(bin, name);
    await writeFile(path, `#!/bin/sh\nexec '${process.execPath}' '${join(FAKE_AGENTS_DIR, `${name}.mjs`)}' "$@"\n`);
    await chmod(path, 0o755);
  }
  return bin;
}
