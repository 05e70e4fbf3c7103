/**
 * The inspector panel's host side: loads the episode(s) from the runtime, follows a running one (polls while the
 * panel is visible and sends it again when it has grown), and offers a second episode to compare with.
 */
import * as vscode from 'vscode';
import type { EpisodeDetail, EpisodeSummary } from '../../../runtime/src/protocol/dataset';
import type { EpisodeCriticValues } from '../../../runtime/src/protocol/trainer';
import type { ToHost, ViewState } from '../../../runtime/src/protocol/webview';
import { PanelHost, createPanel, type PanelContext } from './panel-host';
import { databaseParam } from '../settings';

const FOLLOW_MS = 1000;

export class InspectorPanel extends PanelHost<'inspector'> {
  private static current: InspectorPanel | undefined;
  private episodes: EpisodeDetail[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly scores = new Map<string, Promise<EpisodeCriticValues>>();

  /** Shows episodes (one, or two side by side) in the inspector, reusing its panel. */
  static show(ctx: PanelContext, episodeIds: number[]): void {
    const current = InspectorPanel.current;
    if (current && !current.isDisposed) {
      current.panel.reveal();
      void current.load(episodeIds);
      return;
    }
    InspectorPanel.current = new InspectorPanel(createPanel(ctx, 'inspector', 'STEP-HRL Inspector'), ctx, { episodeIds });
  }

  static revive(panel: vscode.WebviewPanel, ctx: PanelContext, state: ViewState): void {
    InspectorPanel.current = new InspectorPanel(panel, ctx, state);
  }

  private constructor(panel: vscode.WebviewPanel, ctx: PanelContext, state: ViewState) {
    super(panel, ctx, 'inspector', state);
    panel.onDidChangeViewState(() => this.follow(), null, this.disposables);
    this.disposables.push({ dispose: () => clearTimeout(this.timer) });
  }

  protected async onMessage(message: Exclude<ToHost<'inspector'>, { type: 'state' }>): Promise<void> {
    if (message.type === 'ready') await this.load(this.state.episodeIds ?? []);
    else if (message.type === 'compare') await this.compare(message.episodeId);
    else if (message.type === 'pickCritics') await this.pickCritics(message.episodeId);
    else if (message.type === 'openAnnotator') await vscode.commands.executeCommand('stephrl.openAnnotator', message.episodeId);
  }

  private async load(ids: number[]): Promise<void> {
    if (!ids.length) return;
    this.state = { ...this.state, episodeIds: ids };
    try {
      this.episodes = await Promise.all(ids.map((episodeId) => this.ctx.runtime.request('dataset/getEpisode', { episodeId, ...databaseParam() })));
    } catch (error) {
      return this.fail(`Could not open episode ${ids.join(' and ')}`, error);
    }
    this.panel.title = `Episode ${ids.join(' vs ')}`;
    this.post({ type: 'episodes', episodes: this.episodes });
    this.follow();
    // Episodes that ran with an adapter: the critics beside it, if offline RL wrote any (scored in the background).
    for (const e of this.episodes) if (e.adapter && e.status !== 'running') void this.scoreWith(e.id);
  }

  /**
   * Asks the runtime for the critics' values of an episode and shows them; failures go to the log and the view.
   * Answers are kept for the panel's life: scoring loads the base model in Python, so an episode shown again (or
   * compared) is not scored twice.
   */
  private async scoreWith(episodeId: number, checkpoint?: string): Promise<void> {
    const key = `${episodeId}|${checkpoint ?? ''}`;
    let scored = this.scores.get(key);
    if (!scored) {
      // Seconds on a GPU, minutes on a small CPU: say it is under way.
      this.post({
        type: 'criticValues',
        pending: true,
        values: { episodeId, critics: checkpoint ?? null, baseModel: null, reason: null, values: [] },
      });
      scored = this.ctx.runtime
        .request('train/criticValues', { episodeId, ...(checkpoint ? { checkpoint } : {}), ...databaseParam() })
        .catch((error: Error): EpisodeCriticValues => {
          this.scores.delete(key); // a failure is not kept: the next showing tries again
          this.ctx.log.warn(`inspector: scoring episode ${episodeId} with the critics failed: ${error.message}`);
          return { episodeId, critics: checkpoint ?? null, baseModel: null, reason: error.message, values: [] };
        });
      this.scores.set(key, scored);
    }
    const values = await scored;
    if (values.reason) this.ctx.log.info(`inspector: episode ${episodeId} has no critic values: ${values.reason}`);
    this.post({ type: 'criticValues', pending: false, values });
  }

  private async pickCritics(episodeId: number): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      title: 'Critic checkpoint: an offline-RL training folder (or its critics.pt)',
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      filters: { 'Critic checkpoint': ['pt'] },
    });
    if (picked?.[0]) await this.scoreWith(episodeId, picked[0].fsPath);
  }

  /** While an episode shown is still running and the panel is visible: fetch it again each second. */
  private follow(): void {
    clearTimeout(this.timer);
    if (this.isDisposed || !this.panel.visible || !this.episodes.some((e) => e.status === 'running')) return;
    this.timer = setTimeout(async () => {
      try {
        const fresh = await Promise.all(
          this.episodes.map((e) => this.ctx.runtime.request('dataset/getEpisode', { episodeId: e.id, ...databaseParam() })),
        );
        const grown = fresh.some(
          (e, i) =>
            e.steps.length !== this.episodes[i]!.steps.length ||
            e.status !== this.episodes[i]!.status ||
            e.modelCalls.length !== this.episodes[i]!.modelCalls.length,
        );
        this.episodes = fresh;
        if (grown) this.post({ type: 'episodes', episodes: fresh });
      } catch (error) {
        this.ctx.log.warn(`inspector: could not refresh a running episode: ${(error as Error).message}`);
      }
      this.follow();
    }, FOLLOW_MS);
  }

  /** Quick pick of episodes to compare with: the same task and variation first (e.g. STEP-HRL vs ReAct), then the rest. */
  private async compare(episodeId: number): Promise<void> {
    const main = this.episodes.find((e) => e.id === episodeId) ?? this.episodes[0];
    if (!main) return;
    const { episodes } = await this.ctx.runtime.request('dataset/listEpisodes', {
      filter: { env: main.env, tasks: [main.task] },
      ...databaseParam(),
    });
    const same = (e: EpisodeSummary) => e.variation === main.variation && e.game === main.game;
    const items = episodes
      .filter((e) => e.id !== main.id)
      .sort((a, b) => Number(same(b)) - Number(same(a)) || b.id - a.id)
      .map((e) => ({
        label: `#${e.id} ${e.agent}`,
        description: `${e.task}${e.variation !== null ? ` v${e.variation}` : ''} · score ${e.score}${e.won ? ' · won' : ''} · ${e.stepCount} steps`,
        detail: [
          e.source,
          e.model?.split('/').pop(),
          e.adapter ? `adapter ${e.adapter.split('/').pop()}` : undefined,
          same(e) ? 'same episode' : undefined,
        ]
          .filter(Boolean)
          .join(' · '),
        id: e.id,
      }));
    if (!items.length) return void vscode.window.showInformationMessage(`No other episode of ${main.task} to compare with.`);
    const pick = await vscode.window.showQuickPick(items, {
      title: `Compare episode #${main.id} with`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (pick) await this.load([main.id, pick.id]);
  }

  override dispose(): void {
    if (InspectorPanel.current === this) InspectorPanel.current = undefined;
    super.dispose();
  }
}
