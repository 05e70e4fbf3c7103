/**
 * Runs inside VS Code's extension host (@vscode/test-electron loads it and calls `run`): the extension activates,
 * every command it declares exists, the runtime comes up, and the inspector, annotator and curves panels open on the
 * workspace's dataset (test/vscode/run.mjs imports real episodes into it).
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'stephrl.stephrl-studio';

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A webview tab of this view type, once it is open. */
const webviewTab = (viewType: string) =>
  vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType));

const tests: Array<[string, () => Promise<void>]> = [
  [
    'the extension activates and registers every command it declares',
    async () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(extension, `${EXTENSION_ID} is installed`);
      await extension.activate();
      const declared = (extension.packageJSON.contributes.commands as Array<{ command: string }>).map((c) => c.command);
      const registered = new Set(await vscode.commands.getCommands(true));
      assert.deepEqual(
        declared.filter((c) => !registered.has(c)),
        [],
      );
    },
  ],
  [
    'the inspector opens on a stored episode',
    async () => {
      await vscode.commands.executeCommand('stephrl.openInspector', 1);
      const tab = await until('the inspector tab', () => webviewTab('stephrl.inspector'));
      assert.match(tab.label, /Episode 1|STEP-HRL Inspector/);
    },
  ],
  [
    'the annotator opens the first unreviewed demonstration',
    async () => {
      await vscode.commands.executeCommand('stephrl.openAnnotator');
      const tab = await until('the annotator tab', () => webviewTab('stephrl.annotator'));
      assert.match(tab.label, /Annotat/);
    },
  ],
  [
    'training curves open',
    async () => {
      await vscode.commands.executeCommand('stephrl.openTrainingCurves');
      await until('the curves tab', () => webviewTab('stephrl.curves'));
    },
  ],
];

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, body] of tests) {
    try {
      await body();
      console.log(`ok - ${name}`);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).stack ?? error}`);
      console.log(`not ok - ${name}\n${(error as Error).message}`);
    }
  }
  if (failures.length) throw new Error(`${failures.length} of ${tests.length} failed:\n${failures.join('\n')}`);
}
