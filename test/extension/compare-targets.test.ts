/** Which runs "Compare Runs" compares: the clicked run and the others selected with it, evaluation runs only. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareTargets } from '../../extension/src/views/run-item';
import { RunSummary } from '../../runtime/src/protocol/dataset';

const run = (id: number, kind: RunSummary['kind'] = 'eval'): RunSummary =>
  RunSummary.parse({
    id,
    kind,
    name: `run ${id}`,
    status: 'complete',
    error: null,
    config: { env: 'alfworld' },
    startedAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:02:05.000Z',
    finishedAt: '2026-11-22T10:02:05.000Z',
    metrics: {},
  });

test('the clicked run and the selection, each once, oldest first; training and other runs left out', () => {
  assert.deepEqual(compareTargets(run(9), [run(9), run(3), run(5, 'train'), run(4)]), [3, 4, 9]);
  assert.deepEqual(compareTargets(undefined, [run(2), run(1)]), [1, 2]);
  assert.deepEqual(compareTargets(run(7)), [7]);
  assert.deepEqual(compareTargets(run(7, 'collect'), []), []);
  assert.deepEqual(compareTargets(), []);
});
