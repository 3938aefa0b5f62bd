/**
 * Bounds for the text caches inside Ink. Ink keeps, for the life of the process, the size of every text it ever
 * laid out (measure-text.js) and the wrapped form of every text at every width (wrap-text.js). A dashboard's lines
 * change with every scan (ages, load, RTT, previews), so both grow without end: tens of megabytes an hour with a big
 * fleet. The bundle (scripts/bundle.mjs) rewrites those two modules to use {@link BoundedTextCache} instead, and
 * Ink's output.js to keep a frame's cells and rows for the next frames in such caches (see INK_OUTPUT below).
 */

/** Entries a text cache holds before it starts over: many frames of a big fleet, a few megabytes at most. */
export const TEXT_CACHE_LIMIT = 20_000;

/** A text-keyed cache that empties itself when full, so it holds at most `limit` entries. */
export class BoundedTextCache<V> extends Map<string, V> {
  constructor(readonly limit = TEXT_CACHE_LIMIT) {
    super();
  }

  /** Adds an entry; a full cache starts over first (the texts on screen now come back within a frame). */
  override set(key: string, value: V): this {
    if (this.size >= this.limit && !this.has(key)) this.clear();
    return super.set(key, value);
  }
}

/** One rewrite of an Ink module's source: the text it must contain, and what replaces it. */
type Rewrite = readonly [from: string, to: string];

/**
 * Ink's output.js composes every frame from scratch: a grid of cells for the whole screen, each line written
 * tokenized into styled cells (its caches live one frame), and each screen row turned back into a string. With a
 * screenful of rows that mostly stay the same from one frame to the next (a big fleet: a key moves the selection, a
 * beat changes a few ages) that was most of a frame's time. The bundle notes what is written on each row (its width,
 * then each write's column and text, in order: the row's text is a function of those alone) and composes a row only
 * when that is new, keeping the cells of a line and the text of a row across frames.
 */
/**
 * A line's cells are an object per cell (kilobytes a line), so far fewer lines are kept than texts: enough for the
 * lines of several frames of a big screen, a few megabytes at most. A row's text is small; a few thousand are kept.
 */
export const INK_LINE_CELLS_LIMIT = 1_000;
/** Screen rows whose text Ink's output keeps (see {@link INK_LINE_CELLS_LIMIT}). */
export const INK_ROWS_LIMIT = 4_000;

const INK_OUTPUT_ROWS = `const mcOutputCaches = new OutputCaches();
const mcRows = new BoundedTextCache(${INK_ROWS_LIMIT});
const mcBlank = { type: 'char', value: ' ', fullWidth: false, styles: [] };
function mcComposeRow(width, writes, caches) {
    const row = new Array(Math.max(0, Math.ceil(width))).fill(mcBlank);
    for (let w = 0; w < writes.length; w += 2) {
        let offsetX = writes[w];
        for (const character of caches.getStyledChars(writes[w + 1])) {
            row[offsetX] = character;
            const characterWidth = Math.max(1, caches.getStringWidth(character.value));
            for (let index = 1; index < characterWidth; index++) {
                row[offsetX + index] = { type: 'char', value: '', fullWidth: false, styles: character.styles };
            }
            offsetX += characterWidth;
        }
    }
    return row;
}
export default class Output {`;

const INK_OUTPUT: readonly Rewrite[] = [
  ['    widths = new Map();', '    widths = new BoundedTextCache();'],
  ['    blockWidths = new Map();', '    blockWidths = new BoundedTextCache();'],
  ['    styledChars = new Map();', `    styledChars = new BoundedTextCache(${INK_LINE_CELLS_LIMIT});`],
  ['export default class Output {', INK_OUTPUT_ROWS],
  ['caches = new OutputCaches();', 'caches = mcOutputCaches;'],
  ['for (let y = 0; y < this.height; y++) {', 'for (let y = 0; y < this.height; y++) {\n            output.push([]);\n            continue;'],
  ['const clips = [];', 'const clips = [];\n        const mcRowKeys = [];\n        const mcRowWrites = [];'],
  [
    'const characters = this.caches.getStyledChars(line);',
    'mcRowKeys[y + offsetY] = (mcRowKeys[y + offsetY] ?? `${this.width}\\u0000`) + `${x}\\u0000${line}\\u0001`;\n                    (mcRowWrites[y + offsetY] ??= []).push(x, line);\n                    offsetY++;\n                    continue;\n                    const characters = this.caches.getStyledChars(line);',
  ],
  ['const generatedOutput = output', 'let mcRow = -1;\n        const generatedOutput = output'],
  [
    'const lineWithoutEmptyItems = line.filter(item => item !== undefined);',
    'const mcKey = mcRowKeys[++mcRow];\n            if (mcKey === undefined) return \'\';\n            const mcKnown = mcRows.get(mcKey);\n            if (mcKnown !== undefined) return mcKnown;\n            line = mcComposeRow(this.width, mcRowWrites[mcRow], this.caches);\n            const lineWithoutEmptyItems = line.filter(item => item !== undefined);',
  ],
  [
    'return styledCharsToString(lineWithoutEmptyItems).trimEnd();',
    'const mcText = styledCharsToString(lineWithoutEmptyItems).trimEnd();\n            mcRows.set(mcKey, mcText);\n            return mcText;',
  ],
];

/** Ink's text caches, by module file name, as Ink 6 writes them. */
const INK_TEXT_CACHES: Readonly<Record<string, readonly Rewrite[]>> = {
  'output.js': INK_OUTPUT,
  'measure-text.js': [['const cache = new Map();', 'const cache = new BoundedTextCache();']],
  'wrap-text.js': [
    ['const cache = {};', 'const cache = new BoundedTextCache();'],
    ['const cachedText = cache[cacheKey];', 'const cachedText = cache.get(cacheKey);'],
    ['cache[cacheKey] = wrappedText;', 'cache.set(cacheKey, wrappedText);'],
  ],
};

/** The Ink module files whose caches {@link boundInkTextCache} bounds. */
export const INK_TEXT_CACHE_FILES: readonly string[] = Object.keys(INK_TEXT_CACHES);

/**
 * The source of Ink's module `file` (a name in {@link INK_TEXT_CACHE_FILES}) with its cache made a
 * {@link BoundedTextCache} imported from `cacheModule`; an Error naming what is missing when Ink's source no longer
 * reads as expected (a new Ink: look at its caches again).
 */
export function boundInkTextCache(file: string, source: string, cacheModule: string): string | Error {
  const rewrites = INK_TEXT_CACHES[file];
  if (!rewrites) return new Error(`${file} is not one of Ink's text caches (${INK_TEXT_CACHE_FILES.join(', ')})`);
  let out = source;
  for (const [from, to] of rewrites) {
    if (!out.includes(from)) return new Error(`Ink's ${file} no longer contains "${from}": its text cache is left unbounded`);
    out = out.replace(from, to);
  }
  return `import { BoundedTextCache } from ${JSON.stringify(cacheModule)};\n${out}`;
}
