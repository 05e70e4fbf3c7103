/**
 * The HTML shell of every webview: strict CSP with a nonce, only the extension's own bundled script and style.
 * Pure (no vscode import) so that the browser tests serve exactly what the editor shows.
 */
import type { WebviewView } from './webview';

export interface WebviewShell {
  view: WebviewView;
  /** The webview's resource origin (webview.cspSource). */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function webviewShellHtml({ view, cspSource, scriptUri, styleUri, nonce }: WebviewShell): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<title>STEP-HRL</title>
</head>
<body data-view="${view}">
<main id="app"></main>
<script type="module" nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
