/** How the Runs view shows a run: status icon, key figure per kind and environment, duration, metrics in the tooltip. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyMetric, runItemView } from '../../extension/src/views/run-item';
import { RunSummary } from '../../runtime/src/protocol/dataset';

const run = (over: Partial<RunSummary>): RunSummary =>
  RunSummary.parse({
    id: 7,
    kind: 'eval',
    name: 'stephrl on alfworld valid_seen',
    status: 'complete',
    error: null,
    config: { env: 'alfworld' },
    startedAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:02:05.000Z',
    finishedAt: '2026-11-22T10:02:05.000Z',
    metrics: { 'eval/episodes': 20, 'eval/meanScore': 35, 'eval/successRate': 0.35 },
    ...over,
  });

test('an ALFWorld evaluation shows its success rate; a ScienceWorld one its mean score', () => {
  const view = runItemView(run({}));
  assert.equal(view.icon, 'pass');
  assert.equal(view.description, 'complete · success 35.0% (20 episodes) · 2 min 5 s');
  assert.match(view.tooltip, /^eval run 7: complete\n/);
  assert.match(view.tooltip, /eval\/successRate: 0\.3500/);
  assert.equal(
    keyMetric(run({ config: { env: 'scienceworld' }, metrics: { 'eval/episodes': 3, 'eval/meanScore': 41.25, 'eval/successRate': 0 } })),
    'score 41.3 (3 episodes)',
  );
  assert.equal(
    keyMetric(run({ config: { env: 'scienceworld' }, metrics: { 'eval/episodes': 1, 'eval/meanScore': 8, 'eval/successRate': 0 } })),
    'score 8.0 (1 episode)',
  );
});

test('running runs spin and count time up to now; failed ones show the error; training shows its last loss', () => {
  const live = runItemView(run({ status: 'running', finishedAt: null, metrics: {} }), new Date('2026-11-22T11:30:00.000Z'));
  assert.equal(live.icon, 'sync~spin');
  assert.equal(live.description, 'running · 1 h 30 min');
  const failed = runItemView(run({ status: 'failed', error: '2 episodes failed; rerun to retry them', metrics: {} }));
  assert.equal(failed.icon, 'error');
  assert.match(failed.tooltip, /error: 2 episodes failed/);
  assert.equal(keyMetric(run({ kind: 'train', metrics: { 'bc/loss': 1.23456, lr: 0.0001 } })), 'loss 1.2346');
  assert.equal(keyMetric(run({ kind: 'train', metrics: { loss: 2.5, loss_bc_low: 1.25 } })), 'loss 2.5000');
  assert.equal(keyMetric(run({ kind: 'train', metrics: { loss_q_low: 0.5, loss_actor_low: 3 } })), 'loss_actor_low 3.0000');
  assert.equal(keyMetric(run({ kind: 'collect', metrics: {} })), null);
});
