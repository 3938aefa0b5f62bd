// Bundles the compiled program (dist/) into dist/bundle/: one file per lazily loaded part instead of hundreds of
// modules, which cuts the dashboard's start by a few hundred milliseconds. Dependencies with native parts or that
// load lazily and rarely (google-auth-library, for the Compute API) stay outside, resolved from node_modules as usual.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

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
  // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __mcCreateRequire } from 'node:module'; const require = __mcCreateRequire(import.meta.url);" },
});
