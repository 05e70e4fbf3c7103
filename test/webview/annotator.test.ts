/**
 * The demonstration annotator in headless Chromium. Its host is the extension's own AnnotatorSession talking to a
 * real runtime (`stephrl serve`, JSON-RPC over stdio) on a real SQLite file holding expert episodes recorded from
 * ScienceWorld and ALFWorld (test/fixtures/webview/episodes.jsonl): every edit made with the mouse or the keyboard
 * lands in SQLite with its audit row, refusals show inline, undo and redo round-trip, and the queue moves on.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { sendRequest } from '../../runtime/src/protocol/jsonrpc';
import type { AnnotationSuggestion } from '../../runtime/src/protocol/dataset';
import { VIEW_MESSAGES } from '../../runtime/src/protocol/webview';
import { AnnotatorSession } from '../../extension/src/panels/annotator-session';
import { reannotateRange } from '../../webview-ui/src/annotator/range';
import { cli, root, runCli } from '../runtime/helpers';
import { buildWebview, launchChromium, openView, serveWebview, type WebviewPage } from './harness';

let browser: Browser;
let server: Awaited<ReturnType<typeof serveWebview>>;
let runtime: ChildProcess;
let connection: MessageConnection;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-annotator-'));
const db = path.join(dir, 'annotator.db');

before(async () => {
  buildWebview();
  const imported = await runCli([
    'dataset',
    'import',
    path.join(root, 'test', 'fixtures', 'webview', 'episodes.jsonl'),
    '--format',
    'jsonl',
    '--db',
    db,
  ]);
  assert.equal(imported.code, 0, imported.stderr);
  runtime = spawn(process.execPath, [cli, 'serve'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  connection = createMessageConnection(new StreamMessageReader(runtime.stdout!), new StreamMessageWriter(runtime.stdin!));
  connection.listen();
  server = await serveWebview();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
  connection?.dispose();
  runtime?.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The annotator page wired to an AnnotatorSession on the real runtime: what the view posts, the session handles. */
async function openAnnotator(
  episodeId: number,
  theme: 'dark' | 'light' = 'dark',
): Promise<{ view: WebviewPage; session: AnnotatorSession; informed: string[]; sync: () => Promise<void> }> {
  const view = await openView(browser, server.origin, 'annotator', { theme, width: 1100, height: 900 });
  const informed: string[] = [];
  const session = new AnnotatorSession({
    request: (name, params) => sendRequest(connection, name, params),
    post: (m) => void view.send(m),
    actor: 'user:test',
    db: () => ({ db }),
    onError: (what, error) => assert.fail(`${what}: ${(error as Error).message}`),
    inform: (text) => informed.push(text),
  });
  let handled = 0;
  /** Hands everything the view posted since the last call to the session, and waits for the stores. */
  const sync = async () => {
    const posted = await view.posted();
    // As the panel does: only the annotator's own messages reach the session.
    for (const m of posted.slice(handled)) await session.handle(VIEW_MESSAGES.annotator.toHost.parse(m));
    handled = posted.length;
    await session.settled();
    await new Promise((r) => setTimeout(r, 50)); // the last answer's render
  };
  await session.open(episodeId);
  await view.page.locator('stephrl-annotator .subtask').first().waitFor();
  await sync(); // 'ready' and the saved state
  return { view, session, informed, sync };
}

const subtasksIn = async (episodeId: number) => (await sendRequest(connection, 'dataset/getEpisode', { db, episodeId })).subtasks;
const history = async (episodeId: number) => (await sendRequest(connection, 'dataset/annotationHistory', { db, episodeId })).edits;

test('re-annotating a range keeps the subtasks outside it and takes the proposal inside it', () => {
  const current = {
    subtasks: [
      { name: 'a', firstStep: 0, lastStep: 3 },
      { name: 'b', firstStep: 4, lastStep: 9 },
    ],
    progress: new Map([
      [5, 'old five'],
      [6, 'same'],
    ]),
  };
  const suggestion: AnnotationSuggestion = {
    subtasks: [
      { name: 'x', firstStep: 0, lastStep: 5 },
      { name: 'y', firstStep: 6, lastStep: 9 },
    ],
    progress: ['p0', 'p1', 'p2', 'p3', 'p4', 'new five', 'same', 'p7', 'p8', 'p9'],
  };
  assert.deepEqual(reannotateRange(current, suggestion, 5, 6), [
    {
      op: 'setSubtasks',
      subtasks: [
        { name: 'a', firstStep: 0, lastStep: 3 },
        { name: 'b', firstStep: 4, lastStep: 4 },
        { name: 'x', firstStep: 5, lastStep: 5 },
        { name: 'y', firstStep: 6, lastStep: 6 },
        { name: 'b', firstStep: 7, lastStep: 9 },
      ],
    },
    { op: 'setProgress', step: 5, text: 'new five' },
  ]);
});

test('split, rename, progress and review edits made in the view land in SQLite with their audit rows', async () => {
  const [first] = await sendRequest(connection, 'dataset/annotationStatus', { db }).then((r) => r.episodes);
  const episodeId = first!.episodeId;
  const before = await subtasksIn(episodeId);
  const { view, sync } = await openAnnotator(episodeId);
  const page = view.page;
  const target = before.find((s) => s.lastStep > s.firstStep)!;
  const ordinal = before.indexOf(target);
  const at = target.firstStep + 1;

  // Split with the keyboard: select the step, press S.
  await page.locator(`stephrl-annotator .step[data-step="${at}"] .action`).click();
  await page.keyboard.press('s');
  await sync();
  let stored = await subtasksIn(episodeId);
  assert.equal(stored.length, before.length + 1);
  assert.equal(stored[ordinal + 1]!.firstStep, at);
  await page.waitForFunction(
    (n) => document.querySelector('stephrl-annotator')!.shadowRoot!.querySelectorAll('.subtask').length === n,
    before.length + 1,
  );

  // Rename the new subtask with the mouse and keyboard (type, then Enter commits the field).
  const name = page.locator(`stephrl-annotator .subtask[data-subtask="${ordinal + 1}"] vscode-textfield.name`);
  await name.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('pick up the thermometer');
  await page.keyboard.press('Enter');
  await sync();
  stored = await subtasksIn(episodeId);
  assert.equal(stored[ordinal + 1]!.name, 'pick up the thermometer');
  assert.equal(stored[ordinal + 1]!.provenance, 'human');

  // Edit one step's local progress.
  const progress = page.locator(`stephrl-annotator .step[data-step="${at}"] vscode-textfield.progress`);
  await progress.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Holding the thermometer.');
  await page.keyboard.press('Enter');
  await sync();
  const detail = await sendRequest(connection, 'dataset/getEpisode', { db, episodeId });
  assert.equal(detail.progress.find((p) => p.step === at)?.text, 'Holding the thermometer.');

  // Mark reviewed.
  await page.locator('stephrl-annotator #review').click();
  await sync();
  assert.ok((await subtasksIn(episodeId)).every((s) => s.reviewed));
  await view.screenshot('annotator-edited-dark');

  const trail = await history(episodeId);
  assert.deepEqual(
    trail.filter((e) => e.actor === 'user:test').map((e) => e.operation),
    ['split', 'rename', 'setProgress', 'review'],
  );
  await view.close();
  assert.deepEqual(view.problems, []);
});

test('refused edits show inline and change nothing; undo and redo round-trip through the runtime', async () => {
  const status = (await sendRequest(connection, 'dataset/annotationStatus', { db })).episodes;
  const episodeId = status.find((e) => !e.reviewed && e.subtasks >= 2)!.episodeId;
  const before = await subtasksIn(episodeId);
  const { view, sync } = await openAnnotator(episodeId, 'light');
  const page = view.page;

  // An empty name is caught in the view, before anything is sent.
  const name = page.locator('stephrl-annotator .subtask[data-subtask="0"] vscode-textfield.name');
  await name.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.press('Enter');
  assert.match(await page.locator('stephrl-annotator .message.error').innerText(), /cannot be empty/);
  assert.equal(await name.evaluate((el) => (el as HTMLInputElement).value), before[0]!.name, 'the field shows the stored name again');

  // Moving the second subtask's start onto step 0 would leave the first one empty: the runtime refuses it.
  await page.locator(`stephrl-annotator .step[data-step="${before[1]!.firstStep}"] .action`).click();
  for (let i = 0; i < before[1]!.firstStep; i++) {
    await page.keyboard.press('Alt+ArrowUp');
    await sync();
  }
  const refused = page.locator('stephrl-annotator .message.error');
  await refused.waitFor();
  assert.ok((await refused.innerText()).length > 0);
  await view.screenshot('annotator-refused-light');
  const afterMoves = await subtasksIn(episodeId);
  assert.equal(afterMoves[0]!.firstStep, 0);
  assert.equal(afterMoves[1]!.firstStep, 1, 'every move but the refused one was stored');

  // Merge with M, then undo twice and redo once with the keyboard.
  await page.keyboard.press('m');
  await sync();
  assert.equal((await subtasksIn(episodeId)).length, before.length - 1);
  await page.locator('stephrl-annotator ol.subtasks').focus();
  await page.keyboard.press('Control+z');
  await sync();
  assert.equal((await subtasksIn(episodeId)).length, before.length);
  await page.keyboard.press('Control+Shift+z');
  await sync();
  assert.equal((await subtasksIn(episodeId)).length, before.length - 1, 'redo stored the merge again');
  const ops = (await history(episodeId)).filter((e) => e.actor === 'user:test').map((e) => e.operation);
  assert.deepEqual(ops.slice(-3), ['merge', 'undo', 'merge']);
  await view.close();
  assert.deepEqual(view.problems, []);
});

test('re-annotating a selected range asks the runtime for a proposal and stores it; the queue moves to the next episode', async () => {
  const status = (await sendRequest(connection, 'dataset/annotationStatus', { db })).episodes.filter((e) => !e.reviewed);
  const episodeId = status.at(-1)!.episodeId;
  // Start from a segmentation a person would fix: everything one subtask.
  const detail = await sendRequest(connection, 'dataset/getEpisode', { db, episodeId });
  const last = detail.steps.length - 1;
  await sendRequest(connection, 'dataset/editAnnotation', {
    db,
    episodeId,
    actor: 'user:test',
    edit: { op: 'setSubtasks', subtasks: [{ name: 'do everything', firstStep: 0, lastStep: last }] },
  });
  const { view, sync, informed } = await openAnnotator(episodeId);
  const page = view.page;
  await page.locator('stephrl-annotator .step[data-step="0"] .action').click();
  await page.locator(`stephrl-annotator .step[data-step="${last}"] .action`).click({ modifiers: ['Shift'] });
  await page.locator('stephrl-annotator #reannotate').click();
  await sync(); // the suggestion request
  await sync(); // the edits the view made from it
  const stored = await subtasksIn(episodeId);
  const suggestion = await sendRequest(connection, 'dataset/suggestAnnotation', { db, episodeId });
  assert.deepEqual(
    stored.map((s) => [s.name, s.firstStep, s.lastStep]),
    suggestion.subtasks.map((s) => [s.name, s.firstStep, s.lastStep]),
  );
  assert.ok(stored.length > 1);

  const queue = await page.locator('stephrl-annotator .queue').innerText();
  assert.match(queue, /\d+ unreviewed/);
  await page.locator('stephrl-annotator #next').click();
  await sync();
  await page.waitForFunction(
    (id) => !document.querySelector('stephrl-annotator')!.shadowRoot!.querySelector('.title')!.textContent!.startsWith(`#${id} `),
    episodeId,
  );
  assert.deepEqual(informed, []);
  await view.close();
  assert.deepEqual(view.problems, []);
});
