/**
 * The training-curves panel (one per window): lists the runs that have metrics, streams the selected runs' points to
 * the view (everything from cursor 0 first, in chunks, then only what is new), polls running runs every second while
 * the panel is visible, refreshes the runs list every few seconds, and saves exports through a save dialog.
 */
import * as vscode from 'vscode';
import type { RunSummary } from '../../../runtime/src/protocol/dataset';
import type { ToHost, ViewState } from '../../../runtime/src/protocol/webview';
import { toColumns } from '../../../runtime/src/protocol/metric-columns';
import { PanelHost, createPanel, type PanelContext } from './panel-host';
import { databaseParam } from '../settings';

const CHUNK = 50_000;
const POLL_MS = 1_000;
const RUNS_EVERY_MS = 5_000;
const MAX_BACKOFF_MS = 30_000;
const MAX_RUNS = 32;

export class CurvesPanel extends PanelHost<'curves'> {
  private static current: CurvesPanel | undefined;

  private runs: RunSummary[] = [];
  private selected: number[];
  /** Per streamed run: the cursor of its last point sent, and the run's updatedAt when it was fetched. */
  private readonly cursors = new Map<number, { cursor: number; updatedAt: string }>();
  private ready = false;
  /** The view (re)loaded: send it the runs list (and pick runs when none were saved) before any points. */
  private firstRuns = false;
  private timer: NodeJS.Timeout | undefined;
  private syncing = false;
  private again = false;
  private lastRunsAt = 0;
  private failures = 0;
  private readonly shownErrors = new Set<string>();

  /** Opens the panel (or reveals the open one), plotting these runs when given. */
  static show(ctx: PanelContext, runIds?: number[]): CurvesPanel {
    const open = CurvesPanel.current;
    if (open && !open.isDisposed) {
      if (runIds?.length) open.select([...new Set([...runIds, ...open.selected])].slice(0, MAX_RUNS), true);
      open.panel.reveal();
      return open;
    }
    const panel = createPanel(ctx, 'curves', 'Training Curves');
    return (CurvesPanel.current = new CurvesPanel(panel, ctx, runIds?.length ? { runIds } : {}));
  }

  /** Reopens the panel after a reload with the state its view saved. */
  static revive(panel: vscode.WebviewPanel, ctx: PanelContext, state: ViewState): CurvesPanel {
    if (CurvesPanel.current && !CurvesPanel.current.isDisposed) CurvesPanel.current.dispose();
    return (CurvesPanel.current = new CurvesPanel(panel, ctx, state));
  }

  private constructor(panel: vscode.WebviewPanel, ctx: PanelContext, state: ViewState) {
    super(panel, ctx, 'curves', state);
    this.selected = (state.runIds ?? []).slice(0, MAX_RUNS);
    panel.onDidChangeViewState(() => (panel.visible ? this.resume() : this.pause()), null, this.disposables);
  }

  protected async onMessage(message: Exclude<ToHost<'curves'>, { type: 'state' }>): Promise<void> {
    switch (message.type) {
      case 'ready':
        // A (re)loaded view holds nothing: send it everything again.
        this.ready = true;
        this.cursors.clear();
        this.firstRuns = true;
        this.resume();
        return;
      case 'selectRuns':
        this.select(message.runIds, false);
        return;
      case 'saveFile':
        return this.save(message.format, message.suggestedName, message.data);
      default:
        return;
    }
  }

  /** Plots these runs: new ones are streamed from the start, dropped ones forgotten. */
  private select(runIds: number[], tellView: boolean): void {
    this.selected = runIds.slice(0, MAX_RUNS);
    this.state = { ...this.state, runIds: this.selected };
    for (const id of [...this.cursors.keys()]) if (!this.selected.includes(id)) this.cursors.delete(id);
    if (tellView && this.ready) this.post({ type: 'runs', runs: this.runs, selected: this.selected });
    if (this.panel.visible) this.resume();
  }

  // ----- polling

  private resume(): void {
    if (this.isDisposed || !this.ready) return;
    this.pause();
    void this.tick();
  }

  private pause(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    try {
      do {
        this.again = false;
        if (this.firstRuns) {
          await this.refreshRuns(true);
          this.firstRuns = false;
        } else if (Date.now() - this.lastRunsAt >= RUNS_EVERY_MS) {
          await this.refreshRuns(false);
        }
        await this.sync();
      } while (this.again && !this.isDisposed);
      this.failures = 0;
    } catch (error) {
      this.failures++;
      this.report(error);
    } finally {
      this.syncing = false;
    }
    if (this.isDisposed || !this.panel.visible || this.timer) return;
    const delay = this.failures ? Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** this.failures) : POLL_MS;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  /** The runs that have metrics, newest first; the first time, picks the runs to show when none were saved. */
  private async refreshRuns(first: boolean): Promise<void> {
    this.lastRunsAt = Date.now();
    const { runs } = await this.ctx.runtime.request('dataset/listRuns', { ...databaseParam(), limit: 200 });
    const withMetrics = runs.filter((r) => Object.keys(r.metrics).length > 0).sort((a, b) => b.id - a.id);
    const changed = first || JSON.stringify(withMetrics) !== JSON.stringify(this.runs);
    this.runs = withMetrics;
    if (first && !this.selected.length) {
      const pick =
        withMetrics.find((r) => r.kind === 'train' && r.status === 'running') ?? withMetrics.find((r) => r.kind === 'train') ?? withMetrics[0];
      if (pick) this.selected = [pick.id];
      this.state = { ...this.state, runIds: this.selected };
    }
    if (changed && !this.isDisposed) this.post({ type: 'runs', runs: this.runs, selected: this.selected });
  }

  /**
   * Sends each selected run what the view lacks: everything (reset) for a run not streamed yet, then new points of
   * runs that are running or changed since their last fetch (so that a run's last points, logged just before it
   * finished, arrive too).
   */
  private async sync(): Promise<void> {
    for (const runId of this.selected) {
      if (this.isDisposed) return;
      const run = this.runs.find((r) => r.id === runId);
      const known = this.cursors.get(runId);
      if (known && run && run.status !== 'running' && run.updatedAt === known.updatedAt) continue;
      if (known && !run) continue;
      await this.stream(runId, known?.cursor ?? 0, !known, run?.updatedAt ?? '');
    }
  }

  private async stream(runId: number, from: number, reset: boolean, updatedAt: string): Promise<void> {
    let cursor = from;
    let first = true;
    for (;;) {
      const { points, cursor: next } = await this.ctx.runtime.request('dataset/metrics', { ...databaseParam(), runId, after: cursor, limit: CHUNK });
      // The selection may have changed while the request was out (or the view was reloaded).
      if (this.isDisposed || !this.selected.includes(runId) || (reset ? this.cursors.has(runId) : this.cursors.get(runId)?.cursor !== cursor)) return;
      if (points.length || (reset && first)) this.post({ type: 'metricPoints', runId, columns: toColumns(points), reset: reset && first });
      cursor = next;
      first = false;
      this.cursors.set(runId, { cursor, updatedAt });
      reset = false;
      if (points.length < CHUNK) return;
    }
  }

  /** Logs every failure; shows each distinct one once (the poll backs off meanwhile, never a notification loop). */
  private report(error: unknown): void {
    const text = `Training curves: ${(error as Error)?.message ?? String(error)}`;
    this.ctx.log.error(text);
    if (this.shownErrors.has(text)) return;
    this.shownErrors.add(text);
    void vscode.window.showErrorMessage(text);
  }

  // ----- exports

  private async save(format: 'csv' | 'png', suggestedName: string, data: string): Promise<void> {
    let bytes: Uint8Array;
    if (format === 'png') {
      const match = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(data);
      if (!match) throw new Error('the view sent a PNG that is not a base64 data: URL');
      bytes = Buffer.from(match[1]!, 'base64');
    } else {
      bytes = Buffer.from(data, 'utf8');
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, suggestedName) : undefined,
      filters: format === 'png' ? { 'PNG image': ['png'] } : { CSV: ['csv'] },
      saveLabel: `Export ${format.toUpperCase()}`,
      title: 'Export training curves',
    });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, bytes);
    this.ctx.log.info(`training curves exported to ${uri.fsPath}`);
    const open = await vscode.window.showInformationMessage(`Exported the training curves to ${uri.fsPath}.`, 'Open');
    if (open) await vscode.commands.executeCommand('vscode.open', uri);
  }

  override dispose(): void {
    this.pause();
    if (CurvesPanel.current === this) CurvesPanel.current = undefined;
    super.dispose();
  }
}

/** `stephrl.openTrainingCurves`: from the palette (the newest runs), or a run's context menu (that run). */
export function openTrainingCurvesCommand(ctx: PanelContext, run?: RunSummary): void {
  CurvesPanel.show(ctx, run && typeof run.id === 'number' ? [run.id] : undefined);
}
