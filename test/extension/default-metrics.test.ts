/** The curves view's first charts: the headline figure, then validation loss and evaluated checkpoints' success. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultMetrics } from '../../webview-ui/src/curves/default-metrics';

test('a validated, evaluated BC run opens on loss, validation loss and success per split', () => {
  const names = [
    'grad_norm',
    'loss',
    'loss_bc_low',
    'lr',
    'val_loss',
    'val_loss_bc_low',
    'eval/valid_seen/successRate',
    'eval/valid_seen+grammar/successRate',
    'eval/valid_seen/meanScore',
  ];
  assert.deepEqual(defaultMetrics(names), ['loss', 'val_loss', 'eval/valid_seen/successRate', 'eval/valid_seen+grammar/successRate']);
});

test('other runs open on their headline figure alone, or their first metric', () => {
  assert.deepEqual(defaultMetrics(['grad_norm', 'loss_actor_low', 'loss_q_low']), ['loss_actor_low']);
  assert.deepEqual(defaultMetrics(['eval/episodes', 'eval/successRate']), ['eval/successRate']);
  assert.deepEqual(defaultMetrics(['tokens', 'grad_norm']), ['tokens']);
  assert.deepEqual(defaultMetrics([]), []);
});
