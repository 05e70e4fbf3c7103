/** The Evaluate command's request, built from picks and settings, is what the runtime's protocol accepts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSummary, evaluationRequest, type ModelSettings } from '../../extension/src/commands/evaluate-request';
import { requests } from '../../runtime/src/protocol/rpc';

const settings: ModelSettings = {
  modelPath: '',
  adapterPath: '',
  modelEndpoint: '',
  gpu: 'auto',
  adapterMode: 'merged',
  threads: 0,
  parallelEnvironments: 2,
  databasePath: '',
  maxSteps: 50,
  contextSize: 0,
  scienceworldSimplifications: 'easy',
};

test('default settings: the embedded default model, the default dataset, the whole split', () => {
  const request = evaluationRequest({ env: 'alfworld', split: 'valid_seen', agent: 'stephrl', constrained: false }, settings, 't1');
  const parsed = requests['agent/evaluate'].params.parse(request);
  assert.equal(parsed.parallel, 2);
  assert.equal(parsed.limit, undefined);
  assert.equal(parsed.db, undefined);
  assert.deepEqual(parsed.model, { gpu: 'auto', prefixReuse: true, adapterMode: 'merged' });
  assert.equal(parsed.maxSteps, 50, 'the 50-step cap');
  assert.equal(parsed.simplifications, undefined, 'ScienceWorld settings stay out of an ALFWorld request');
});

test('steps per episode, context size and ScienceWorld simplifications come from the settings', () => {
  const custom = { ...settings, maxSteps: 30, contextSize: 8192, scienceworldSimplifications: ' teleportAction,openDoors ' };
  const parsed = requests['agent/evaluate'].params.parse(
    evaluationRequest({ env: 'scienceworld', split: 'dev', agent: 'stephrl', constrained: false }, custom, 't5'),
  );
  assert.equal(parsed.maxSteps, 30);
  assert.equal(parsed.model.contextSize, 8192);
  assert.equal(parsed.simplifications, 'teleportAction,openDoors');
});

test('a model, an adapter, threads and a dataset from settings; an endpoint replaces the embedded model', () => {
  const custom = {
    ...settings,
    modelPath: ' /m/mistral.gguf ',
    adapterPath: '/m/lora.gguf',
    threads: 8,
    gpu: 'cuda' as const,
    adapterMode: 'separate' as const,
    databasePath: '/d/x.db',
  };
  const embedded = requests['agent/evaluate'].params.parse(
    evaluationRequest({ env: 'scienceworld', split: 'test', agent: 'react', constrained: true, limit: 10 }, custom, 't2'),
  );
  assert.deepEqual(embedded.model, {
    gpu: 'cuda',
    prefixReuse: true,
    adapterMode: 'separate',
    path: '/m/mistral.gguf',
    adapter: '/m/lora.gguf',
    threads: 8,
  });
  assert.equal(embedded.db, '/d/x.db');
  assert.equal(embedded.limit, 10);
  assert.equal(embedded.constrained, true);
  const served = requests['agent/evaluate'].params.parse(
    evaluationRequest(
      { env: 'scienceworld', split: 'test', agent: 'react', constrained: false },
      { ...custom, modelEndpoint: 'http://127.0.0.1:8000' },
      't3',
    ),
  );
  assert.equal(served.model.endpoint, 'http://127.0.0.1:8000');
  assert.equal(served.model.path, undefined);
  assert.equal(served.model.adapter, undefined);
});

test('a malformed endpoint is refused by the protocol before anything runs', () => {
  const bad = evaluationRequest(
    { env: 'alfworld', split: 'valid_seen', agent: 'stephrl', constrained: false },
    { ...settings, modelEndpoint: 'not a url' },
    't4',
  );
  assert.equal(requests['agent/evaluate'].params.safeParse(bad).success, false);
});

test('the summary line says score for ScienceWorld, success for ALFWorld, and what is left', () => {
  const base = { split: 's', agent: 'stephrl', episodes: 4, meanScore: 12.34, successRate: 0.25, promptTokensPerEpisode: 1234.4, missing: 0 };
  assert.equal(
    describeSummary({ ...base, env: 'scienceworld' }),
    'stephrl on scienceworld s: mean score 12.3 over 4 episodes, 1234 prompt tokens per episode',
  );
  assert.match(describeSummary({ ...base, env: 'alfworld', missing: 2 }), /success 25\.0% .*2 not finished \(run it again to resume\)$/);
});
