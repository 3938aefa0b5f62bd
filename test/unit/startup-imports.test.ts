import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Every module the dashboard loads before its first frame: what `src/cli/main.ts` and the dashboard's own module
 * (`src/ui/run.ts`) import statically, transitively (a dynamic import() is loaded later, when it runs). Packages and
 * Node's built-ins are listed by name, not followed.
 */
async function startupImports(): Promise<Set<string>> {
  const entries = ['src/cli/main.ts', 'src/ui/run.ts'];
  const result = await build({ absWorkingDir: ROOT, entryPoints: entries, bundle: true, write: false, metafile: true, format: 'esm', platform: 'node', packages: 'external', outdir: 'out', logLevel: 'silent' });
  const inputs = result.metafile.inputs;
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length > 0) {
    const path = todo.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const edge of inputs[path]?.imports ?? []) if (edge.kind === 'import-statement') todo.push(edge.path);
  }
  return seen;
}

describe("the modules loaded before the dashboard's first frame", () => {
  it('leave out ssh2 (loaded by the first connection) and node:net (by the first GCE route probe)', async () => {
    const imports = await startupImports();
    // Not vacuous: the walk reaches the SSH pool and the GCE connectivity module, which use them later.
    expect(imports.has('src/ssh/handshake.ts')).toBe(true);
    expect(imports.has('src/providers/gce/connectivity.ts')).toBe(true);
    expect([...imports].filter((path) => path === 'ssh2' || path === 'node:net')).toEqual([]);
  }, 60_000);
});
