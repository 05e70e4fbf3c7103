/** Webview entry: renders the view named by <body data-view>, from messages validated against the shared protocol. */
import './main.css';
import { HostToWebview, type WebviewToHost } from '../../runtime/src/protocol/webview';
import { renderStatus } from './status-view';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

window.addEventListener('message', (event: MessageEvent) => {
  const message = HostToWebview.safeParse(event.data);
  if (!message.success) {
    console.warn('ignored an invalid message from the host', message.error.message);
    return;
  }
  if (message.data.type === 'runtimeStatus') renderStatus(app, message.data, (m) => vscode.postMessage(m));
});

vscode.postMessage({ type: 'ready' });
