/**
 * The runs-side-by-side panel (one per window): asks the runtime to compare the chosen evaluation runs
 * (`runs/compare`), sends the view the answer, again on the view's Refresh, and copies the view's CSV to the
 * clipboard.
 */
import * as vscode from 'vscode';
import type { RunSummary } from '../../../runtime/src/protocol/dataset';
import { MAX_COMPARED_RUNS } from '../../../runtime/src/protocol/agent';
import type { ToHost, ViewState } from '../../../runtime/src/protocol/webview';
import { PanelHost, createPanel, type PanelContext } from './panel-host';
import { compareTargets } from '../views/run-item';
import { databaseParam } from '../settings';

export class ComparePanel extends PanelHost<'compare'> {
  private static current: ComparePanel | undefined;
  private runIds: number[];
  private ready = false;

  /** Opens the panel on these runs (or points the open one at them). */
  static show(ctx: PanelContext, runIds: number[]): ComparePanel {
    const open = ComparePanel.current;
    if (open && !open.isDisposed) {
      open.setRuns(runIds);
      open.panel.reveal();
      return open;
    }
    const panel = createPanel(ctx, 'compare', title(runIds));
    return (ComparePanel.current = new ComparePanel(panel, ctx, { runIds }));
  }

  /** Reopens the panel after a reload on the runs it showed. */
  static revive(panel: vscode.WebviewPanel, ctx: PanelContext, state: ViewState): ComparePanel {
    if (ComparePanel.current && !ComparePanel.current.isDisposed) ComparePanel.current.dispose();
    return (ComparePanel.current = new ComparePanel(panel, ctx, state));
  }

  private constructor(panel: vscode.WebviewPanel, ctx: PanelContext, state: ViewState) {
    super(panel, ctx, 'compare', state);
    this.runIds = (state.runIds ?? []).slice(0, MAX_COMPARED_RUNS);
  }

  private setRuns(runIds: number[]): void {
    this.runIds = runIds.slice(0, MAX_COMPARED_RUNS);
    this.state = { ...this.state, runIds: this.runIds };
    this.panel.title = title(this.runIds);
    if (this.ready) void this.load();
  }

  protected async onMessage(message: Exclude<ToHost<'compare'>, { type: 'state' }>): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        return this.load();
      case 'refresh':
        return this.load();
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        void vscode.window.showInformationMessage('Copied the comparison as CSV.');
        return;
      default:
        return;
    }
  }

  private async load(): Promise<void> {
    if (!this.runIds.length)
      return this.post({ type: 'comparison', comparison: null, error: 'No runs to compare: select evaluation runs in the Runs view.' });
    try {
      const comparison = await this.ctx.runtime.request('runs/compare', { ...databaseParam(), runIds: this.runIds });
      this.post({ type: 'comparison', comparison });
    } catch (error) {
      const text = (error as Error).message ?? String(error);
      this.ctx.log.error(`Compare runs: ${text}`);
      this.post({ type: 'comparison', comparison: null, error: text });
    }
  }

  override dispose(): void {
    if (ComparePanel.current === this) ComparePanel.current = undefined;
    super.dispose();
  }
}

const title = (runIds: number[]) => `Compare Runs ${runIds.map((id) => `#${id}`).join(' ')}`.slice(0, 60);

/**
 * `stephrl.compareRuns`: the evaluation runs selected in the Runs view (the clicked one and the others selected with
 * it); with fewer than two, a pick of the dataset's evaluation runs.
 */
export async function compareRunsCommand(ctx: PanelContext, clicked?: RunSummary, selected?: readonly RunSummary[]): Promise<void> {
  let runIds = compareTargets(clicked, selected);
  if (runIds.length < 2) {
    const { runs } = await ctx.runtime.request('dataset/listRuns', { ...databaseParam(), kind: 'eval', limit: 200 });
    if (!runs.length) return void vscode.window.showInformationMessage('There are no evaluation runs to compare yet: evaluate an agent first.');
    const picked = await vscode.window.showQuickPick(
      runs.map((run) => ({ label: `#${run.id} ${run.name}`, description: run.status, picked: runIds.includes(run.id), id: run.id })),
      { canPickMany: true, title: 'Compare evaluation runs', placeHolder: 'Pick the runs to put side by side' },
    );
    if (!picked?.length) return;
    runIds = picked.map((p) => p.id).sort((a, b) => a - b);
  }
  ComparePanel.show(ctx, runIds);
}
