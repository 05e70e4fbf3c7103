/** The HTML of a webview panel: the shared shell with this webview's resource URIs and a fresh nonce. */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { WebviewView } from '../../runtime/src/protocol/webview';
import { webviewShellHtml } from '../../runtime/src/protocol/webview-html';

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, view: WebviewView): string {
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name)).toString();
  return webviewShellHtml({
    view,
    cspSource: webview.cspSource,
    scriptUri: asset('main.js'),
    styleUri: asset('main.css'),
    nonce: randomBytes(16).toString('base64'),
  });
}
