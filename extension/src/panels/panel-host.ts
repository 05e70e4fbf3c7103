/**
 * What every webview panel (inspector, curves, annotator) shares: the panel with the CSP shell, messages from the
 * webview validated before any handler sees them, messages to it validated before they leave, the view's state kept
 * for reopening after a reload (a WebviewPanelSerializer hands it back), and the dataset file from the settings.
 */
import * as vscode from 'vscode';
import { checkMessage, ViewState, VIEW_MESSAGES, type ToHost, type ToView, type WebviewView } from '../../../runtime/src/protocol/webview';
import type { RuntimeClient } from '../runtime-client';
import { webviewHtml } from '../webview-html';

export interface PanelContext {
  extension: vscode.ExtensionContext;
  runtime: RuntimeClient;
  log: vscode.LogOutputChannel;
}

export function createPanel(ctx: PanelContext, view: WebviewView, title: string, column = vscode.ViewColumn.Active): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(`stephrl.${view}`, title, column, {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webview')],
  });
}

/** The views a panel hosts (the status view has its own small panel). */
export type PanelView = Exclude<WebviewView, 'status'>;

export abstract class PanelHost<V extends PanelView> implements vscode.Disposable {
  protected readonly disposables: vscode.Disposable[] = [];
  protected state: ViewState;
  private disposed = false;

  protected constructor(
    protected readonly panel: vscode.WebviewPanel,
    protected readonly ctx: PanelContext,
    private readonly view: V,
    state: ViewState,
  ) {
    this.state = state;
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webview')] };
    panel.webview.html = webviewHtml(panel.webview, ctx.extension.extensionUri, view);
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((raw) => this.receive(raw), null, this.disposables);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Handles one validated message from this view ('state' is handled here). */
  protected abstract onMessage(message: Exclude<ToHost<V>, { type: 'state' }>): void | Promise<void>;

  protected post(message: ToView<V>): void {
    if (!this.disposed) void this.panel.webview.postMessage(VIEW_MESSAGES[this.view].toView.parse(message));
  }

  /** Reports a failed runtime request in the log and as a notification, once. */
  protected fail(what: string, error: unknown): void {
    const text = `${what}: ${(error as Error).message ?? String(error)}`;
    this.ctx.log.error(text);
    void vscode.window.showErrorMessage(text);
  }

  private receive(raw: unknown): void {
    const checked = checkMessage<ToHost<V>>(VIEW_MESSAGES[this.view].toHost as never, raw);
    if (!checked.ok) return this.ctx.log.warn(`ignored an invalid ${this.view} message: ${checked.reason}`);
    const message = checked.message;
    if (message.type === 'state') {
      this.state = (message as Extract<ToHost<V>, { type: 'state' }>).state;
      return;
    }
    Promise.resolve(this.onMessage(message as Exclude<ToHost<V>, { type: 'state' }>)).catch((error) => this.fail(`STEP-HRL ${message.type}`, error));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

/** Reopens a view's panels after a reload with the state they saved (invalid state: start empty). */
export function registerPanelSerializer(view: WebviewView, revive: (panel: vscode.WebviewPanel, state: ViewState) => void): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(`stephrl.${view}`, {
    async deserializeWebviewPanel(panel, state: unknown) {
      const parsed = ViewState.safeParse(state ?? {});
      revive(panel, parsed.success ? parsed.data : {});
    },
  });
}
