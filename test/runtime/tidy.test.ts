/**
 * Tidied ALFWorld demonstrations (collect/tidy.ts): the candidate action lists by hand, and on the real engine the
 * valid_train game where the hand-coded expert loses track (several receptacles at one location) and wanders for 34
 * steps: the tidied trajectory must still win, with no rejected action, in far fewer steps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tidyCandidates, tidyTrajectory, goalObjectType } from '../../runtime/src/collect/tidy';
import { runExpert, EXPERT_MAX_STEPS } from '../../runtime/src/env/expert';
import { WorkerPool } from '../../runtime/src/env/pool';
import type { EpisodeSpec } from '../../runtime/src/protocol/environment';
import { resolveAlfworldData } from '../../runtime/src/util/paths';

test('tidy candidates drop looks, unrelated carries, pass-through revisits and courtesy closes', () => {
  const expert = [
    'go to shelf 1',
    'go to drawer 1',
    'look',
    'take pen 2 from desk 1',
    'look',
    'put pen 2 in/on desk 1',
    'open drawer 1',
    'close drawer 1',
    'go to shelf 1',
    'go to desk 1',
    'examine desk 1',
    'take bowl 1 from desk 1',
    'go to shelf 1',
    'use desklamp 1',
  ];
  const [tidiest, ...rest] = tidyCandidates(expert, 'bowl');
  assert.deepEqual(tidiest, [
    'go to shelf 1',
    'go to drawer 1',
    'open drawer 1',
    'go to desk 1',
    'take bowl 1 from desk 1',
    'go to shelf 1',
    'use desklamp 1',
  ]);
  // Less tidy fallbacks follow, each different; the expert's own list is never a candidate.
  assert.ok(rest.length >= 1 && rest.every((c) => c.join() !== expert.join()));
  // The task's own object is never dropped, nor a close that a later open needs.
  const keep = [
    'go to fridge 1',
    'open fridge 1',
    'take apple 1 from fridge 1',
    'close fridge 1',
    'go to countertop 1',
    'put apple 1 in/on countertop 1',
    'go to fridge 1',
    'open fridge 1',
  ];
  assert.ok(tidyCandidates(keep, 'apple').every((c) => c.includes('take apple 1 from fridge 1') && c.includes('close fridge 1')));
  assert.equal(goalObjectType({ object_target: 'Bowl' }), 'bowl');
  assert.equal(goalObjectType(null), null);
});

test('ALFWorld: a wandering expert trajectory is tidied into a shorter one that still wins cleanly', async () => {
  const pool = new WorkerPool('alfworld', { size: 1 });
  try {
    const games = await pool.use((env) => env.listSplit('valid_train', { data: resolveAlfworldData() }));
    const game = (games[2] as { game: string }).game; // look_at_obj_in_light-Bowl-None-DeskLamp-304
    const spec: EpisodeSpec = { env: 'alfworld', game };
    await pool.use(async (env) => {
      const expert = await runExpert(env, spec, { maxSteps: EXPERT_MAX_STEPS, seed: 0 });
      assert.ok(expert.summary.won);
      assert.ok(
        expert.steps.some((s) => s.action === 'look'),
        'this game is the one where the expert falls back to look',
      );
      const { trajectory, removed } = await tidyTrajectory(env, spec, expert);
      assert.ok(trajectory.summary.won);
      assert.equal(trajectory.summary.invalidActions, 0);
      assert.ok(trajectory.steps.every((s) => !s.invalid && s.action !== 'look'));
      assert.equal(removed, expert.steps.length - trajectory.steps.length);
      assert.ok(trajectory.steps.length <= expert.steps.length / 2, `${expert.steps.length} -> ${trajectory.steps.length}`);
      assert.equal(trajectory.steps.at(-1)!.action, 'use desklamp 1');
    });
  } finally {
    await pool.close();
  }
});
