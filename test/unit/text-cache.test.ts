import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BoundedTextCache, boundInkTextCache, INK_LINE_CELLS_LIMIT, INK_TEXT_CACHE_FILES, TEXT_CACHE_LIMIT } from '../../src/ui/text-cache.js';

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
  // An ESM-only package has no entry for require(): its package.json names the one for import.
  const entry = (name: string) => {
    try {
      return fromInk.resolve(name);
    } catch {
      const manifest = fromInk.resolve(`${name}/package.json`);
      return join(dirname(manifest), (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: { '.': { import: string } } }).exports['.'].import);
    }
  };
  const source = bounded.replace(/\/\/# sourceMappingURL=.*/, '').replace(/from '([@a-z/-]+)'/g, (_, name: string) => `from ${JSON.stringify(pathToFileURL(entry(name)).href)}`);
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

  it("keep Ink's output cells and rows across frames, composing each frame as Ink does", async () => {
    type Writer = { write(x: number, y: number, text: string, options: { transformers: ((line: string, index: number) => string)[] }): void };
    type OutputLike = Writer & { caches: unknown; clip(clip: Record<string, number>): void; unclip(): void; get(): { output: string; height: number } };
    type OutputClass = new (size: { width: number; height: number }) => OutputLike;
    const Ours = (await boundedInkModule('output.js')).default as unknown as OutputClass;
    const Inks = ((await import(pathToFileURL(join(inkBuild, 'output.js')).href)) as { default: OutputClass }).default;
    const frame = (Output: OutputClass, selected: number) => {
      const output = new Output({ width: 24, height: 6 });
      output.write(0, 0, '\x1b[1mJobs 3\x1b[22m ─ rows 1-3', { transformers: [] });
      for (let row = 0; row < 3; row += 1) {
        const line = `w${row} job-${row} 漢字 running`;
        output.write(2, row + 1, row === selected ? `\x1b[7m${line}\x1b[27m` : line, { transformers: [] });
      }
      output.write(20, 2, '!', { transformers: [(line) => `\x1b[31m${line}\x1b[39m`] });
      output.clip({ x1: 0, x2: 10, y1: 4, y2: 6 });
      output.write(6, 4, 'clipped beyond the right edge\nsecond line', { transformers: [] });
      output.unclip();
      output.write(22, 5, 'past the edge', { transformers: [] });
      return output;
    };
    for (const selected of [0, 1, 1, 2, 0]) expect(frame(Ours, selected).get()).toEqual(frame(Inks, selected).get());
    expect(frame(Ours, 0).caches).toBe(frame(Ours, 1).caches);
    expect(frame(Inks, 0).caches).not.toBe(frame(Inks, 1).caches);
    // A line's cells weigh kilobytes: far fewer of them are kept than texts.
    expect((frame(Ours, 0).caches as { styledChars: BoundedTextCache<unknown> }).styledChars.limit).toBe(INK_LINE_CELLS_LIMIT);
  });

  it("fail with the text that is missing when Ink's source reads differently", () => {
    expect(INK_TEXT_CACHE_FILES).toEqual(['output.js', 'measure-text.js', 'wrap-text.js']);
    const changed = boundInkTextCache('measure-text.js', 'const cache = new LRU();', cacheModule);
    expect(changed).toBeInstanceOf(Error);
    expect((changed as Error).message).toContain('const cache = new Map();');
  });
});
