/**
 * Webview benchmark: the training-curves view in headless Chromium (Debian's /usr/bin/chromium, or
 * $STEPHRL_CHROMIUM), served exactly as VS Code shows it (the same shell and CSP, the built dist/webview bundle, a
 * stand-in acquireVsCodeApi), measured inside the page:
 * - first render: a 100 000-point curve sent as the host sends it (chunks of 50 000 points in `metricPoints`
 *   messages) until the chart has drawn all of it: message validation, storage, smoothing, uPlot's first draw;
 * - live append: 100 points appended to that curve, 100 times: the median time from the host's message to the
 *   redrawn chart (which includes waiting for the next animation frame), and the median of the view's own work
 *   (smoothing, setData and uPlot's draw).
 *
 * Self-contained (no test code): playwright-core is loaded at run time, so the runtime bundle does not carry it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { webviewShellHtml } from '../protocol/webview-html';
import type { EpisodeDetail } from '../protocol/dataset';

// The callbacks given to page.evaluate below run in Chromium, not in Node. The runtime is compiled without the DOM's
// types (so that no browser global creeps into it), so the little of the page they use is declared here, for this
// file alone.
interface PageNode {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
}
interface PageElement extends PageNode {
  readonly shadowRoot: PageNode;
  click(): void;
  addEventListener(type: string, listener: (event: Event) => void, options?: { once?: boolean }): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}
type HTMLElement = PageElement;
type ShadowRoot = PageNode;
declare const document: PageNode;
declare const window: { postMessage(message: unknown, targetOrigin: string): void };
declare function requestAnimationFrame(callback: () => void): number;

export interface WebviewCurvesBenchOptions {
  /** Points of the curve (default 100 000). */
  points?: number;
  /** Appends measured (default 100) and points per append (default 100). */
  appends?: number;
  appendSize?: number;
  /** First renders measured, each in a fresh page (default 3; the median is reported). */
  renders?: number;
  /** Rebuild the webview bundle first (default: only when dist/webview/main.js is missing). */
  build?: boolean;
  chromium?: string;
}

export interface WebviewCurvesBenchResult {
  suite: 'webview-curves';
  chromium: string;
  points: number;
  chunkPoints: number;
  /**
   * Messages sent to the chart drawn with every point; `drawMedianMs`: of that, the view's own work after the messages
   * were validated and stored (smoothing, setData, uPlot's draws; `draws` frames: the chunks may land in one or two).
   */
  firstRender: { medianMs: number; samplesMs: number[]; drawMedianMs: number; draws: number };
  append: {
    appends: number;
    pointsPerAppend: number;
    /** Host message to redrawn chart (includes waiting for the animation frame). */
    medianMs: number;
    p95Ms: number;
    /** The view's work per append: smoothing, setData and uPlot's draw. */
    workMedianMs: number;
    workP95Ms: number;
    rowsAfter: number;
  };
}

const CHUNK = 50_000;

function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'stephrl-studio') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (package.json of stephrl-studio)');
    dir = up;
  }
}

async function serve(distDir: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const view = url.pathname.match(/^\/view\/(curves|inspector)$/)?.[1] as 'curves' | 'inspector' | undefined;
    if (view) {
      const origin = `http://${req.headers.host}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(webviewShellHtml({ view, cspSource: origin, scriptUri: `${origin}/main.js`, styleUri: `${origin}/main.css`, nonce: `n${Date.now()}` }));
      return;
    }
    const file = path.join(distDir, path.basename(url.pathname));
    if (!/^\/main\.(js|css)$/.test(url.pathname) || !fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The stand-in for VS Code's webview API and a dark theme's chart colours (a string: nothing to serialise). */
const INIT_SCRIPT = `(() => {
  // Run from source under tsx, the functions given to page.evaluate are compiled with esbuild's keepNames and call this.
  window.__name = (f) => f;
  const posted = [];
  window.__posted = posted;
  window.acquireVsCodeApi = () => ({ postMessage: (m) => posted.push(m), getState: () => undefined, setState: () => {} });
  const vars = { '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f', '--vscode-charts-lines': 'rgba(204,204,204,0.5)',
    '--vscode-charts-blue': '#3794ff', '--vscode-charts-red': '#f14c4c', '--vscode-font-family': 'sans-serif' };
  const apply = () => { for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v); };
  if (document.documentElement) apply();
  else { const o = new MutationObserver(() => { if (document.documentElement) { o.disconnect(); apply(); } }); o.observe(document, { childList: true }); }
})();`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))] ?? NaN;
const round = (x: number) => Math.round(x * 100) / 100;

type PlaywrightBrowser = import('playwright-core').Browser;

/** Builds the bundle when missing, serves it, starts headless Chromium; closes both after `body`. */
async function withChromium<T>(
  chromiumGiven: string | undefined,
  body: (browser: PlaywrightBrowser, origin: string) => Promise<T>,
  build = false,
): Promise<T> {
  const chromiumPath = chromiumGiven ?? process.env.STEPHRL_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (apt-get install chromium, or set STEPHRL_CHROMIUM)`);
  const root = repoRoot();
  const distDir = path.join(root, 'dist', 'webview');
  if (build || !fs.existsSync(path.join(distDir, 'main.js'))) {
    execFileSync(process.execPath, [path.join(root, 'runtime', 'build', 'build.mjs')], { cwd: root, stdio: 'pipe' });
  }
  // A computed specifier: esbuild leaves the import to run time (playwright-core is a development dependency).
  const playwrightModule = 'playwright-core';
  const { chromium } = (await import(playwrightModule)) as typeof import('playwright-core');
  const server = await serve(distDir);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    return await body(browser, server.origin);
  } finally {
    await browser.close();
    await server.close();
  }
}

/** A fresh page with the view loaded and ready (its 'ready' posted); page errors are collected. */
async function openBenchPage(browser: PlaywrightBrowser, origin: string, view: 'curves' | 'inspector') {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(INIT_SCRIPT);
  await page.goto(`${origin}/view/${view}`);
  await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'ready'));
  return { context, page, errors };
}

/** Measures the training-curves view; see the file's comment. */
export async function benchWebviewCurves(options: WebviewCurvesBenchOptions = {}): Promise<WebviewCurvesBenchResult> {
  const points = options.points ?? 100_000;
  const appends = options.appends ?? 100;
  const appendSize = options.appendSize ?? 100;
  const renders = options.renders ?? 3;
  return withChromium(
    options.chromium,
    async (browser, origin) => {
      const renderSamples: number[] = [];
      const drawSamples: number[] = [];
      const drawCounts: number[] = [];
      let appendResult: WebviewCurvesBenchResult['append'] | undefined;
      for (let r = 0; r < renders; r++) {
        const { context, page, errors } = await openBenchPage(browser, origin, 'curves');
        const first = await page.evaluate(
          async ({ points, chunk }) => {
            const view = document.querySelector('stephrl-curves') as HTMLElement & {
              debugInfo(): { charts: Array<{ series: Array<{ rows: number }> }> };
            };
            const runs = [
              {
                id: 1,
                kind: 'train',
                name: 'bench-bc',
                status: 'running',
                error: null,
                config: {},
                startedAt: '2025-01-01T00:00:00Z',
                updatedAt: '2025-01-01T00:00:00Z',
                finishedAt: null,
                metrics: { loss: 1 },
              },
            ];
            window.postMessage({ type: 'runs', runs, selected: [1] }, '*');
            await new Promise((r) => setTimeout(r, 50));
            // A training loss: exponential decay with noise, one point per optimizer step.
            let seed = 7;
            const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
            const all = Array.from({ length: points }, (_, i) => ({
              step: i + 1,
              name: 'loss',
              value: 0.4 + 2.2 * Math.exp(-i / (points / 6)) + 0.2 * (rnd() - 0.5),
            }));
            const rows = () => view.debugInfo().charts[0]?.series[0]?.rows ?? 0;
            // As the host sends them: chunks as columns (protocol/metric-columns.ts), built before the clock starts.
            const messages: unknown[] = [];
            for (let i = 0; i < points; i += chunk) {
              const part = all.slice(i, i + chunk);
              messages.push({
                type: 'metricPoints',
                runId: 1,
                columns: { names: ['loss'], step: part.map((p) => p.step), name: part.map(() => 0), value: part.map((p) => p.value) },
                reset: i === 0,
              });
            }
            const started = performance.now();
            const flushes: number[] = [];
            const drawn = new Promise<void>((resolve) => {
              const check = (e: Event) => {
                flushes.push((e as CustomEvent<{ ms: number }>).detail.ms);
                if (rows() >= points) {
                  view.removeEventListener('curves-drawn', check);
                  resolve();
                }
              };
              view.addEventListener('curves-drawn', check);
            });
            for (const message of messages) window.postMessage(message, '*');
            await drawn;
            return { ms: performance.now() - started, drawMs: flushes.reduce((a, b) => a + b, 0), draws: flushes.length };
          },
          { points, chunk: CHUNK },
        );
        renderSamples.push(first.ms);
        drawSamples.push(first.drawMs);
        drawCounts.push(first.draws);
        if (r === 0) {
          const measured = await page.evaluate(
            async ({ points, appends, appendSize }) => {
              const view = document.querySelector('stephrl-curves') as HTMLElement & {
                debugInfo(): { charts: Array<{ series: Array<{ rows: number }> }> };
              };
              const total: number[] = [];
              const work: number[] = [];
              let step = points;
              for (let a = 0; a < appends; a++) {
                const batch = Array.from({ length: appendSize }, () => ({ step: ++step, name: 'loss', value: 0.4 + 0.1 * Math.random() }));
                // Start on a fresh frame, as a poll answer would arrive at any time.
                await new Promise((r) => requestAnimationFrame(() => setTimeout(r, Math.random() * 16)));
                const started = performance.now();
                const detail = await new Promise<{ ms: number }>((resolve) => {
                  view.addEventListener('curves-drawn', (e) => resolve((e as CustomEvent<{ ms: number }>).detail), { once: true });
                  window.postMessage(
                    {
                      type: 'metricPoints',
                      runId: 1,
                      columns: { names: ['loss'], step: batch.map((p) => p.step), name: batch.map(() => 0), value: batch.map((p) => p.value) },
                      reset: false,
                    },
                    '*',
                  );
                });
                total.push(performance.now() - started);
                work.push(detail.ms);
              }
              return { total, work, rows: view.debugInfo().charts[0]?.series[0]?.rows ?? 0 };
            },
            { points, appends, appendSize },
          );
          appendResult = {
            appends,
            pointsPerAppend: appendSize,
            medianMs: round(median(measured.total)),
            p95Ms: round(p95(measured.total)),
            workMedianMs: round(median(measured.work)),
            workP95Ms: round(p95(measured.work)),
            rowsAfter: measured.rows,
          };
        }
        await context.close();
        if (errors.length) throw new Error(`the curves view failed in Chromium: ${errors.join('; ')}`);
      }
      return {
        suite: 'webview-curves' as const,
        chromium: browser.version(),
        points,
        chunkPoints: CHUNK,
        firstRender: {
          medianMs: round(median(renderSamples)),
          samplesMs: renderSamples.map(round),
          drawMedianMs: round(median(drawSamples)),
          draws: Math.max(...drawCounts),
        },
        append: appendResult!,
      };
    },
    options.build,
  );
}

export interface WebviewEpisodeBenchResult {
  suite: 'webview-episode';
  chromium: string;
  episode: { source: string; steps: number; subtasks: number };
  /** Host message to the tree drawn (subtasks open, steps listed), median of `renders` fresh pages. */
  firstRender: { medianMs: number; samplesMs: number[] };
  /** Every step opened (observations, progress diffs, model calls) after the first render. */
  expandAll: { medianMs: number; samplesMs: number[] };
}

/**
 * The inspector: time from the host's `episodes` message to the drawn tree of a 50-step episode (the first 50 steps
 * of a real ScienceWorld expert episode with its rule annotation, test/fixtures/webview), then to every step opened.
 */
export async function benchWebviewEpisode(options: { steps?: number; renders?: number; chromium?: string } = {}): Promise<WebviewEpisodeBenchResult> {
  const steps = options.steps ?? 50;
  const renders = options.renders ?? 5;
  const root = repoRoot();
  const full = JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', 'webview', 'scienceworld-expert-long.json'), 'utf8')) as EpisodeDetail;
  if (full.steps.length < steps) throw new Error(`the fixture episode has ${full.steps.length} steps, fewer than ${steps}`);
  const episode: EpisodeDetail = {
    ...full,
    steps: full.steps.slice(0, steps),
    progress: full.progress.filter((p) => p.step < steps),
    subtasks: full.subtasks.filter((s) => s.firstStep < steps).map((s) => ({ ...s, lastStep: Math.min(s.lastStep, steps - 1) })),
  };
  return withChromium(options.chromium, async (browser, origin) => {
    const first: number[] = [];
    const expand: number[] = [];
    for (let r = 0; r < renders; r++) {
      const { context, page, errors } = await openBenchPage(browser, origin, 'inspector');
      const t = await page.evaluate(
        async ({ episode, steps }) => {
          const view = document.querySelector('stephrl-inspector') as HTMLElement & { updateComplete: Promise<boolean>; shadowRoot: ShadowRoot };
          const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
          const started = performance.now();
          window.postMessage({ type: 'episodes', episodes: [episode] }, '*');
          while (view.shadowRoot.querySelectorAll('.step').length < steps) await new Promise((resolve) => setTimeout(resolve, 0));
          await view.updateComplete;
          await frame();
          const rendered = performance.now() - started;
          const again = performance.now();
          (view.shadowRoot.querySelector('#expand') as HTMLElement).click();
          await view.updateComplete;
          await frame();
          if (view.shadowRoot.querySelectorAll('.step pre.observation').length < steps) throw new Error('not every step opened');
          return { rendered, expanded: performance.now() - again };
        },
        { episode, steps },
      );
      first.push(t.rendered);
      expand.push(t.expanded);
      await context.close();
      if (errors.length) throw new Error(`the inspector failed in Chromium: ${errors.join('; ')}`);
    }
    return {
      suite: 'webview-episode' as const,
      chromium: browser.version(),
      episode: { source: `${episode.env} ${episode.task} (${episode.agent})`, steps: episode.steps.length, subtasks: episode.subtasks.length },
      firstRender: { medianMs: round(median(first)), samplesMs: first.map(round) },
      expandAll: { medianMs: round(median(expand)), samplesMs: expand.map(round) },
    };
  });
}
