/** The Datasets view: environment, then source, then episodes with their annotation status (auto or reviewed). */
import * as vscode from 'vscode';
import type { RuntimeClient } from '../runtime-client';
import { toTreeItem } from './tree-item';
import { datasetItemView, episodeNodes, type DatasetNode, type Env, type Source } from './dataset-item';
import { databaseParam } from '../settings';

const EPISODES_SHOWN = 500;

export class DatasetsView implements vscode.TreeDataProvider<DatasetNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly runtime: RuntimeClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(
      runtime.onDidChangeState(({ state }) => state === 'ready' && this.refresh()),
      runtime.onJobProgress(() => this.refreshSoon()),
    );
  }

  private timer: NodeJS.Timeout | undefined;
  private refreshSoon(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.refresh();
    }, 3000);
  }

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(node: DatasetNode): vscode.TreeItem {
    return toTreeItem(datasetItemView(node), node.type === 'env');
  }

  async getChildren(parent?: DatasetNode): Promise<DatasetNode[]> {
    if (this.runtime.currentState !== 'ready') return [];
    const db = databaseParam();
    try {
      if (!parent) {
        const stats = await this.runtime.request('dataset/stats', db);
        const envs = Object.entries(stats.episodes.byEnv).filter(([, n]) => n > 0) as Array<[Env, number]>;
        return Promise.all(
          envs.map(async ([env, episodes]) => {
            const perEnv = await this.runtime.request('dataset/stats', { ...db, filter: { env } });
            return { type: 'env' as const, env, episodes, won: perEnv.episodes.won };
          }),
        );
      }
      if (parent.type === 'env') {
        const stats = await this.runtime.request('dataset/stats', { ...db, filter: { env: parent.env } });
        return (Object.entries(stats.episodes.bySource) as Array<[Source, number]>)
          .filter(([, n]) => n > 0)
          .map(([source, episodes]) => ({ type: 'source' as const, env: parent.env, source, episodes }));
      }
      if (parent.type === 'source') {
        const filter = { env: parent.env, source: parent.source };
        const [{ episodes }, { episodes: status }] = await Promise.all([
          this.runtime.request('dataset/listEpisodes', { ...db, filter }),
          this.runtime.request('dataset/annotationStatus', { ...db, filter }),
        ]);
        return episodeNodes(episodes, status, EPISODES_SHOWN);
      }
      return [];
    } catch (error) {
      this.log.warn(`the Datasets view could not read the dataset: ${(error as Error).message}`);
      return [];
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.changed.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
