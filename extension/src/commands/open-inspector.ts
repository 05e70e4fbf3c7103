/**
 * "STEP-HRL: Open Inspector": on an episode (Datasets view, or its id), that episode; on a run (Runs view), one
 * of the episodes it recorded; from the palette, a pick of the latest episodes.
 */
import * as vscode from 'vscode';
import type { EpisodeSummary, RunSummary } from '../../../runtime/src/protocol/dataset';
import type { DatasetNode } from '../views/dataset-item';
import type { PanelContext } from '../panels/panel-host';
import { databaseParam } from '../settings';
import { InspectorPanel } from '../panels/inspector-panel';

const isRun = (x: unknown): x is RunSummary => typeof x === 'object' && x !== null && 'kind' in x && 'metrics' in x;

export async function openInspectorCommand(ctx: PanelContext, target?: number | DatasetNode | RunSummary): Promise<void> {
  if (typeof target === 'number') return InspectorPanel.show(ctx, [target]);
  if (target && !isRun(target) && target.type === 'episode') return InspectorPanel.show(ctx, [target.episode.id]);
  try {
    const filter = isRun(target) ? { runId: target.id } : { limit: 200 };
    const { episodes } = await ctx.runtime.request('dataset/listEpisodes', { filter, ...databaseParam() });
    if (!episodes.length) {
      return void vscode.window.showInformationMessage(
        isRun(target)
          ? `Run ${target.id} recorded no episode yet.`
          : 'The dataset has no episode yet: evaluate an agent or collect demonstrations first.',
      );
    }
    if (episodes.length === 1) return InspectorPanel.show(ctx, [episodes[0]!.id]);
    const pick = await vscode.window.showQuickPick(
      [...episodes]
        .sort((a, b) => b.id - a.id)
        .map((e: EpisodeSummary) => ({
          label: `#${e.id} ${e.env} ${e.task}${e.variation !== null ? ` v${e.variation}` : ''}`,
          description: `${e.agent} · score ${e.score}${e.won ? ' · won' : ''} · ${e.stepCount} steps · ${e.status}`,
          id: e.id,
        })),
      { title: isRun(target) ? `Episodes of run ${target.id}` : 'Open an episode in the inspector', matchOnDescription: true },
    );
    if (pick) InspectorPanel.show(ctx, [pick.id]);
  } catch (error) {
    void vscode.window.showErrorMessage(`Could not list episodes: ${(error as Error).message}`);
  }
}
