/**
 * Runs a built webview in headless Chromium as VS Code would: the same HTML shell and CSP (webviewShellHtml), the
 * bundle from dist/webview, the theme's CSS variables, and a stand-in for `acquireVsCodeApi` that records what the
 * view posts and keeps its state. Every CSP violation, page error and console error is collected: tests assert
 * there are none.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostToWebview, WebviewToHost, WebviewView } from '../../runtime/src/protocol/webview';
import { webviewShellHtml } from '../../runtime/src/protocol/webview-html';
import { THEMES, type ThemeName } from './themes';

const root = path.resolve(__dirname, '..', '..');
const distDir = path.join(root, 'dist', 'webview');
export const ARTIFACTS = path.join(root, 'test-results', 'webview');

export const CHROMIUM = process.env.STEPHRL_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let built = false;
/** Builds the bundles once per test process (esbuild: about a second). */
export function buildWebview(): void {
  if (built) return;
  execFileSync(process.execPath, [path.join(root, 'runtime', 'build', 'build.mjs')], { cwd: root, stdio: 'pipe' });
  built = true;
}

/** Serves dist/webview and the view's shell on 127.0.0.1 (a fresh nonce per page load). */
export async function serveWebview(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end(); // browsers ask for one; webviews have none
      return;
    }
    const view = url.pathname.match(/^\/view\/(\w+)$/)?.[1];
    if (view) {
      const origin = `http://${req.headers.host}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        webviewShellHtml({
          view: view as WebviewView,
          cspSource: origin,
          scriptUri: `${origin}/main.js`,
          styleUri: `${origin}/main.css`,
          nonce: `n${Date.now()}${Math.random().toString(36).slice(2)}`,
        }),
      );
      return;
    }
    const file = path.join(distDir, path.normalize(url.pathname).replace(/^[/\\]+/, ''));
    if (!file.startsWith(distDir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.js')
      ? 'text/javascript'
      : file.endsWith('.css')
        ? 'text/css'
        : file.endsWith('.map')
          ? 'application/json'
          : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: npm test's set-up installs Debian's chromium (or set STEPHRL_CHROMIUM)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}

export interface WebviewPage {
  page: Page;
  /** CSP violations, page errors and console errors, as text. */
  problems: string[];
  /** Messages the view posted to the host so far. */
  posted(): Promise<WebviewToHost[]>;
  /** Waits until the view has posted a message of this type (and returns it). */
  waitForPosted<T extends WebviewToHost['type']>(type: T, timeoutMs?: number): Promise<Extract<WebviewToHost, { type: T }>>;
  /** Sends a message from the host (as webview.postMessage does). */
  send(message: HostToWebview | Record<string, unknown>): Promise<void>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Opens a view in a fresh page with the given theme and saved state; waits for its 'ready'. */
export async function openView(
  browser: Browser,
  origin: string,
  view: WebviewView,
  options: { theme?: ThemeName; state?: unknown; width?: number; height?: number } = {},
): Promise<WebviewPage> {
  const theme = THEMES[options.theme ?? 'dark'];
  const context = await browser.newContext({ viewport: { width: options.width ?? 1200, height: options.height ?? 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  // tsx keeps function names with an `__name` helper, which functions sent to the page then call: give the page one.
  await page.addInitScript({ content: 'window.__name = (f) => f;' });
  // Runs before the view's own script: the stand-in API, the theme, and a CSP violation recorder.
  await page.addInitScript(
    ({ vars, bodyClass, state }) => {
      const w = window as unknown as Record<string, unknown>;
      const posted: unknown[] = [];
      let saved = state;
      w.__posted = posted;
      w.__violations = [];
      w.acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))),
        getState: () => saved,
        setState: (s: unknown) => (saved = s),
      });
      document.addEventListener('securitypolicyviolation', (e) => {
        (w.__violations as string[]).push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
      });
      document.addEventListener('DOMContentLoaded', () => {
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
        document.body.classList.add(bodyClass);
      });
    },
    { vars: theme.vars, bodyClass: theme.bodyClass, state: options.state },
  );
  await page.goto(`${origin}/view/${view}`);
  const posted = () => page.evaluate(() => (window as unknown as { __posted: WebviewToHost[] }).__posted);
  const waitForPosted = async <T extends WebviewToHost['type']>(type: T, timeoutMs = 10_000) => {
    const handle = await page.waitForFunction(
      (t) => (window as unknown as { __posted: Array<{ type: string }> }).__posted.findLast((m) => m.type === t),
      type,
      { timeout: timeoutMs },
    );
    return (await handle.jsonValue()) as Extract<WebviewToHost, { type: T }>;
  };
  await waitForPosted('ready');
  return {
    page,
    problems,
    posted,
    waitForPosted,
    send: (message) => page.evaluate((m) => window.postMessage(m, '*'), message as Record<string, unknown>),
    screenshot: async (name) => {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: async () => {
      const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations).catch(() => []);
      problems.push(...violations.map((v) => `CSP violation: ${v}`));
      await context.close();
    },
  };
}
