import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BoundedTextCache, boundInkTextCache, INK_TEXT_CACHE_FILES, TEXT_CACHE_LIMIT } from '../../src/ui/text-cache.js';

const inkBuild = join(import.meta.dirname, '../../node_modules/ink/build');
const cacheModule = join(import.meta.dirname, '../../src/ui/text-cache.ts');
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Ink's module `file` as the bundle has it (its own imports resolved from Ink's directory), loaded from a temporary directory. */
async function boundedInkModule(file: string): Promise<{ default: (...args: never[]) => unknown }> {
  const bounded = boundInkTextCache(file, await readFile(join(inkBuild, file), 'utf8'), cacheModule);
  if (bounded instanceof Error) throw bounded;
  const fromInk = createRequire(join(inkBuild, file));
  const source = bounded.replace(/\/\/# sourceMappingURL=.*/, '').replace(/from '([a-z-]+)'/g, (_, name: string) => `from ${JSON.stringify(pathToFileURL(fromInk.resolve(name)).href)}`);
  const dir = await mkdtemp(join(tmpdir(), 'mc-text-cache-'));
  dirs.push(dir);
  await writeFile(join(dir, file), source);
  return (await import(pathToFileURL(join(dir, file)).href)) as { default: (...args: never[]) => unknown };
}

describe('bounded text caches', () => {
  it('hold at most their limit, keeping what is asked again meanwhile', () => {
    const cache = new BoundedTextCache<number>(3);
    for (let n = 0; n < 10; n += 1) cache.set(`t${n}`, n);
    expect(cache.size).toBeLessThanOrEqual(3);
    cache.set('t9', 99);
    expect(cache.get('t9')).toBe(99);
  });

  it("bound Ink's measure-text cache: a text measured once is measured again after a screenful of new texts", async () => {
    const measureText = (await boundedInkModule('measure-text.js')).default as (text: string) => { width: number; height: number };
    const first = measureText('w0   ssh   up');
    expect(measureText('w0   ssh   up')).toBe(first);
    expect(first).toEqual({ width: 13, height: 1 });
    for (let n = 0; n <= TEXT_CACHE_LIMIT; n += 1) measureText(`w0   ssh   up   ${n}s ago`);
    expect(measureText('w0   ssh   up')).not.toBe(first);
  });

  it("bound Ink's wrap-text cache and wrap as Ink does", async () => {
    const wrapText = (await boundedInkModule('wrap-text.js')).default as (text: string, width: number, type: string) => string;
    const inks = (await import(pathToFileURL(join(inkBuild, 'wrap-text.js')).href)) as { default: typeof wrapText };
    for (const [width, type] of [[5, 'wrap'], [8, 'truncate-end'], [8, 'truncate-middle']] as const) {
      expect(wrapText('hello wide world', width, type)).toBe(inks.default('hello wide world', width, type));
      expect(wrapText('hello wide world', width, type)).not.toBe('hello wide world');
    }
  });

  it("fail with the text that is missing when Ink's source reads differently", () => {
    expect(INK_TEXT_CACHE_FILES).toEqual(['measure-text.js', 'wrap-text.js']);
    const changed = boundInkTextCache('measure-text.js', 'const cache = new LRU();', cacheModule);
    expect(changed).toBeInstanceOf(Error);
    expect((changed as Error).message).toContain('const cache = new Map();');
  });
});
