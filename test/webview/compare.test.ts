/**
 * Runs side by side in headless Chromium against the built bundle, under the editor's CSP, in the dark and light
 * themes: one row per run with the interval written "44.4% (25–66%)", the best value of each column marked, the
 * per-task rows, the "common episodes only" toggle (figures, marks and the saved state change), the CSV copied
 * through the host, Refresh, an error shown, an invalid message ignored; screenshots in test-results/webview/.
 *
 * The comparison is built with the runtime's own figures (summary.ts) from episodes shaped as the harness records
 * them: three ALFWorld agents on overlapping games (g2, g3 and g4 played by all three).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { RunComparison, type ComparedRun } from '../../runtime/src/protocol/agent';
import type { EpisodeSummary } from '../../runtime/src/protocol/dataset';
import { runFigures } from '../../runtime/src/evaluate/summary';
import { COMPARE_CSV_HEADER } from '../../webview-ui/src/compare/csv';
import { buildWebview, launchChromium, openView, serveWebview, type WebviewPage } from './harness';

const TASK: Record<string, string> = {
  g1: 'pick_and_place_simple',
  g2: 'pick_and_place_simple',
  g3: 'pick_cool_then_place_in_recep',
  g4: 'pick_cool_then_place_in_recep',
  g5: 'look_at_obj_in_light',
};

/** [game, won, steps, invalid, model calls, prompt tokens per call, cached per call] */
type Played = [string, boolean, number, number, number, number, number];

function episode([game, won, steps, invalid, calls, prompt, cached]: Played): EpisodeSummary {
  return {
    game,
    task: TASK[game]!,
    won,
    score: won ? 1 : 0,
    stepCount: steps,
    invalidCount: invalid,
    modelCalls: calls,
    promptTokens: calls * prompt,
    cachedPromptTokens: calls * cached,
    completionTokens: calls * 8,
  } as EpisodeSummary;
}

function run(runId: number, agent: string, adapterName: string | null, planned: number, played: Played[]): ComparedRun {
  const episodes = played.map(episode);
  return {
    runId,
    name: `${agent} on alfworld valid_seen`,
    status: 'complete',
    env: 'alfworld',
    split: 'valid_seen',
    agent,
    model: 'SmolLM2-135M-Instruct-Q8_0.gguf',
    adapter: adapterName ? `/work/.stephrl/pipeline/${adapterName}/adapter.gguf` : null,
    adapterName,
    planned,
    resumed: [],
    all: runFigures(episodes),
    common: runFigures(episodes.filter((e) => ['g2', 'g3', 'g4'].includes(e.game!))),
  };
}

const COMPARISON = RunComparison.parse({
  runs: [
    run(8, 'react', null, 4, [
      ['g1', true, 6, 1, 6, 400, 0],
      ['g2', false, 10, 2, 10, 600, 0],
      ['g3', true, 4, 0, 4, 300, 0],
      ['g4', false, 10, 3, 10, 700, 0],
    ]),
    run(10, 'stephrl+grammar', 'BC run 4', 5, [
      ['g1', true, 5, 0, 10, 200, 150],
      ['g2', true, 7, 0, 14, 200, 150],
      ['g3', true, 5, 0, 10, 200, 150],
      ['g4', false, 10, 1, 20, 200, 100],
      ['g5', true, 3, 0, 6, 200, 150],
    ]),
    run(12, 'hrl-history', 'BC (hrl-history) run 6', 4, [
      ['g2', true, 8, 0, 16, 300, 200],
      ['g3', false, 10, 0, 20, 300, 200],
      ['g4', false, 10, 0, 20, 300, 200],
      ['g5', false, 10, 0, 20, 300, 200],
    ]),
  ],
  common: { episodes: 3, items: ['g2', 'g3', 'g4'].map((g) => `alfworld:${g}`) },
  notes: ['3 episodes in common: compare the rows on those (--common, or "common episodes only")'],
});

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

/** The main table as text: per run, its cells by column, with '*' after the best ones. */
async function table(p: WebviewPage): Promise<Record<string, Record<string, string>>> {
  return p.page.$$eval('table.runs tbody tr', (rows) =>
    Object.fromEntries(
      rows.map((row) => [
        (row as HTMLElement).dataset.runId!,
        Object.fromEntries(
          [...row.querySelectorAll('td[data-column], td.episodes')].map((td) => [
            (td as HTMLElement).dataset.column ?? 'episodes',
            `${td.textContent!.trim()}${td.classList.contains('best') ? '*' : ''}`,
          ]),
        ),
      ]),
    ),
  );
}

async function taskTable(p: WebviewPage): Promise<string[][]> {
  return p.page.$$eval('table.tasks tbody tr', (rows) =>
    rows.map((row) => [...row.querySelectorAll('td')].map((td) => `${td.textContent!.trim()}${td.classList.contains('best') ? '*' : ''}`)),
  );
}

test('the table: one row per run, intervals as "80.0% (38–96%)", the best per column marked, per-task rows; dark theme', async () => {
  const p = await openView(browser, server.origin, 'compare', { theme: 'dark', width: 1400, height: 760 });
  assert.equal(await p.page.locator('.hint').innerText(), 'Comparing…');
  await p.send({ type: 'comparison', comparison: COMPARISON });
  await p.page.waitForSelector('table.runs tbody tr');
  assert.deepEqual(await table(p), {
    '8': {
      episodes: '4 / 4',
      headline: '50.0% (15–85%)',
      invalid: '20.0%',
      steps: '7.5',
      promptPerEpisode: '4,150',
      promptPerDecision: '553',
      cached: '0%',
    },
    '10': {
      episodes: '5 / 5',
      headline: '80.0% (38–96%)*',
      invalid: '3.3%',
      steps: '6.0*',
      promptPerEpisode: '2,400*',
      promptPerDecision: '200*',
      cached: '67%',
    },
    '12': {
      episodes: '4 / 4',
      headline: '25.0% (5–70%)',
      invalid: '0.0%*',
      steps: '9.5',
      promptPerEpisode: '5,700',
      promptPerDecision: '300',
      cached: '67%',
    },
  });
  const labels = await p.page.$$eval('table.runs tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent!.trim()));
  assert.deepEqual(labels, ['react · base model', 'stephrl+grammar · BC run 4', 'hrl-history · BC (hrl-history) run 6']);
  assert.deepEqual(await taskTable(p), [
    ['look_at_obj_in_light', '–', '1/1*', '0/1'],
    ['pick_and_place_simple', '1/2', '2/2*', '1/1*'],
    ['pick_cool_then_place_in_recep', '1/2*', '1/2*', '0/2'],
  ]);
  assert.match(await p.page.locator('.scope').innerText(), /Over every episode of each run; 3 in common\./);
  assert.match(await p.page.locator('.notes').innerText(), /3 episodes in common/);
  assert.match(await p.page.locator('.common-toggle').innerText(), /Common episodes only \(3\)/);
  // The best cells stand out: bold in the theme's green.
  const style = await p.page.$eval('tr[data-run-id="10"] td[data-column="headline"]', (td) => {
    const s = getComputedStyle(td);
    return [s.fontWeight, s.color];
  });
  assert.equal(style[0], '700');
  await p.screenshot('compare-dark');

  // Common episodes only: the rows on g2, g3, g4 alone; marks and the saved state follow.
  await p.page.click('.common-only');
  await p.page.waitForFunction(() => document.querySelector('.scope')?.textContent?.includes('every run played'));
  const common = await table(p);
  assert.deepEqual(Object.fromEntries(Object.entries(common).map(([id, cells]) => [id, [cells.episodes, cells.headline, cells.steps]])), {
    '8': ['3', '33.3% (6–79%)', '8.0'],
    '10': ['3', '66.7% (21–94%)*', '7.3*'],
    '12': ['3', '33.3% (6–79%)', '9.3'],
  });
  assert.deepEqual(await taskTable(p), [
    ['pick_and_place_simple', '0/1', '1/1*', '1/1*'],
    ['pick_cool_then_place_in_recep', '1/2*', '1/2*', '0/2'],
  ]);
  const state = (await p.waitForPosted('state')).state;
  assert.equal(state.commonOnly, true);
  assert.deepEqual(state.runIds, [8, 10, 12]);
  await p.screenshot('compare-dark-common');

  // Copy CSV: the host gets the table as CSV, of the figures shown (common ones now).
  await p.page.click('.copy-csv');
  const copied = await p.waitForPosted('copy');
  const lines = copied.text.trim().split('\n');
  assert.equal(lines[0], COMPARE_CSV_HEADER.join(','));
  assert.equal(lines.length, 1 + 3 + 2 + 2 + 2); // a row per run, then per run and task
  assert.match(
    lines[1]!,
    /^8,react on alfworld valid_seen,react,SmolLM2-135M-Instruct-Q8_0\.gguf,,alfworld,valid_seen,common,,3,4,0\.3333,0\.0615,0\.7923,/,
  );

  await p.page.click('.refresh');
  await p.waitForPosted('refresh');
  await p.close();
  assert.deepEqual(p.problems, []);
});

test('light theme, reopened with "common episodes only" saved; an error and an invalid message', async () => {
  const p = await openView(browser, server.origin, 'compare', {
    theme: 'light',
    width: 1300,
    height: 760,
    state: { runIds: [8, 10, 12], commonOnly: true },
  });
  // A message the protocol refuses is dropped (a console warning, not an error) and changes nothing.
  await p.send({ type: 'comparison', comparison: { runs: 'all of them' } } as Record<string, unknown>);
  await p.send({ type: 'comparison', comparison: COMPARISON });
  await p.page.waitForSelector('table.runs tbody tr');
  assert.equal(await p.page.$eval('.common-only', (el) => (el as HTMLInputElement).checked), true);
  assert.equal((await table(p))['10']!.headline, '66.7% (21–94%)*');
  await p.screenshot('compare-light-common');

  await p.send({ type: 'comparison', comparison: null, error: 'run 3 is a train run: only evaluation runs compare' });
  await p.page.waitForSelector('.error');
  assert.equal(await p.page.locator('.error').innerText(), 'run 3 is a train run: only evaluation runs compare');
  assert.equal(await p.page.locator('table.runs').count(), 0);
  await p.close();
  assert.deepEqual(p.problems, []);
});
