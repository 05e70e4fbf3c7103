/**
 * ScienceWorld's gold path on the real engine, through the worker pool, on one variation of every task the protocol
 * uses. ALFWorld's hand-coded expert is measured on all of valid_train by dataset-pipeline.test.ts, whose
 * demonstrations play those games anyway.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EXPERT_MAX_STEPS, runExpert } from '../../runtime/src/env/expert';
import { WorkerPool } from '../../runtime/src/env/pool';
import type { EpisodeSpec } from '../../runtime/src/protocol/environment';
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
