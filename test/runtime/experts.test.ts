/**
 * The experts on the real engines, through the worker pool: ScienceWorld's gold path on one variation of every
 * task the protocol uses, and ALFWorld's hand-coded expert on all of valid_train (the rate is printed and saved).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EXPERT_MAX_STEPS, runExpert } from '../../runtime/src/env/expert';
import { WorkerPool } from '../../runtime/src/env/pool';
import type { EpisodeSpec } from '../../runtime/src/protocol/environment';
import { resolveAlfworldData } from '../../runtime/src/util/paths';
import { root } from './helpers';

function saveFigure(name: string, value: unknown): void {
  const dir = path.join(root, 'test-results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(value, null, 2));
}

test('ScienceWorld: the gold path scores 100 on the first train variation of every task with train variations', async () => {
  const pool = new WorkerPool('scienceworld', { size: 2 });
  try {
    const train = await pool.use((env) => env.listSplit('train'));
    const firstPerTask = new Map<string, number>();
    for (const e of train) if ('task' in e && !firstPerTask.has(e.task)) firstPerTask.set(e.task, e.variation);
    assert.equal(firstPerTask.size, 24);
    const episodes: EpisodeSpec[] = [...firstPerTask].map(([task, variation]) => ({ env: 'scienceworld', task, variation }));
    const settled = await pool.map(
      episodes,
      (env, episode) => runExpert(env, episode, { maxSteps: EXPERT_MAX_STEPS }),
      (e) => e,
    );
    const scores = settled.map((s) => (s.ok ? { task: (s.item as { task: string }).task, ...s.value.summary } : { error: s.error.message }));
    saveFigure('scienceworld-expert', scores);
    const notFull = settled.filter((s) => !s.ok || s.value.summary.score !== 100);
    assert.deepEqual(
      notFull.map((s) => (s.ok ? `${(s.item as { task: string }).task}: ${s.value.summary.score}` : s.error.message)),
      [],
    );
  } finally {
    await pool.close();
  }
});

test('ALFWorld: the hand-coded expert wins at least 95% of valid_train within 50 steps', async () => {
  const pool = new WorkerPool('alfworld', { size: 2 });
  try {
    const games = await pool.use((env) => env.listSplit('valid_train', { data: resolveAlfworldData() }));
    assert.equal(games.length, 200);
    const episodes: EpisodeSpec[] = games.map((g) => ({ env: 'alfworld', game: (g as { game: string }).game }));
    const settled = await pool.map(
      episodes,
      (env, episode) => runExpert(env, episode, { maxSteps: 50, seed: 0 }),
      (e) => e,
    );
    const failures = settled.filter((s) => !s.ok);
    assert.deepEqual(
      failures.map((s) => (!s.ok ? s.error.message : '')),
      [],
    );
    const won = settled.filter((s) => s.ok && s.value.summary.won).length;
    const invalid = settled.reduce((n, s) => n + (s.ok ? s.value.summary.invalidActions : 0), 0);
    const figure = { games: games.length, won, rate: won / games.length, invalidActions: invalid };
    saveFigure('alfworld-expert', figure);
    console.log(`ALFWorld hand-coded expert on valid_train: ${won}/${games.length} won (${(100 * figure.rate).toFixed(1)}%)`);
    assert.ok(figure.rate >= 0.95, `expert won ${won}/${games.length}`);
  } finally {
    await pool.close();
  }
});
