/**
 * The layers the folders show, kept by a test: the protocol depends on nothing of the runtime (the extension and the
 * webviews import it), the store on the protocol alone, and the webviews on no Node module.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { root } from './helpers';

/** Every module a TypeScript file imports or re-exports from, as written. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => m[1]!);
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

function offending(dir: string, allowed: (spec: string) => boolean): string[] {
  return filesUnder(path.join(root, dir)).flatMap((file) =>
    importsOf(file)
      .filter((spec) => !allowed(spec))
      .map((spec) => `${path.relative(root, file)} imports ${spec}`),
  );
}

test('the protocol imports only itself, zod, the JSON-RPC library and small utilities', () => {
  assert.deepEqual(
    offending('runtime/src/protocol', (s) => s.startsWith('./') || s === 'zod' || s === 'vscode-jsonrpc' || s.startsWith('../util/')),
    [],
  );
});

test('the store depends on the protocol alone (and SQLite, Node, its own files)', () => {
  assert.deepEqual(
    offending(
      'runtime/src/store',
      (s) => s.startsWith('./') || s.startsWith('../protocol/') || s.startsWith('../util/') || s.startsWith('node:') || s === 'sqlite3',
    ),
    [],
  );
});

test('the webviews import no Node module and nothing of the runtime but its protocol', () => {
  assert.deepEqual(
    offending('webview-ui/src', (s) => !s.startsWith('node:') && (!s.includes('runtime/src/') || s.includes('runtime/src/protocol/'))),
    [],
  );
});
