// One build for the three bundles: the runtime (Node), the extension (VS Code host) and the webview (browser).
// Usage: node runtime/build/build.mjs [--watch]
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: true, logLevel: 'warning', absWorkingDir: root };

const targets = [
  {
    ...common,
    entryPoints: ['runtime/src/cli/main.ts'],
    outfile: 'dist/runtime/stephrl.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Native addons (and node-llama-cpp's ES module with its prebuilt binaries): loaded from node_modules at run time.
    external: ['sqlite3', 'node-llama-cpp'],
  },
  {
    ...common,
    entryPoints: ['extension/src/extension.ts'],
    outfile: 'dist/extension/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    minify: true,
  },
  {
    ...common,
    entryPoints: ['webview-ui/src/main.ts'],
    outfile: 'dist/webview/main.js',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
  },
];

if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
  console.log('watching...');
} else {
  const started = Date.now();
  await Promise.all(targets.map((t) => esbuild.build(t)));
  console.log(`built ${targets.length} bundles in ${Date.now() - started} ms`);
}
