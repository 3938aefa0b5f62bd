// Bundles the compiled program (dist/) into dist/bundle/: one file per lazily loaded part instead of hundreds of
// modules, which cuts the dashboard's start by a few hundred milliseconds. Dependencies with native parts or that
// load lazily and rarely (google-auth-library, for the Compute API) stay outside, resolved from node_modules as usual.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { boundInkTextCache, INK_TEXT_CACHE_FILES } from '../dist/ui/text-cache.js';

/**
 * Ink's layout engine (yoga-layout) carries its WebAssembly inline, as a data: URL, and reads it with fetch() when
 * fetch exists: under Node that first loads undici, 100-250 ms on the way to the first frame. The loader's own
 * synchronous path decodes the same bytes without it; the bundle takes that path. Should a new yoga-layout word its
 * loader differently, the bundle says so and keeps the loader as it is.
 */
const YOGA_FETCH = /return (\w+)\|\|"function"!=typeof fetch\?Promise\.resolve\(\)/;
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(build) {
    build.onLoad({ filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!YOGA_FETCH.test(source)) console.warn(`bundle: ${args.path} no longer reads its wasm as expected; it is bundled unchanged`);
      return { contents: source.replace(YOGA_FETCH, 'return $1||!0?Promise.resolve()'), loader: 'js' };
    });
  },
};

/**
 * Ink's text caches (measure-text.js, wrap-text.js) keep every text ever drawn; the bundle bounds them, and makes
 * Ink's output (output.js) reuse the rows of earlier frames (src/ui/text-cache.ts). Should a new Ink write them differently, the build fails and says which one.
 */
const inkTextCaches = {
  name: 'ink-text-caches',
  setup(build) {
    const files = new RegExp(`ink[\\\\/]build[\\\\/](${INK_TEXT_CACHE_FILES.map((f) => f.replace('.', '\\.')).join('|')})$`);
    build.onLoad({ filter: files }, async (args) => {
      const bounded = boundInkTextCache(basename(args.path), await readFile(args.path, 'utf8'), resolve('dist/ui/text-cache.js'));
      if (bounded instanceof Error) throw bounded;
      return { contents: bounded, loader: 'js', resolveDir: resolve(args.path, '..') };
    });
  },
};

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: ['dist/cli/main.js'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  external: ['ssh2', 'cpu-features', 'google-auth-library', 'react-devtools-core'],
  plugins: [yogaWithoutFetch, inkTextCaches],
  // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __mcCreateRequire } from 'node:module'; const require = __mcCreateRequire(import.meta.url);" },
});
