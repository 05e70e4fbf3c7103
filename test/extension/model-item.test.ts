/** The Models view's items: groups, base models and adapters with the run that made them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelChildren, modelItemView } from '../../extension/src/views/model-item';
import type { ModelList } from '../../runtime/src/protocol/trainer';

const card = {
  name: 'alfworld',
  title: 'STEP-HRL BC on ALFWorld',
  env: 'alfworld' as const,
  baseModel: 'SmolLM2.gguf',
  agent: 'stephrl',
  data: '200 demos',
  command: 'stephrl pipeline --recipe alfworld',
  steps: 192,
  trainSeconds: 5400,
  machine: '2-core CPU',
  config: {},
  createdAt: 't',
  scores: [
    {
      split: 'valid_seen',
      constrained: false,
      episodes: 140,
      successRate: 0.25,
      successInterval: [0.186, 0.327] as [number, number],
      meanSteps: 30,
      command: 'stephrl eval',
    },
    {
      split: 'valid_seen',
      constrained: true,
      episodes: 140,
      successRate: 0.3,
      successInterval: [0.23, 0.38] as [number, number],
      meanSteps: 28,
      command: 'stephrl eval --constrained',
    },
  ],
};

const list: ModelList = {
  shipped: [{ ...card, path: '/r/adapters/alfworld/adapter.gguf', cardPath: '/r/adapters/alfworld/card.json', sizeMb: 9.8 }],
  baseModels: [{ path: '/m/SmolLM2.gguf', name: 'SmolLM2.gguf', sizeMb: 88, isDefault: true }],
  adapters: [
    {
      path: '/o/rl/final/adapter.gguf',
      runId: 7,
      runName: 'RL on set 2',
      runStatus: 'complete',
      kind: 'rl',
      baseModel: '/m/SmolLM2.gguf',
      createdAt: 't',
      metrics: { loss_actor_low: 3.25, loss_q_low: 0.1 },
    },
    {
      path: '/o/bc/final/adapter.gguf',
      runId: 5,
      runName: 'BC on set 1',
      runStatus: 'complete',
      kind: 'bc',
      baseModel: null,
      createdAt: 't',
      metrics: { loss: 1.5 },
    },
  ],
};

test('the Models view groups base models and adapters, newest adapter first as the runtime lists them', () => {
  const groups = modelChildren(list);
  assert.deepEqual(
    groups.map((g) => modelItemView(g).label),
    ['Base models', 'Shipped adapters', 'Adapters'],
  );
  assert.deepEqual(
    groups.map((g) => modelItemView(g).description),
    ['1', '1', '2'],
  );
  const [base] = modelChildren(list, groups[0]);
  assert.deepEqual(modelItemView(base!), {
    label: 'SmolLM2.gguf',
    description: '88 MiB · in use · set-up default',
    icon: 'file-binary',
    tooltip: '/m/SmolLM2.gguf',
    contextValue: 'model.base',
    expandable: false,
  });
  // A model chosen in the settings is the one in use; a tiny one says so rather than "0 MiB".
  const withTiny = { ...list, baseModels: [...list.baseModels, { path: '/t/tiny.gguf', name: 'tiny.gguf', sizeMb: 0, isDefault: false }] };
  const [smol, tiny] = modelChildren(withTiny, groups[0], '/t/tiny.gguf').map(modelItemView);
  assert.equal(smol!.description, '88 MiB · set-up default');
  assert.equal(tiny!.description, 'under 1 MiB · in use');
  const [shipped] = modelChildren(list, groups[1]).map(modelItemView);
  assert.equal(shipped!.label, 'alfworld');
  assert.equal(shipped!.description, 'STEP-HRL BC on ALFWorld · valid_seen 25% of 140');
  assert.equal(shipped!.contextValue, 'model.shipped');
  assert.match(shipped!.tooltip, /valid_seen, constrained: 30% \(95% CI 23-38%\) over 140 episodes/);
  const [rl, bc] = modelChildren(list, groups[2]).map(modelItemView);
  assert.equal(rl!.label, 'BC + offline RL · run 7');
  assert.equal(rl!.description, 'SmolLM2.gguf · loss_actor_low 3.250');
  assert.equal(rl!.contextValue, 'model.adapter');
  assert.equal(bc!.label, 'BC · run 5');
  assert.equal(bc!.description, 'loss 1.500');
  assert.deepEqual(modelChildren(list, { type: 'base', model: list.baseModels[0]!, inUse: true }), []);
});
