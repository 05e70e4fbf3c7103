/**
 * End to end, as a user meets the extension: the packed .vsix installed into a real VS Code workbench (code-server),
 * driven through a real browser (Debian's chromium, via playwright-core). The runtime is set up with "STEP-HRL: Set Up
 * Runtime" (what an installed .vsix does: npm dependencies next to the extension, Python environment and models in
 * its global storage), then "STEP-HRL: Evaluate Agent" runs one ScienceWorld episode with a tiny random model through
 * its quick picks, and the Runs view must show the run finished with its score.
 *
 *   node --import tsx --test test/e2e/workbench.test.ts
 *
 * Any error notification in the workbench fails the test with its text; every wait has a deadline, and a failure
 * leaves a screenshot (failure-N.png). Screenshots, timings.json (phases, notifications) and the logs (the
 * extension's, the extension host's, code-server's) land in test-results/e2e/. Set-up: test/e2e/workbench-setup.mjs.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

const root = path.resolve(__dirname, '..', '..');
const results = path.join(root, 'test-results', 'e2e');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-e2e-'));
const userDataDir = path.join(tmp, 'user-data');
const extensionsDir = path.join(tmp, 'extensions');
const workspace = path.join(tmp, 'workspace');
const tinyModel = path.join(tmp, 'tiny.gguf');
const vsix = path.join(tmp, 'stephrl-studio.vsix');

/** Deadlines per phase (2 CPU cores, download caches warm). */
const LIMITS = {
  codeServerStart: 60_000,
  workbench: 90_000,
  runtimeSetUp: 360_000,
  runtimeReady: 60_000,
  evaluation: 180_000,
};

// ---------------------------------------------------------------------------------------------------------------
// Bookkeeping: phases with their durations, notifications seen in the workbench.

const timings: Record<string, number> = {};
/** Console messages of the page and its frames (webviews) that report a Content Security Policy violation. */
const cspViolations: string[] = [];
const log = (message: string) => console.log(`[e2e] ${message}`);

async function phase<T>(name: string, action: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  log(`${name}: started`);
  try {
    return await action();
  } finally {
    timings[name] = Math.round((Date.now() - started) / 100) / 10;
    log(`${name}: ${timings[name]} s`);
  }
}

interface Notification {
  severity: 'error' | 'warning' | 'info';
  text: string;
  /** Seconds since the test started. */
  at: number;
}
const notifications: Notification[] = [];
const started = Date.now();

function errorNotifications(): Notification[] {
  return notifications.filter((n) => n.severity === 'error');
}

function describeNotifications(): string {
  return notifications.map((n) => `  ${n.at.toFixed(1)} s ${n.severity}: ${n.text}`).join('\n') || '  (none)';
}

// ---------------------------------------------------------------------------------------------------------------
// Processes: code-server (its own process group) and Chromium (owned by playwright). Both end in `after`.

let codeServer: ChildProcess | undefined;
let browser: BrowserContext | undefined;
const codeServerLog = path.join(tmp, 'code-server.log');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Processes this test started that outlive their parents: the runtime's Python workers (own process groups). */
function leftoverPids(): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (environ.includes(tmp) || cmdline.includes(tmp)) pids.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

async function stopEverything(): Promise<void> {
  await browser?.close().catch(() => {});
  browser = undefined;
  const child = codeServer;
  codeServer = undefined;
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = new Promise<void>((resolve) => setTimeout(resolve, 5000));
    await Promise.race([exited, timer]);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  const left = leftoverPids();
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  if (left.length) log(`stopped ${left.length} leftover processes (${left.join(', ')})`);
}

after(async () => {
  await stopEverything();
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(path.join(results, 'timings.json'), `${JSON.stringify({ seconds: timings, notifications }, null, 2)}\n`);
  // The extension's log, the extension host's and code-server's, for whoever reads the results.
  for (const [name, file] of Object.entries(logFiles())) fs.copyFileSync(file, path.join(results, name));
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------
// The workbench, through the page.

/** Polls `check` until it returns a value; fails at once on an error notification, and at the deadline. */
async function waitFor<T>(page: Page, what: string, timeoutMs: number, check: () => Promise<T | undefined | null | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const errors = errorNotifications();
    if (errors.length) await fail(page, what, `an error notification appeared: ${errors.map((e) => e.text).join(' | ')}`);
    // A locator not there yet is not a failure; a failure found by the check is.
    const value = await check().catch((error: unknown) => {
      if (error instanceof E2eFailure) throw error;
      return undefined;
    });
    if (value) return value;
    if (Date.now() > deadline) await fail(page, what, `timed out after ${timeoutMs / 1000} s`);
    await page.waitForTimeout(500);
  }
}

class E2eFailure extends Error {}

let failures = 0;
async function fail(page: Page, what: string, why: string): Promise<never> {
  const shot = path.join(results, `failure-${++failures}.png`);
  await page.screenshot({ path: shot }).catch(() => {});
  const extensionLog = logFiles()['STEP-HRL.log'];
  const tail = extensionLog ? fs.readFileSync(extensionLog, 'utf8').trim().split('\n').slice(-25).join('\n') : '(no STEP-HRL log)';
  throw new E2eFailure(`${what}: ${why}\nscreenshot: ${shot}\nnotifications:\n${describeNotifications()}\nSTEP-HRL log (last lines):\n${tail}`);
}

/** The extension's output channel log and code-server's own log, by the names they are saved under. */
function logFiles(): Record<string, string> {
  const found: Record<string, string> = {};
  if (fs.existsSync(codeServerLog)) found['code-server.log'] = codeServerLog;
  const walk = (dir: string): void => {
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name === 'STEP-HRL.log' || entry.name === 'exthost.log' || entry.name === 'remoteexthost.log') found[entry.name] = file;
    }
  };
  walk(path.join(userDataDir, 'logs'));
  return found;
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(results, `${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${path.relative(root, file)}`);
}

/** Reports every notification (toasts and the notification centre) as it appears or changes its text. */
async function watchNotifications(page: Page): Promise<void> {
  await page.exposeFunction('__stephrlE2eNotification', (severity: Notification['severity'], text: string) => {
    notifications.push({ severity, text, at: Math.round((Date.now() - started) / 100) / 10 });
    log(`notification (${severity}): ${text}`);
  });
  // A string, not a function: tsx's transform would wrap named functions in a helper the page does not have.
  await page.addInitScript(NOTIFICATION_WATCHER);
}

const NOTIFICATION_WATCHER = `(() => {
  const seen = new Set();
  let pending = false;
  const scan = () => {
    pending = false;
    for (const item of document.querySelectorAll('.notification-list-item')) {
      const icon = item.querySelector('.notification-list-item-icon');
      const severity = icon?.classList.contains('codicon-error') ? 'error' : icon?.classList.contains('codicon-warning') ? 'warning' : 'info';
      const text = (item.querySelector('.notification-list-item-message')?.textContent ?? '').trim();
      if (!text || seen.has(severity + '|' + text)) continue;
      seen.add(severity + '|' + text);
      window.__stephrlE2eNotification(severity, text);
    }
  };
  const observe = () =>
    new MutationObserver(() => {
      if (pending) return;
      pending = true;
      setTimeout(scan, 100);
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  if (document.body) observe();
  else document.addEventListener('DOMContentLoaded', observe);
})();`;

/** Runs a command from the command palette by its full title ("STEP-HRL: Evaluate Agent"). */
async function runCommand(page: Page, title: string, shot?: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  if (!(await widget.isVisible())) await page.keyboard.press('F1');
  const input = widget.locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${title}`);
  const row = widget
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: title }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  if (shot) await screenshot(page, shot);
  await row.click();
}

/** Answers the quick pick titled `title` with the item labelled `label`. */
async function pick(page: Page, title: string, label: string, shot?: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 15_000 });
  const row = widget
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) });
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  if (shot) await screenshot(page, shot);
  await row.click();
}

/** Answers the input box titled `title` with `value`. */
async function answer(page: Page, title: string, value: string, shot?: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 15_000 });
  const input = widget.locator('.quick-input-box input');
  await input.fill(value);
  if (shot) await screenshot(page, shot);
  await input.press('Enter');
}

/** The extension's status bar item ("STEP-HRL", with the runtime's state as its icon). */
const statusItem = (page: Page): Locator => page.locator('.part.statusbar .statusbar-item', { hasText: 'STEP-HRL' }).first();

/** The Runs view's pane in the STEP-HRL side bar. */
const runsPane = (page: Page): Locator => page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^Runs/ }) });

/** The finished run as a user reads it in the Runs view: the run, finished, with its score and its metrics. */
async function checkFinishedRun(page: Page, runItem: Locator): Promise<string> {
  const label = (await runItem.locator('.label-name').innerText()).trim();
  const description = (await runItem.locator('.label-description').innerText()).trim();
  assert.equal(label, 'stephrl on scienceworld test');
  assert.match(description, /^complete · score \d+(\.\d)? \(1 episode\) · \d+ s$/, `the run's status and score: ${description}`);
  await runItem.hover();
  await page.locator('.monaco-hover', { hasText: 'eval/meanScore' }).waitFor({ state: 'visible', timeout: 10_000 }); // its metrics
  return `${label} | ${description}`;
}

/**
 * "Open Inspector" on the run's row (its inline action): the run's one episode opens in the inspector webview, which
 * shows the episode's subtask tree. Webviews live in nested iframes: the frame holding <stephrl-inspector> is found.
 */
async function openInspectorOnRun(page: Page, runItem: Locator): Promise<string> {
  await runItem.hover();
  await runItem.locator('.action-label[aria-label^="Open Inspector"]').click();
  const frame = await waitFor(page, 'the inspector webview', 60_000, async () => {
    for (const f of page.frames())
      if (
        await f
          .locator('stephrl-inspector h1')
          .count()
          .catch(() => 0)
      )
        return f;
    return undefined;
  });
  const title = (await frame.locator('stephrl-inspector h1').innerText()).trim();
  assert.match(title, /^#\d+ scienceworld \S+ v\d+ · stephrl$/, `the inspector's title: ${title}`);
  const steps = await frame.locator('stephrl-inspector .step').count();
  assert.ok(steps > 0, 'the episode shows its steps');
  await frame.locator('stephrl-inspector .step[data-step="0"] > details > summary').click();
  await frame.locator('stephrl-inspector .step[data-step="0"] .diff').waitFor();
  return `${title}, ${steps} steps`;
}

/**
 * "STEP-HRL: Open Training Curves" from the palette: the curves webview lists the evaluation run; ticking it plots its
 * figures (uPlot draws a canvas).
 */
async function openTrainingCurves(page: Page): Promise<string> {
  await runCommand(page, 'STEP-HRL: Open Training Curves');
  const frame = await waitFor(page, 'the curves webview with the run', 60_000, async () => {
    for (const f of page.frames())
      if (
        await f
          .locator('stephrl-curves .run-toggle')
          .count()
          .catch(() => 0)
      )
        return f;
    return undefined;
  });
  const toggle = frame.locator('stephrl-curves .run-toggle').first();
  if (!(await toggle.isChecked())) await toggle.check();
  await waitFor(page, 'a chart of the run', 30_000, async () => (await frame.locator('stephrl-curves .charts canvas').count()) > 0);
  return (await frame.locator('stephrl-curves .run-name').first().innerText()).trim();
}

/** Widens the side bar (drags its edge), so that a run's whole row, with its result, is readable. */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const x = box.x + box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(x - 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 10 });
  await page.mouse.up();
}

// ---------------------------------------------------------------------------------------------------------------

test('the packed extension sets up its runtime and evaluates an agent in a real workbench', { timeout: 600_000 }, async () => {
  fs.rmSync(results, { recursive: true, force: true });
  fs.mkdirSync(results, { recursive: true });

  const setup = (await import('./workbench-setup.mjs')) as typeof import('./workbench-setup.mjs');
  await phase('set-up (apt, code-server)', () => setup.setUpWorkbench());

  await phase('build and pack the .vsix', () => {
    for (const args of [
      ['run', 'build'],
      ['run', 'package', '--', '--out', vsix],
    ]) {
      const r = spawnSync('npm', args, { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
      assert.equal(r.status, 0, `npm ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
    }
    assert.ok(fs.existsSync(vsix), `${vsix} was not written`);
  });

  // The tiny random llama model (its trained context, 8192, bounds the runtime's context; STEP-HRL prompts need ~1.3k).
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  writeTinyLlamaGguf(tinyModel, { nCtx: 8192 });
  fs.mkdirSync(workspace, { recursive: true });
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    `${JSON.stringify(
      {
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'workbench.tips.enabled': false,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'extensions.ignoreRecommendations': true,
        'git.enabled': false,
        'stephrl.modelPath': tinyModel,
        'stephrl.gpu': 'cpu',
        'stephrl.threads': 1,
        'stephrl.parallelEnvironments': 1,
      },
      null,
      2,
    )}\n`,
  );

  // code-server's own environment: its config and logs under .stephrl/e2e; the trainer's stack (PyTorch, GBs) is not
  // needed to evaluate, so the extension's set-up leaves it out (its documented switch).
  const env = setup.codeServerEnv({ STEPHRL_SKIP_TRAINER: '1' });
  const codeServerArgs = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--disable-telemetry', '--disable-update-check'];

  await phase('install the .vsix', () => {
    const r = spawnSync(process.execPath, [setup.codeServerEntry, ...codeServerArgs, '--install-extension', vsix], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(r.status, 0, `--install-extension failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /successfully installed/, r.stdout);
  });

  const port = await freePort();
  await phase('start code-server', async () => {
    const out = fs.openSync(codeServerLog, 'a');
    codeServer = spawn(
      process.execPath,
      [setup.codeServerEntry, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', ...codeServerArgs, workspace],
      { env, detached: true, stdio: ['ignore', out, out] },
    );
    fs.closeSync(out);
    const deadline = Date.now() + LIMITS.codeServerStart;
    while (!/HTTP server listening on/.test(fs.readFileSync(codeServerLog, 'utf8'))) {
      if (codeServer.exitCode !== null) throw new Error(`code-server exited with ${codeServer.exitCode}:\n${fs.readFileSync(codeServerLog, 'utf8')}`);
      if (Date.now() > deadline)
        throw new Error(`code-server did not listen within ${LIMITS.codeServerStart / 1000} s:\n${fs.readFileSync(codeServerLog, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  const page = await phase('open the workbench in Chromium', async () => {
    browser = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: setup.chromiumPath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1440, height: 900 },
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30_000);
    await watchNotifications(page);
    page.on('console', (m) => /Content.Security.Policy/i.test(m.text()) && cspViolations.push(m.text()));
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    // The workbench is up when the extension has activated and put its status bar item there.
    await waitFor(page, 'the workbench with the STEP-HRL status bar item', LIMITS.workbench, () => statusItem(page).isVisible());
    // A fresh install has no runtime yet: the extension says so (a warning offering the set-up), and waits.
    await waitFor(page, 'the "runtime not set up" warning', 30_000, async () => notifications.some((n) => /needs its runtime set up/.test(n.text)));
    await screenshot(page, '01-workbench-loaded');
    return page;
  });

  await phase('runtime set-up (STEP-HRL: Set Up Runtime)', async () => {
    await runCommand(page, 'STEP-HRL: Set Up Runtime', '02-palette-set-up-runtime');
    await waitFor(page, 'the set-up to start', 30_000, async () => notifications.some((n) => /Setting up the STEP-HRL runtime/.test(n.text)));
    await page.waitForTimeout(3000);
    await screenshot(page, '03-runtime-setting-up');
    await waitFor(page, 'the runtime set-up to finish', LIMITS.runtimeSetUp, async () =>
      notifications.some((n) => n.text === 'The STEP-HRL runtime is set up.'),
    );
  });

  await phase('runtime start', async () => {
    await waitFor(page, 'the runtime to be ready (status bar)', LIMITS.runtimeReady, () => statusItem(page).locator('.codicon-hubot').isVisible());
    // The STEP-HRL side bar, with the Runs view in it.
    await page
      .locator('.part.activitybar')
      .getByRole('tab', { name: /^STEP-HRL/ })
      .click();
    await runsPane(page).waitFor({ state: 'visible' });
    const header = runsPane(page).locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    await widenSideBar(page, 620);
  });

  const runItem = await phase('evaluation (STEP-HRL: Evaluate Agent)', async () => {
    await runCommand(page, 'STEP-HRL: Evaluate Agent', '04-palette-evaluate');
    await pick(page, 'Evaluate: environment', 'scienceworld', '05-pick-environment');
    await pick(page, 'Evaluate: split', 'test', '06-pick-split');
    await pick(page, 'Evaluate: agent', 'stephrl', '07-pick-agent');
    await answer(page, 'Evaluate: episodes', '1', '08-episodes');
    await pick(page, 'Evaluate: decoding', 'free', '09-pick-decoding');
    const row = runsPane(page).locator('.monaco-list-row', { hasText: 'on scienceworld test' }).first();
    await waitFor(page, 'the run in the Runs view', 60_000, () => row.isVisible());
    await screenshot(page, '10-runs-view-running');
    await waitFor(page, 'the run to finish with its result', LIMITS.evaluation, async () => {
      const description = await row.locator('.label-description').innerText();
      if (/^(failed|interrupted)/.test(description)) await fail(page, 'the evaluation', `the run ended ${description}`);
      return description.startsWith('complete');
    });
    await waitFor(page, 'the result notification', 15_000, async () =>
      notifications.some((n) => /^stephrl on scienceworld test: mean score/.test(n.text)),
    );
    return row;
  });

  const shown = await checkFinishedRun(page, runItem);
  log(`Runs view: ${shown}`);
  await screenshot(page, '11-runs-view-result');

  const inspected = await phase('inspector (Open Inspector on the run)', () => openInspectorOnRun(page, runItem));
  log(`Inspector: ${inspected}`);
  await screenshot(page, '12-inspector');

  const plotted = await phase('training curves (Open Training Curves)', () => openTrainingCurves(page));
  log(`Curves: ${plotted}`);
  await screenshot(page, '13-curves');
  assert.deepEqual(cspViolations, [], 'no CSP violation in any webview');

  const summary = notifications.find((n) => /^stephrl on scienceworld test: mean score/.test(n.text));
  assert.match(summary!.text, /over 1 episode,/, summary!.text);
  assert.equal(errorNotifications().length, 0, `error notifications:\n${describeNotifications()}`);
  log(`notifications seen:\n${describeNotifications()}`);
});
