/**
 * ScienceWorld's gold path on the real engine, through the worker pool, on one variation of every task the protocol
 * uses; ALFWorld's expert seeds through `stephrl demos --seed`. ALFWorld's hand-coded expert is measured on all of
 * valid_train by dataset-pipeline.test.ts, whose demonstrations play those games anyway.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { test } from 'node:test';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { EXPERT_MAX_STEPS, runExpert } from '../../runtime/src/env/expert';
import { WorkerPool } from '../../runtime/src/env/pool';
import type { EpisodeSpec } from '../../runtime/src/protocol/environment';
import { root, runCli } from './helpers';

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

test('ALFWorld: another expert seed stores one more trajectory per game beside seed 0, under its own label; a rerun skips it', async () => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-seeds-')), 'seeds.db');
  // The first pick-and-place game of valid_train holds two alarm clocks: the expert's seed picks which one it takes.
  const demos = (seed: number) =>
    runCli(
      ['demos', '--env', 'alfworld', '--split', 'valid_train', '--tasks', 'pick_and_place_simple', '--limit', '1', '--seed', String(seed)].concat([
        '--db',
        db,
        '--json',
      ]),
    );
  for (const seed of [0, 1]) {
    const made = await demos(seed);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(JSON.parse(made.stdout).stored, 1, `seed ${seed}`);
  }
  const again = await demos(1);
  assert.equal(JSON.parse(again.stdout).skipped, 1, 'seed 1 is done already');
  const store = await DatasetStore.open(db, { readonly: true });
  try {
    const episodes = await store.episodes.list({ env: 'alfworld', source: 'expert' });
    assert.deepEqual(episodes.map((e) => e.agent).sort(), ['alfworld-handcoded-expert+tidy', 'alfworld-handcoded-expert+tidy#seed1']);
    assert.equal(episodes[0]!.game, episodes[1]!.game);
    const actions = await Promise.all(episodes.map(async (e) => (await store.episodes.get(e.id))!.steps.map((s) => s.action).join(' | ')));
    assert.notEqual(actions[0], actions[1], 'the two seeds took different objects');
    assert.ok(episodes.every((e) => e.won));
  } finally {
    await store.close();
  }
});
