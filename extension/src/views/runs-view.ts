/** The Runs view: collect, eval, train, annotate and import runs from the dataset, newest first, refreshed live. */
import * as vscode from 'vscode';
import type { RunSummary } from '../../../runtime/src/protocol/dataset';
import type { RuntimeClient } from '../runtime-client';
import { runItemView } from './run-item';
import { toTreeItem } from './tree-item';
import { databaseParam } from '../settings';

export class RunsView implements vscode.TreeDataProvider<RunSummary>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runtime: RuntimeClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // Progress of an evaluation, or the runtime coming up, changes what the view shows.
    this.subscriptions.push(
      runtime.onEvaluationProgress(() => this.refreshSoon()),
      runtime.onDidChangeState(({ state }) => state === 'ready' && this.refresh()),
    );
  }

  refresh(): void {
    this.changed.fire();
  }

  private refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh();
    }, 1000);
  }

  getTreeItem(run: RunSummary): vscode.TreeItem {
    return toTreeItem({ ...runItemView(run), contextValue: `run.${run.kind}.${run.status}` });
  }

  async getChildren(parent?: RunSummary): Promise<RunSummary[]> {
    if (parent || this.runtime.currentState !== 'ready') return [];
    try {
      const { runs } = await this.runtime.request('dataset/listRuns', databaseParam());
      // A running run changes by itself: look again in a while.
      if (runs.some((r) => r.status === 'running')) this.refreshSoon();
      return runs;
    } catch (error) {
      this.log.warn(`the Runs view could not list runs: ${(error as Error).message}`);
      return [];
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.changed.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
