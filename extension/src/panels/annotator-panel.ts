/** The annotator panel: the webview, with its host logic in AnnotatorSession (edits stored through the runtime). */
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { ToHost, ViewState } from '../../../runtime/src/protocol/webview';
import { AnnotatorSession } from './annotator-session';
import { PanelHost, createPanel, type PanelContext } from './panel-host';
import { databaseParam } from '../settings';

export class AnnotatorPanel extends PanelHost<'annotator'> {
  private static current: AnnotatorPanel | undefined;
  private readonly session: AnnotatorSession;

  /** Opens an episode in the annotator (reusing its panel); without one, the first unreviewed demonstration. */
  static async show(ctx: PanelContext, episodeId?: number): Promise<void> {
    const current = AnnotatorPanel.current && !AnnotatorPanel.current.isDisposed ? AnnotatorPanel.current : undefined;
    const id = episodeId ?? (await (current ?? new AnnotatorSession(sessionOptions(ctx, () => undefined))).nextUnreviewed(undefined));
    if (id === undefined)
      return void vscode.window.showInformationMessage('Every annotated demonstration is reviewed. Collect or annotate more from the Datasets view.');
    if (current) {
      current.panel.reveal();
      await current.session.open(id);
      current.panel.title = `Annotate #${id}`;
      return;
    }
    AnnotatorPanel.current = new AnnotatorPanel(createPanel(ctx, 'annotator', 'STEP-HRL Annotator'), ctx, { episodeIds: [id] });
  }

  static revive(panel: vscode.WebviewPanel, ctx: PanelContext, state: ViewState): void {
    AnnotatorPanel.current = new AnnotatorPanel(panel, ctx, state);
  }

  private constructor(panel: vscode.WebviewPanel, ctx: PanelContext, state: ViewState) {
    super(panel, ctx, 'annotator', state);
    this.session = new AnnotatorSession(sessionOptions(ctx, (m) => this.post(m)));
    this.session.episodeId = state.episodeIds?.[0];
  }

  nextUnreviewed(after: number | undefined): Promise<number | undefined> {
    return this.session.nextUnreviewed(after);
  }

  protected async onMessage(message: Exclude<ToHost<'annotator'>, { type: 'state' }>): Promise<void> {
    await this.session.handle(message);
    if (this.session.episodeId !== undefined) {
      this.state = { ...this.state, episodeIds: [this.session.episodeId] };
      this.panel.title = `Annotate #${this.session.episodeId}`;
    }
  }

  override dispose(): void {
    if (AnnotatorPanel.current === this) AnnotatorPanel.current = undefined;
    super.dispose();
  }
}

function sessionOptions(
  ctx: PanelContext,
  post: ConstructorParameters<typeof AnnotatorSession>[0]['post'],
): ConstructorParameters<typeof AnnotatorSession>[0] {
  return {
    request: (name, params) => ctx.runtime.request(name, params),
    post,
    actor: `user:${os.userInfo().username}`,
    db: databaseParam,
    onError: (what, error) => {
      ctx.log.error(`${what}: ${(error as Error).message}`);
      void vscode.window.showErrorMessage(`${what}: ${(error as Error).message}`);
    },
    inform: (text) => void vscode.window.showInformationMessage(text),
  };
}
