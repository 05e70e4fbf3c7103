/**
 * Context-menu actions on tree items: annotate one episode with the rule annotator, stop a running run, delete an
 * episode or a run (after a modal confirmation that says what goes and what stays), and export an episode or a run's
 * episodes to a JSONL file.
 */
import * as vscode from 'vscode';
import type { RunSummary } from '../../../runtime/src/protocol/dataset';
import type { RuntimeClient } from '../runtime-client';
import type { DatasetNode } from '../views/dataset-item';
import { databaseParam } from '../settings';

type EpisodeNode = Extract<DatasetNode, { type: 'episode' }>;

export async function annotateEpisodeCommand(
  runtime: RuntimeClient,
  log: vscode.LogOutputChannel,
  node: EpisodeNode,
  refresh: () => void,
): Promise<void> {
  try {
    const report = await runtime.request('dataset/annotate', { filter: { ids: [node.episode.id] }, ...databaseParam() });
    if (report.failed) void vscode.window.showWarningMessage(`Episode ${node.episode.id} could not be annotated: ${report.failures[0]}`);
    else log.info(`episode ${node.episode.id}: annotated by the rule annotator`);
  } catch (error) {
    void vscode.window.showErrorMessage(`Annotating episode ${node.episode.id} failed: ${(error as Error).message}`);
  }
  refresh();
}

export async function stopRunCommand(
  runtime: RuntimeClient,
  log: vscode.LogOutputChannel,
  run: RunSummary | undefined,
  refresh: () => void,
): Promise<void> {
  if (!run) return void vscode.window.showInformationMessage('Stop Run works on a running run in the Runs view.');
  try {
    const { how } = await runtime.request('runs/stop', { runId: run.id, ...databaseParam() });
    log.info(`run ${run.id}: stop requested (${how}); it stops after the current step or episode and keeps what is done`);
    void vscode.window.showInformationMessage(`Stopping run ${run.id} after its current step; run the same job again to resume it.`);
  } catch (error) {
    void vscode.window.showErrorMessage(`Could not stop run ${run.id}: ${(error as Error).message}`);
  }
  refresh();
}

export async function deleteEpisodeCommand(
  runtime: RuntimeClient,
  log: vscode.LogOutputChannel,
  node: EpisodeNode | undefined,
  refresh: () => void,
): Promise<void> {
  if (node?.type !== 'episode') return void vscode.window.showInformationMessage('Delete Episode works on an episode in the Datasets view.');
  const e = node.episode;
  const answer = await vscode.window.showWarningMessage(
    `Delete episode ${e.id} (${e.task}, ${e.agent}, ${e.stepCount} steps)?`,
    {
      modal: true,
      detail:
        'Its steps, model calls, annotations with their audit trail, and the training transitions derived from it are deleted. This cannot be undone; Export Episode first to keep a copy.',
    },
    'Delete',
  );
  if (answer !== 'Delete') return;
  try {
    await runtime.request('dataset/deleteEpisodes', { ids: [e.id], ...databaseParam() });
    log.info(`episode ${e.id} deleted`);
  } catch (error) {
    void vscode.window.showErrorMessage(`Episode ${e.id} was not deleted: ${(error as Error).message}`);
  }
  refresh();
}

export async function deleteRunCommand(
  runtime: RuntimeClient,
  log: vscode.LogOutputChannel,
  run: RunSummary | undefined,
  refresh: () => void,
): Promise<void> {
  if (!run) return void vscode.window.showInformationMessage('Delete Run works on a run in the Runs view.');
  const keep = 'Delete Run, Keep Episodes';
  const all = 'Delete Run and Its Episodes';
  const answer = await vscode.window.showWarningMessage(
    `Delete run ${run.id} (${run.kind} ${run.name})?`,
    {
      modal: true,
      detail:
        'Its metrics and checkpoint records are deleted. Files it wrote (adapters, checkpoints) stay on disk. Episodes it recorded can stay (without a run) or go with it.',
    },
    keep,
    all,
  );
  if (answer !== keep && answer !== all) return;
  try {
    const result = await runtime.request('runs/delete', { runId: run.id, episodes: answer === all, ...databaseParam() });
    log.info(`run ${run.id} deleted${result.episodes ? ` with ${result.episodes} episodes` : ''}`);
    if (result.files.length) log.info(`files run ${run.id} wrote stay on disk:\n${result.files.join('\n')}`);
  } catch (error) {
    void vscode.window.showErrorMessage(`Run ${run.id} was not deleted: ${(error as Error).message}`);
  }
  refresh();
}

/** Exports one episode, or the episodes a run recorded, as STEP-HRL Studio's JSONL (exact round trip). */
export async function exportItemCommand(
  runtime: RuntimeClient,
  log: vscode.LogOutputChannel,
  item: EpisodeNode | RunSummary | undefined,
): Promise<void> {
  const episode = item && 'type' in item && item.type === 'episode' ? item.episode : undefined;
  const run = item && 'kind' in item ? item : undefined;
  if (!episode && !run) return void vscode.window.showInformationMessage('Export works on an episode (Datasets view) or a run (Runs view).');
  const name = episode ? `episode-${episode.id}.jsonl` : `run-${run!.id}-episodes.jsonl`;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    title: 'Export as JSONL',
    filters: { 'STEP-HRL episodes': ['jsonl'] },
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
  });
  if (!target) return;
  try {
    const filter = episode ? { ids: [episode.id] } : { runId: run!.id };
    const { episodes, out } = await runtime.request('dataset/export', { filter, format: 'jsonl', out: target.fsPath, ...databaseParam() });
    log.info(`exported ${episodes} episodes to ${out}`);
    void vscode.window.showInformationMessage(`Exported ${episodes} episode${episodes === 1 ? '' : 's'} to ${out}.`);
  } catch (error) {
    void vscode.window.showErrorMessage(`Export failed: ${(error as Error).message}`);
  }
}
