/**
 * The episode inspector in headless Chromium, fed with episodes recorded from the real environments and the default
 * model (test/fixtures/webview, see record.sh): the tree, the progress diffs, side by side, search, the jump to the
 * first invalid action, live updates; no CSP violation or console error in light and dark themes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { EpisodeDetail } from '../../runtime/src/protocol/dataset';
import { wordDiff } from '../../webview-ui/src/shared/word-diff';
import { episodeView } from '../../webview-ui/src/inspector/episode-model';
import { buildWebview, launchChromium, openView, serveWebview, type WebviewPage } from './harness';

const fixture = (name: string): EpisodeDetail =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'webview', `${name}.json`), 'utf8'));
const stephrl = fixture('scienceworld-stephrl');
const react = fixture('scienceworld-react');
const expert = fixture('scienceworld-expert');
/** A won ALFWorld episode of a trained agent (the learning check's adapter replaying a valid_train game; record.sh). */
const won = fixture('alfworld-stephrl-won');

let browser: Browser;
let server: Awaited<ReturnType<typeof serveWebview>>;
before(async () => {
  buildWebview();
  server = await serveWebview();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function closeClean(view: WebviewPage): Promise<void> {
  await view.close();
  assert.deepEqual(view.problems, [], 'no CSP violation, page error or console error');
}

test('word diff: kept, added and removed words join back into both texts', () => {
  const before = 'You have the orange. Nothing else yet.';
  const after = 'You have the orange and the key. Nothing else yet.';
  const parts = wordDiff(before, after);
  assert.equal(
    parts
      .filter((p) => p.kind !== 'added')
      .map((p) => p.text)
      .join(''),
    before,
  );
  assert.equal(
    parts
      .filter((p) => p.kind !== 'removed')
      .map((p) => p.text)
      .join(''),
    after,
  );
  assert.deepEqual(
    parts.filter((p) => p.kind !== 'same').map((p) => [p.kind, p.text.trim()]),
    [
      ['removed', 'orange.'],
      ['added', 'orange and the key.'],
    ],
  );
  assert.deepEqual(wordDiff('None', 'Opened the door.'), [
    { kind: 'removed', text: 'None' },
    { kind: 'added', text: 'Opened the door.' },
  ]);
  assert.deepEqual(wordDiff('same text', 'same text'), [{ kind: 'same', text: 'same text' }]);
});

test('episode model: subtasks own their steps, progress before comes from the previous step of the same subtask', () => {
  const v = episodeView(expert);
  assert.equal(v.subtasks.length, expert.subtasks.length);
  assert.equal(
    v.subtasks.reduce((n, s) => n + s.steps.length, 0),
    expert.steps.length,
  );
  const second = v.subtasks[1]!;
  assert.equal(second.steps[0]!.progressBefore, 'None', 'a subtask starts from "None"');
  if (second.steps.length > 1) assert.equal(second.steps[1]!.progressBefore, second.steps[0]!.progressAfter);
  assert.equal(
    v.subtasks.every((s) => s.ended === 'annotated boundary'),
    true,
  );
  const policy = episodeView(stephrl);
  assert.equal(policy.subtasks[0]!.highCall?.role, 'high');
  assert.equal(policy.subtasks.at(-1)!.ended, 'step cap');
  const cut = { ...stephrl, stoppedBy: 'repeat', steps: stephrl.steps.map((s) => ({ ...s, truncated: false, done: false })) };
  assert.equal(episodeView(cut).subtasks.at(-1)!.ended, 'repeated state');
  assert.equal(policy.firstInvalidStep, stephrl.steps.find((s) => s.invalid)!.idx);
  const flat = episodeView(react);
  assert.match(flat.subtasks[0]!.name, /react is a flat agent/);
});

test('the inspector shows task, subtasks and steps with the progress diff and the model calls behind each step', async () => {
  const view = await openView(browser, server.origin, 'inspector');
  await view.send({ type: 'episodes', episodes: [stephrl] });
  const page = view.page;
  await page.locator('stephrl-inspector h1').waitFor();
  assert.match(await page.locator('stephrl-inspector h1').innerText(), new RegExp(`#${stephrl.id} scienceworld find-plant`));
  assert.equal(await page.locator('stephrl-inspector .subtask').count(), stephrl.subtasks.length);
  assert.equal(await page.locator('stephrl-inspector .step').count(), stephrl.steps.length, 'subtasks start open, steps listed');
  assert.match(await page.locator('stephrl-inspector .subtask summary').first().innerText(), /ended: step cap/);

  // Open step 1: its progress before (step 0's) and after, as a word diff, and its low-level and progress calls.
  await page.locator('stephrl-inspector .step[data-step="1"] > details > summary').click();
  const step1 = page.locator('stephrl-inspector .step[data-step="1"]');
  const diffText = await step1.locator('.diff').innerText();
  assert.ok(diffText.length > 0);
  const roles = await step1.locator('.calls tbody tr:not(.call-text) td:first-child').allInnerTexts();
  assert.deepEqual(roles.sort(), ['low', 'progress']);
  assert.match(
    await step1.locator('pre.observation').innerText(),
    new RegExp(stephrl.steps[1]!.observation.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
  );
  await view.screenshot('inspector-stephrl-dark');
  await closeClean(view);
});

test("a trained agent's won episode: the outcome, the adapter, and subtasks that end where the policy said, in both themes", async () => {
  assert.equal(won.won, true);
  assert.ok(won.adapter && won.source === 'policy', 'played by a trained adapter');
  const view = episodeView(won);
  assert.deepEqual(
    view.subtasks.map((s) => s.ended),
    [...view.subtasks.slice(0, -1).map(() => 'policy flag'), 'won'],
  );
  for (const theme of ['dark', 'light'] as const) {
    const page = await openView(browser, server.origin, 'inspector', { theme });
    await page.send({ type: 'episodes', episodes: [won] });
    const header = page.page.locator('stephrl-inspector section.episode header');
    await header.waitFor();
    const facts = await header.locator('.facts').innerText();
    assert.match(facts, /\bwon\b/);
    assert.doesNotMatch(facts, /not won/);
    assert.match(facts, /bc-48\/final\/adapter\.gguf/, 'the adapter named by its run folder');
    assert.equal(await page.page.locator('stephrl-inspector .subtask').count(), won.subtasks.length);
    assert.match(await page.page.locator('stephrl-inspector .subtask').last().locator('summary').first().innerText(), /ended: won/);
    await page.screenshot(`inspector-won-${theme}`);
    await closeClean(page);
  }
});

test('two episodes side by side; search filters steps; a jump opens the first invalid action', async () => {
  const view = await openView(browser, server.origin, 'inspector', { theme: 'light' });
  await view.send({ type: 'episodes', episodes: [stephrl, react] });
  const page = view.page;
  await page.locator('stephrl-inspector section.episode').nth(1).waitFor();
  assert.equal(await page.locator('stephrl-inspector section.episode').count(), 2);
  assert.match(await page.locator('stephrl-inspector section.episode').nth(1).locator('.subtask-name').innerText(), /flat agent/);

  const word = stephrl.steps[0]!.action.split(/\s+/)[0]!;
  const matching = stephrl.steps.filter((s) => [s.action, s.observation].some((t) => t.toLowerCase().includes(word.toLowerCase()))).length;
  await page.locator('stephrl-inspector vscode-textfield.search').click();
  await page.keyboard.type(word);
  await page.locator('stephrl-inspector .matches').first().waitFor();
  const shown = await page.locator('stephrl-inspector section.episode').first().locator('.step').count();
  assert.ok(shown >= matching && shown <= stephrl.steps.length, `${shown} steps shown for "${word}"`);
  const saved = await view.waitForPosted('state');
  assert.equal(saved.state.filter, word);

  await page.locator('stephrl-inspector #first-invalid').click();
  const first = stephrl.steps.find((s) => s.invalid)!.idx;
  const highlighted = page.locator('stephrl-inspector .step.highlight');
  await highlighted.waitFor();
  assert.equal(await highlighted.getAttribute('data-step'), String(first));
  assert.equal(await highlighted.locator('details').first().getAttribute('open'), '', 'the invalid step is opened');
  await view.screenshot('inspector-compare-light');

  await page.locator('stephrl-inspector #compare').click();
  assert.deepEqual(await view.waitForPosted('compare'), { type: 'compare', episodeId: stephrl.id });
  await closeClean(view);
});

test('a running episode grows in place, keeping what the person opened; bad messages are ignored', async () => {
  const view = await openView(browser, server.origin, 'inspector');
  const page = view.page;
  const partial = (n: number, status: EpisodeDetail['status']): EpisodeDetail => ({
    ...stephrl,
    status,
    steps: stephrl.steps.slice(0, n),
    progress: stephrl.progress.filter((p) => p.step < n),
    modelCalls: stephrl.modelCalls.filter((c) => c.stepIdx === null || c.stepIdx < n),
    subtasks: stephrl.subtasks.filter((s) => s.firstStep < n).map((s) => ({ ...s, lastStep: Math.min(s.lastStep, n - 1) })),
  });
  await view.send({ type: 'episodes', episodes: [partial(4, 'running')] });
  await page.locator('stephrl-inspector .step').nth(3).waitFor();
  assert.match(await page.locator('stephrl-inspector .status').innerText(), /running \(live\)/);
  await page.locator('stephrl-inspector .step[data-step="2"] > details > summary').click();
  await view.send({ type: 'episodes', episodes: [{ bogus: true }] } as Record<string, unknown>);
  await view.send({ type: 'nonsense' });
  await view.send({ type: 'episodes', episodes: [partial(12, 'complete')] });
  await page.waitForFunction(() => document.querySelector('stephrl-inspector')!.shadowRoot!.querySelectorAll('.step').length === 12);
  assert.equal(await page.locator('stephrl-inspector .step[data-step="2"] details').first().getAttribute('open'), '', 'still open after the update');
  assert.match(await page.locator('stephrl-inspector .status').innerText(), /complete/);
  await closeClean(view);
});

test('a demonstration offers the annotator; the state saved before a reload brings the search back', async () => {
  const view = await openView(browser, server.origin, 'inspector', { state: { episodeIds: [expert.id], filter: 'door' } });
  await view.send({ type: 'episodes', episodes: [expert] });
  const page = view.page;
  await page.locator('stephrl-inspector #annotate').click();
  assert.deepEqual(await view.waitForPosted('openAnnotator'), { type: 'openAnnotator', episodeId: expert.id });
  assert.equal(await page.locator('stephrl-inspector vscode-textfield.search').evaluate((el) => (el as HTMLInputElement).value), 'door');
  assert.equal(await page.locator('stephrl-inspector #first-invalid').getAttribute('disabled'), '', 'no invalid action in the expert episode');
  await view.screenshot('inspector-expert-dark');
  await closeClean(view);
});

test('critic values: each decision shows its advantage, each step its V, Q and advantage; without critics, the reason', async () => {
  const values = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'webview', 'scienceworld-stephrl-critics.json'), 'utf8'));
  const view = await openView(browser, server.origin, 'inspector');
  const page = view.page;
  await view.send({ type: 'episodes', episodes: [stephrl] });
  await view.send({ type: 'criticValues', pending: true, values: { ...values, values: [], critics: null } });
  await page.locator('stephrl-inspector .critics-note', { hasText: 'Scoring the decisions' }).waitFor();
  await view.send({ type: 'criticValues', values });
  await page.locator('stephrl-inspector .critics-note', { hasText: 'critics.pt' }).waitFor();
  await page.locator('stephrl-inspector .critics-note').waitFor();
  assert.match(await page.locator('stephrl-inspector .critics-note').innerText(), /critics\.pt/);
  const low0 = values.values.find((v: { role: string; step: number }) => v.role === 'low' && v.step === 0);
  const tag = page.locator('stephrl-inspector .step[data-step="0"] .advantage').first();
  assert.equal(await tag.innerText(), `A ${low0.advantage >= 0 ? '+' : ''}${low0.advantage.toFixed(3)}`);
  assert.equal(await page.locator('stephrl-inspector .subtask > details > summary .advantage').count(), 1, 'the high-level decision has one');
  await page.locator('stephrl-inspector .step[data-step="0"] > details > summary').click();
  const row = page.locator('stephrl-inspector .step[data-step="0"] table.values tbody tr').first();
  await row.waitFor();
  const cells = await row.locator('td').allInnerTexts();
  assert.deepEqual(cells, ['low', low0.v.toFixed(4), low0.q.toFixed(4), low0.advantage.toFixed(4)]);
  await view.screenshot('inspector-critics-dark');
  await page.locator('stephrl-inspector #critics').click();
  assert.deepEqual(await view.waitForPosted('pickCritics'), { type: 'pickCritics', episodeId: stephrl.id });
  await view.send({
    type: 'criticValues',
    values: { episodeId: stephrl.id, critics: null, baseModel: null, reason: 'no critics.pt at bc-set1/final/adapter.gguf', values: [] },
  });
  await page.waitForFunction(() =>
    /No critic values/.test(document.querySelector('stephrl-inspector')!.shadowRoot!.querySelector('.critics-note')!.textContent!),
  );
  await closeClean(view);
});

test('high contrast: the progress diff is marked with borders where the theme has no fills', async () => {
  const view = await openView(browser, server.origin, 'inspector', { theme: 'high-contrast' });
  const page = view.page;
  await view.send({ type: 'episodes', episodes: [expert] });
  await page.locator('stephrl-inspector .step[data-step="1"] > details > summary').click();
  const added = page.locator('stephrl-inspector .step[data-step="1"] .diff .added').first();
  await added.waitFor();
  assert.equal(await added.evaluate((el) => getComputedStyle(el).outlineColor), 'rgb(51, 255, 46)');
  await view.screenshot('inspector-expert-high-contrast');
  await closeClean(view);
});
