/** The runtime status webview: what the runtime found (Node, Python, Java, ALFWorld data) and how to fix what is missing. */
import * as vscode from 'vscode';
import { checkMessage, VIEW_MESSAGES } from '../../runtime/src/protocol/webview';
import type { RuntimeClient } from './runtime-client';
import { webviewHtml } from './webview-html';

export class StatusPanel {
  private static current: StatusPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  static show(context: vscode.ExtensionContext, runtime: RuntimeClient, log: vscode.LogOutputChannel): void {
    if (StatusPanel.current) return StatusPanel.current.panel.reveal();
    const panel = vscode.window.createWebviewPanel('stephrl.status', 'STEP-HRL Runtime', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')],
    });
    StatusPanel.current = new StatusPanel(panel, context, runtime, log);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    private readonly runtime: RuntimeClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.webview.html = webviewHtml(panel.webview, context.extensionUri, 'status');
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((raw) => this.receive(raw), null, this.disposables);
    runtime.onDidChangeState(() => void this.refresh(), null, this.disposables);
  }

  private receive(raw: unknown): void {
    const checked = checkMessage(VIEW_MESSAGES.status.toHost, raw);
    if (!checked.ok) return this.log.warn(`ignored an invalid webview message: ${checked.reason}`);
    if (checked.message.type === 'showLogs') this.log.show();
    else void this.refresh();
  }

  private async refresh(): Promise<void> {
    const state = this.runtime.currentState;
    let health;
    let message = state;
    if (state === 'ready') {
      try {
        health = await this.runtime.request('runtime/health', {});
      } catch (error) {
        message = (error as Error).message as typeof state;
      }
    }
    void this.panel.webview.postMessage(VIEW_MESSAGES.status.toView.parse({ type: 'runtimeStatus', state, message, health }));
  }

  private dispose(): void {
    StatusPanel.current = undefined;
    for (const d of this.disposables) d.dispose();
  }
}
