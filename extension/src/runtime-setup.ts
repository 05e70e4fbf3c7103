/**
 * Where the runtime keeps its machine state, whether it is set up, and "STEP-HRL: Set Up Runtime": runs the project's
 * own set-up script. In a checkout it is `npm run setup`'s script as is; in an installed .vsix (which holds the built
 * bundles, the lock file and the Python sources) it installs the runtime's npm dependencies next to the extension and
 * puts the Python environment, models and data in the extension's global storage, so updates keep them.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as vscode from 'vscode';
import { readSettings } from './settings';

/** A checkout carries the build script; an installed .vsix does not. */
export const isCheckout = (extensionPath: string): boolean => fs.existsSync(path.join(extensionPath, 'runtime', 'build', 'build.mjs'));

/** STEPHRL_HOME for the runtime: undefined in a checkout (its own .stephrl), the global storage when installed. */
export function runtimeHome(extensionPath: string, globalStorage: string): string | undefined {
  return isCheckout(extensionPath) ? undefined : globalStorage;
}

/** The runtime's native npm dependencies are where its bundle loads them from. */
export function isRuntimeInstalled(extensionPath: string): boolean {
  return ['sqlite3', 'node-llama-cpp'].every((m) => fs.existsSync(path.join(extensionPath, 'node_modules', m, 'package.json')));
}

/** One set-up at a time: the "set up once" notification's button stays clickable while one runs. */
let settingUp = false;

export async function setUpRuntimeCommand(context: vscode.ExtensionContext, onDone: () => void, log: vscode.LogOutputChannel): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('STEP-HRL installs and starts its runtime only in a trusted workspace.');
    return;
  }
  if (settingUp) {
    void vscode.window.showInformationMessage('The STEP-HRL runtime is being set up already: its progress is in the notification (and the log).');
    return;
  }
  settingUp = true;
  try {
    await setUp(context, onDone, log);
  } finally {
    settingUp = false;
  }
}

async function setUp(context: vscode.ExtensionContext, onDone: () => void, log: vscode.LogOutputChannel): Promise<void> {
  const ext = context.extensionPath;
  const home = runtimeHome(ext, context.globalStorageUri.fsPath);
  const node = readSettings().nodePath;
  const args = [path.join(ext, 'runtime', 'setup', 'setup.mjs'), ...(isCheckout(ext) ? [] : ['--installed'])];
  log.info(`set up: ${node} ${args.join(' ')}${home ? ` (STEPHRL_HOME=${home})` : ''}`);
  const code = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Setting up the STEP-HRL runtime', cancellable: true },
    (progress, cancel) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(node, args, {
          cwd: ext,
          env: { ...process.env, ...(home ? { STEPHRL_HOME: home } : {}) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        cancel.onCancellationRequested(() => child.kill('SIGTERM'));
        const onLine = (line: string) => {
          log.info(`[setup] ${line.replace(/^\[setup\] /, '')}`);
          if (line.startsWith('[setup]')) progress.report({ message: line.slice(8) });
        };
        readline.createInterface({ input: child.stdout! }).on('line', onLine);
        readline.createInterface({ input: child.stderr! }).on('line', onLine);
        child.once('error', (error) => {
          log.error(`cannot run ${node}: ${error.message}`);
          resolve(null);
        });
        child.once('close', (exit) => resolve(exit));
      }),
  );
  if (code === 0) {
    void vscode.window.showInformationMessage('The STEP-HRL runtime is set up.');
    onDone();
  } else {
    void vscode.window
      .showErrorMessage(`Setting up the STEP-HRL runtime failed${code === null ? '' : ` (exit code ${code})`}: the log says why.`, 'Show Logs')
      .then((a) => a && log.show());
  }
}
