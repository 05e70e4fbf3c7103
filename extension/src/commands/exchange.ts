/**
 * "Import Dataset" and "Export Dataset": episodes in and out of the SQLite dataset in our JSONL (exact round trip),
 * the reference work's per-trajectory raw JSON, or ETO conversations. Imports are all or nothing; a malformed file is
 * refused with the file, the line and the reason, and nothing is stored.
 */
import * as vscode from 'vscode';
import type { RuntimeClient } from '../runtime-client';
import { pickEnvironment } from './evaluate';
import { readSettings } from '../settings';

import { EXPORT_FORMATS, IMPORT_FORMATS, type AgentKind, type ExportFormat, type ImportFormat } from '../../../runtime/src/protocol/vocabulary';

/** What each format is, as the pickers say it. */
const DESCRIPTIONS: Record<ImportFormat | ExportFormat, string> = {
  jsonl: "STEP-HRL Studio's own: episodes with every step, annotation and model call (exact round trip)",
  'steprl-raw': 'one JSON file per trajectory, as the reference STEP-HRL code reads them',
  eto: 'ETO-style conversations (ScienceWorld and ALFWorld trajectories as chat turns: ETO, AgentInstruct, chat messages)',
  'scienceworld-gold': "ScienceWorld's own gold action sequences (goldsequences-*.json)",
  sharegpt: "training samples for TRL, LLaMA-Factory or axolotl: an agent's own prompts as ShareGPT conversations (JSON lines)",
  'openai-chat': "training samples for TRL or OpenAI-style fine-tuning: an agent's own prompts as chat messages (JSON lines)",
};

const AGENTS: Array<vscode.QuickPickItem & { agent: AgentKind }> = [
  { label: 'STEP-HRL', agent: 'stephrl', description: 'one sample per planner, actor and progress decision' },
  { label: 'Flat (ReAct)', agent: 'react', description: 'one conversation per trajectory: the whole history' },
  { label: 'History-HRL', agent: 'hrl-history', description: "one sample per decision, with the subtask's raw history" },
];

function formatItems<F extends ImportFormat | ExportFormat>(formats: readonly F[]): Array<vscode.QuickPickItem & { format: F }> {
  return formats.map((format) => ({ label: format, format, description: DESCRIPTIONS[format] }));
}

export async function importDatasetCommand(runtime: RuntimeClient, log: vscode.LogOutputChannel, refresh: () => void): Promise<void> {
  if (!vscode.workspace.isTrusted) return void vscode.window.showWarningMessage('STEP-HRL imports data only in a trusted workspace.');
  const format = await vscode.window.showQuickPick(formatItems(IMPORT_FORMATS), { title: 'Import: format', ignoreFocusOut: true });
  if (!format) return;
  const files = await vscode.window.showOpenDialog({
    title: 'Import episodes',
    canSelectMany: true,
    canSelectFolders: format.format === 'steprl-raw',
    canSelectFiles: true,
    filters: format.format === 'steprl-raw' ? undefined : { Episodes: ['jsonl', 'json'] },
  });
  if (!files?.length) return;
  let env: 'scienceworld' | 'alfworld' | undefined;
  if (format.format === 'steprl-raw') {
    env = await pickEnvironment('Import');
    if (!env) return;
  } else if (format.format === 'eto') {
    // Conversations name their environment only through what was played; the runtime reads it unless told.
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'From the files', description: 'read from the task, the commands and the observations' },
        { label: 'scienceworld' },
        { label: 'alfworld' },
      ],
      { title: 'Import: environment', ignoreFocusOut: true },
    );
    if (!choice) return;
    if (choice.label !== 'From the files') env = choice.label as 'scienceworld' | 'alfworld';
  }
  const db = readSettings().databasePath;
  const params = { format: format.format, files: files.map((f) => f.fsPath), ...(env ? { env } : {}), ...(db ? { db } : {}) };
  const importing = (again: boolean) =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Importing episodes' }, () =>
      runtime.request('dataset/import', { ...params, again }),
    );
  try {
    let result = await importing(false);
    if (result.alreadyImportedBy !== null) {
      const choice = await vscode.window.showInformationMessage(
        `These files were already imported (run ${result.alreadyImportedBy}); nothing was stored.`,
        'Import a Second Copy',
      );
      if (choice !== 'Import a Second Copy') return;
      result = await importing(true);
    }
    const message = `Imported ${result.imported} episodes (run ${result.runId}); ${result.annotated} auto-annotated`;
    log.info(message);
    for (const failure of result.annotationFailures) log.warn(failure);
    void vscode.window.showInformationMessage(message);
    refresh();
  } catch (error) {
    log.error(`import failed: ${(error as Error).message}`);
    void vscode.window.showErrorMessage(`Nothing was imported: ${(error as Error).message}`, 'Show Logs').then((a) => a && log.show());
  }
}

export async function exportDatasetCommand(runtime: RuntimeClient, log: vscode.LogOutputChannel): Promise<void> {
  const format = await vscode.window.showQuickPick(formatItems(EXPORT_FORMATS), { title: 'Export: format', ignoreFocusOut: true });
  if (!format) return;
  let agent: AgentKind | undefined;
  if (format.format === 'sharegpt' || format.format === 'openai-chat') {
    agent = (await vscode.window.showQuickPick(AGENTS, { title: 'Export: whose training samples', ignoreFocusOut: true }))?.agent;
    if (!agent) return;
  }
  const env = await vscode.window.showQuickPick(['all', 'scienceworld', 'alfworld'], { title: 'Export: environment', ignoreFocusOut: true });
  if (!env) return;
  let out: string | undefined;
  if (format.format === 'steprl-raw') {
    const folder = await vscode.window.showOpenDialog({ title: 'Export into this folder', canSelectFolders: true, canSelectFiles: false });
    out = folder?.[0]?.fsPath;
  } else {
    const file = await vscode.window.showSaveDialog({ title: 'Export episodes', filters: { Episodes: ['jsonl'] } });
    out = file?.fsPath;
  }
  if (!out) return;
  const db = readSettings().databasePath;
  try {
    const result = await runtime.request('dataset/export', {
      format: format.format,
      out,
      ...(agent ? { agent } : {}),
      ...(env !== 'all' ? { filter: { env: env as 'scienceworld' | 'alfworld' } } : {}),
      ...(db ? { db } : {}),
    });
    log.info(`exported ${result.episodes} episodes as ${format.format} to ${result.out}`);
    void vscode.window.showInformationMessage(`Exported ${result.episodes} episodes to ${result.out}`);
  } catch (error) {
    void vscode.window.showErrorMessage(`Export failed: ${(error as Error).message}`);
  }
}
