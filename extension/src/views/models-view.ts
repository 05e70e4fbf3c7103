/** The Models view: base models and the adapters training exported; refreshed when runs change. */
import * as vscode from 'vscode';
import type { ModelList } from '../../../runtime/src/protocol/trainer';
import type { RuntimeClient } from '../runtime-client';
import { toTreeItem } from './tree-item';
import { modelChildren, modelItemView, type ModelNode } from './model-item';
import { databaseParam, readSettings } from '../settings';

export class ModelsView implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private list: Promise<ModelList> | null = null;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly runtime: RuntimeClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(runtime.onDidChangeState(({ state }) => state === 'ready' && this.refresh()));
  }

  refresh(): void {
    this.list = null;
    this.changed.fire();
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    const item = toTreeItem(modelItemView(node), true);
    if (node.type !== 'group') item.resourceUri = vscode.Uri.file(node.type === 'base' ? node.model.path : node.adapter.path);
    // A shipped adapter opens its card (data, command, scores) on click.
    if (node.type === 'shipped')
      item.command = {
        command: 'markdown.showPreview',
        title: 'Open the card',
        arguments: [vscode.Uri.file(node.adapter.cardPath.replace(/\.json$/, '.md'))],
      };
    return item;
  }

  async getChildren(parent?: ModelNode): Promise<ModelNode[]> {
    if (this.runtime.currentState !== 'ready') return [];
    const { modelPath } = readSettings();
    this.list ??= this.runtime.request('models/list', { ...databaseParam(), extra: modelPath ? [modelPath] : [] });
    try {
      return modelChildren(await this.list, parent, modelPath);
    } catch (error) {
      this.list = null;
      this.log.warn(`the Models view could not list models: ${(error as Error).message}`);
      return [];
    }
  }

  dispose(): void {
    this.changed.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
