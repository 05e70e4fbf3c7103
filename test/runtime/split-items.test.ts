/** Choosing episodes of a split: an explicit list of games, with the other filters, and a clear error for a stranger. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerPool } from '../../runtime/src/env/pool';
import { episodeName, interleavedByTask, listSplitItems } from '../../runtime/src/env/split-items';
import { resolveAlfworldData } from '../../runtime/src/util/paths';

test('ALFWorld: --games picks exactly the named games in split order, by key or by folder', async () => {
  const pool = new WorkerPool('alfworld', { size: 1 });
  const alfworldData = resolveAlfworldData();
  const selection = { env: 'alfworld' as const, split: 'valid_seen', simplifications: 'easy', alfworldData };
  try {
    const all = await listSplitItems(pool, selection);
    assert.equal(all.length, 140);
    const keys = [episodeName(all[7]!.fields), episodeName(all[2]!.fields)];
    const folder = `${alfworldData}/${episodeName(all[30]!.fields)}`;
    const chosen = await listSplitItems(pool, { ...selection, games: [...keys, folder] });
    assert.deepEqual(
      chosen.map((i) => episodeName(i.fields)),
      [all[2], all[7], all[30]].map((i) => episodeName(i!.fields)),
    );
    assert.equal((await listSplitItems(pool, { ...selection, games: keys, limit: 1 })).length, 1);
    await assert.rejects(
      listSplitItems(pool, { ...selection, games: ['json_2.1.1/valid_seen/no-such-task/trial_0'] }),
      /1 of the episodes asked for is not in alfworld valid_seen: json_2\.1\.1\/valid_seen\/no-such-task\/trial_0/,
    );
  } finally {
    await pool.close();
  }
});

test('evaluations play the first episode of each task, then the second of each: a run stopped early samples every task', () => {
  const item = (task: string, variation: number) => ({
    fields: { env: 'scienceworld' as const, task, variation, simplifications: null, game: null },
  });
  const items = [item('boil', 0), item('boil', 1), item('boil', 2), item('melt', 0), item('grow', 0), item('grow', 1)];
  const order = interleavedByTask(items).map((i) => `${i.fields.task}:${i.fields.variation}`);
  assert.deepEqual(order, ['boil:0', 'melt:0', 'grow:0', 'boil:1', 'grow:1', 'boil:2']);
  assert.deepEqual(interleavedByTask([]), []);
});
