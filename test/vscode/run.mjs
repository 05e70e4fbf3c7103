// `npm run test:vscode`: the extension's suite in a real VS Code desktop build through @vscode/test-electron (the
// ecosystem's standard runner). Give the build with VSCODE_EXECUTABLE=/path/to/code (or `-- --vscode /path`);
// without one, test-electron downloads the stable build (which needs the internet). The default `npm test` runs
// the same checks in code-server instead (test/e2e), which works offline.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const flag = process.argv.indexOf('--vscode');
const vscodeExecutablePath = flag > 0 ? process.argv[flag + 1] : process.env.VSCODE_EXECUTABLE;

execFileSync(process.execPath, [path.join(root, 'runtime', 'build', 'build.mjs')], { stdio: 'inherit' });
const suite = path.join(root, 'dist', 'test-vscode', 'suite.js');
await esbuild.build({
  entryPoints: [path.join(root, 'test', 'vscode', 'suite.ts')],
  outfile: suite,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  logLevel: 'warning',
});

// A workspace with its own dataset: the fixture episodes recorded from the real environments, imported by the CLI.
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-vscode-'));
const db = path.join(workspace, 'dataset.db');
execFileSync(
  process.execPath,
  [
    path.join(root, 'runtime', 'bin', 'stephrl.js'),
    'dataset',
    'import',
    path.join(root, 'test', 'fixtures', 'webview', 'episodes.jsonl'),
    '--format',
    'jsonl',
    '--db',
    db,
  ],
  { stdio: 'inherit' },
);
fs.mkdirSync(path.join(workspace, '.vscode'));
fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'stephrl.databasePath': db, 'stephrl.threads': 1 }, null, 2));

try {
  const code = await runTests({
    ...(vscodeExecutablePath ? { vscodeExecutablePath } : {}),
    extensionDevelopmentPath: root,
    extensionTestsPath: suite,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${path.join(workspace, '.user-data')}`],
    extensionTestsEnv: { STEPHRL_TEST_DB: db },
  });
  process.exitCode = code;
} catch (error) {
  console.error(`test:vscode could not run VS Code: ${error instanceof Error ? error.message : error}`);
  if (!vscodeExecutablePath)
    console.error(
      'Give a VS Code desktop build: VSCODE_EXECUTABLE=/path/to/code npm run test:vscode (the default `npm test` uses code-server instead).',
    );
  process.exitCode = 1;
} finally {
  fs.rmSync(workspace, { recursive: true, force: true });
}
