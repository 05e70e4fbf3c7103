/**
 * The pipeline end to end on the tiny model and real ALFWorld games: every stage lands in the store, the offline-RL
 * set holds the collected rollouts, and running it again redoes nothing. `stephrl collect` samples from a training
 * folder's adapter with the base model that folder names.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { runCli } from './helpers';
import { criticValues } from '../../runtime/src/train/critic-values';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-pipeline-'));
const model = path.join(dir, 'tiny.gguf');
const db = path.join(dir, 'pipeline.db');
const out = path.join(dir, 'out');
const args = [
  'pipeline',
  '--env',
  'alfworld',
  '--model',
  model,
  '--db',
  db,
  '--out',
  out,
  '--gpu',
  'cpu',
  '--threads',
  '1',
  '--bc-steps',
  '2',
  '--rl-steps',
  '2',
  '--config',
  JSON.stringify({ max_length: 4096 }),
  '--json',
];

before(async () => {
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  writeTinyLlamaGguf(model, { nCtx: 8192 });
});

async function runs(): Promise<Array<{ id: number; kind: string; status: string }>> {
  const store = await DatasetStore.open(db);
  try {
    return (await store.runs.list()).map((r) => ({ id: r.id, kind: r.kind, status: r.status }));
  } finally {
    await store.close();
  }
}

test('stephrl pipeline runs every stage into the store, and a second run redoes nothing', async () => {
  const first = await runCli(args, { timeoutMs: 900_000 });
  assert.equal(first.code, 0, first.stderr);
  const result = JSON.parse(first.stdout);
  assert.deepEqual(
    result.rows.map((r: { label: string }) => r.label),
    ['base model, ReAct', 'base model, STEP-HRL', 'after BC', 'after BC + offline RL'],
  );
  assert.equal(result.rows[0].agent, 'react');
  assert.equal(result.rows[2].adapter, result.bc.adapterGguf);
  assert.equal(result.rows[3].adapter, result.rl.adapterGguf);
  for (const row of result.rows) assert.equal(row.episodes, 2);
  assert.equal(result.bc.status, 'complete');
  assert.equal(result.rl.status, 'complete');
  assert.ok(fs.existsSync(path.join(out, 'pipeline.json')));

  const store = await DatasetStore.open(db);
  try {
    const sets = await store.db.all<{ id: number; counts: string }>('SELECT id, counts FROM transition_sets ORDER BY id');
    const [bcCounts, rlCounts] = sets.map((s) => JSON.parse(s.counts) as { episodes: number; low: number });
    assert.ok(rlCounts!.episodes > bcCounts!.episodes, 'the offline RL set adds the collected rollouts to the expert episodes');
    // The evaluations of each trained adapter are on its training run's curves, at the step the adapter was taken from.
    for (const trained of [result.bc, result.rl]) {
      const points = (await store.runs.metrics(trained.runId)).filter((m) => m.name === 'eval/valid_seen/successRate');
      assert.deepEqual(
        points.map((m) => [m.step, m.value]),
        [[2, result.rows.find((r: { adapter: string }) => r.adapter === trained.adapterGguf).successRate]],
      );
    }
    const collected = await store.episodes.list({ source: 'policy', adapter: result.bc.adapterGguf, agent: 'stephrl@t1' });
    assert.equal(collected.length, 2);
    assert.ok(collected.every((e) => e.split === 'valid_train' && e.stepCount <= 15));
  } finally {
    await store.close();
  }
  const count = (all: Array<{ kind: string; status: string }>, kind: string) => all.filter((r) => r.kind === kind && r.status === 'complete').length;
  const all = await runs();
  assert.equal(count(all, 'eval'), 4); // base ReAct, base STEP-HRL, after BC, after BC + RL
  assert.equal(count(all, 'train'), 2);
  assert.ok(
    all.every((r) => r.status === 'complete'),
    JSON.stringify(all),
  );

  const before = await runs();
  const second = await runCli(args, { timeoutMs: 300_000 });
  assert.equal(second.code, 0, second.stderr);
  const strip = (rows: Array<Record<string, unknown>>) => rows.map(({ runId: _runId, ...rest }) => rest);
  assert.deepEqual(strip(JSON.parse(second.stdout).rows), strip(result.rows));
  assert.equal((await runs()).length, before.length, 'nothing was run again');

  // With --baselines: only the flat and history-HRL agents are trained (same demonstrations, steps and settings) and
  // evaluated on the same games; their rows come before STEP-HRL's.
  const third = await runCli([...args, '--baselines'], { timeoutMs: 900_000 });
  assert.equal(third.code, 0, third.stderr);
  const withBaselines = JSON.parse(third.stdout);
  assert.deepEqual(
    withBaselines.rows.map((r: { label: string }) => r.label),
    ['base model, ReAct', 'base model, STEP-HRL', 'flat BC (ReAct)', 'history-HRL BC', 'after BC', 'after BC + offline RL'],
  );
  const flat = withBaselines.rows[2];
  const history = withBaselines.rows[3];
  assert.deepEqual([flat.agent, flat.adapter, flat.episodes], ['react', withBaselines.baselines.react.adapterGguf, 2]);
  assert.deepEqual([history.agent, history.adapter, history.episodes], ['hrl-history', withBaselines.baselines['hrl-history'].adapterGguf, 2]);
  const after = await runs();
  assert.equal(count(after, 'train'), 4, 'two baseline trainings added');
  assert.equal(count(after, 'eval'), 6, 'two baseline evaluations added');
  const store2 = await DatasetStore.open(db);
  try {
    const sets = await store2.db.all<{ name: string; selection: string }>('SELECT name, selection FROM transition_sets ORDER BY id');
    const agents = sets.map((s) => (JSON.parse(s.selection) as { agent?: string }).agent ?? 'stephrl');
    assert.deepEqual(agents, ['stephrl', 'stephrl', 'react', 'hrl-history']);
    const expertIds = (JSON.parse(sets[0]!.selection) as { ids: number[] }).ids;
    for (const s of sets.slice(2)) assert.deepEqual((JSON.parse(s.selection) as { ids: number[] }).ids, expertIds, 'the same demonstrations');
  } finally {
    await store2.close();
  }
});

test('the offline-RL critics score an episode evaluated with the RL adapter: V, Q and advantage for each decision', async () => {
  const rlDir = path.join(
    out,
    fs.readdirSync(out).find((d) => d.startsWith('rl-'))!,
  );
  const store = await DatasetStore.open(db);
  try {
    const [episode] = await store.episodes.list({ source: 'policy', agent: 'stephrl', adapter: path.join(rlDir, 'final', 'adapter.gguf') });
    assert.ok(episode, 'an evaluation ran with the RL adapter');
    const scored = await criticValues(store, { episodeId: episode.id });
    assert.equal(scored.reason, null);
    assert.equal(scored.critics, path.join(rlDir, 'final', 'critics.pt'));
    assert.equal(scored.baseModel, model);
    const detail = await store.episodes.get(episode.id);
    const count = (role: string) => scored.values.filter((v) => v.role === role).length;
    assert.equal(count('high'), detail.subtasks.length);
    assert.equal(count('low'), detail.steps.length);
    assert.equal(count('progress'), detail.steps.length);
    for (const v of scored.values) {
      assert.ok(Number.isFinite(v.v) && Number.isFinite(v.q), JSON.stringify(v));
      assert.ok(Math.abs(v.advantage! - (v.q! - v.v!)) < 1e-4);
    }
    // An adapter path an imported file could have set is not followed to a critics.pt.
    const foreign = path.join(dir, 'elsewhere', 'adapter.gguf');
    fs.mkdirSync(path.dirname(foreign), { recursive: true });
    fs.copyFileSync(scored.critics!, path.join(path.dirname(foreign), 'critics.pt'));
    await store.db.run('UPDATE episodes SET adapter = ? WHERE id = ?', [foreign, episode.id]);
    const refused = await criticValues(store, { episodeId: episode.id });
    assert.deepEqual(refused.values, []);
    assert.match(refused.reason!, /was not exported by a training run of this dataset/);
    assert.equal(
      (await criticValues(store, { episodeId: episode.id, checkpoint: path.dirname(foreign), model })).reason,
      null,
      'a named checkpoint is scored',
    );
    await store.db.run('UPDATE episodes SET adapter = ? WHERE id = ?', [path.join(rlDir, 'final', 'adapter.gguf'), episode.id]);
    // An episode that ran without an adapter says why it has no values.
    const [base] = await store.episodes.list({ source: 'policy', adapter: null });
    const unscored = await criticValues(store, { episodeId: base!.id });
    assert.deepEqual(unscored.values, []);
    assert.match(unscored.reason!, /without an adapter/);
  } finally {
    await store.close();
  }
});

test('stephrl collect samples from a training folder with the base model it names', async () => {
  const bcDir = fs.readdirSync(out).find((d) => d.startsWith('bc-'))!;
  const r = await runCli(
    [
      'collect',
      '--env',
      'alfworld',
      '--checkpoint',
      path.join(out, bcDir),
      '--split',
      'valid_seen',
      '--episodes',
      '1',
      '--max-steps',
      '3',
      '--gpu',
      'cpu',
      '--threads',
      '1',
      '--db',
      db,
      '--json',
    ],
    { timeoutMs: 300_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.agent, 'stephrl@t1');
  assert.equal(summary.model, 'tiny.gguf');
  assert.ok(summary.adapter.endsWith(path.join('final', 'adapter.gguf')));
  const kinds = (await runs()).map((x) => x.kind);
  assert.equal(kinds.at(-1), 'collect');
});

test('stephrl models ship writes a card from what the dataset measured, and models list shows it', async () => {
  const bcDir = path.join(
    out,
    fs.readdirSync(out).find((d) => d.startsWith('bc-'))!,
  );
  const shipDir = path.join(dir, 'adapters');
  const refused = await runCli([
    'models',
    'ship',
    'Bad Name',
    '--adapter',
    path.join(bcDir, 'final', 'adapter.gguf'),
    '--title',
    't',
    '--db',
    db,
    '--dir',
    shipDir,
  ]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /lower-case letters, digits and dashes/);
  const r = await runCli([
    'models',
    'ship',
    'tiny-bc',
    '--adapter',
    path.join(bcDir, 'final', 'adapter.gguf'),
    '--title',
    'tiny BC',
    '--db',
    db,
    '--dir',
    shipDir,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const shipped = JSON.parse(r.stdout);
  assert.equal(shipped.baseModel, 'tiny.gguf');
  assert.equal(shipped.steps, 2);
  assert.match(shipped.data, /valid_train episodes \(alfworld-handcoded-expert\+tidy\)/);
  assert.match(shipped.command, /^stephrl train bc --set \d+ --preset cpu-small --steps 2/);
  // The pipeline evaluated the BC adapter on 2 valid_seen games: that is the card's one score.
  assert.equal(shipped.scores.length, 1);
  assert.equal(shipped.scores[0].split, 'valid_seen');
  assert.equal(shipped.scores[0].episodes, 2);
  assert.match(shipped.scores[0].command, /^stephrl eval --env alfworld --split valid_seen --adapter tiny-bc --per-task 1 --limit 2 --max-steps 15$/);
  assert.ok(fs.existsSync(path.join(shipDir, 'tiny-bc', 'adapter.gguf')));
  assert.match(fs.readFileSync(path.join(shipDir, 'tiny-bc', 'card.md'), 'utf8'), /^# tiny-bc: tiny BC/);
  // An adapter no training run of the dataset exported is refused.
  const foreign = await runCli(['models', 'ship', 'x', '--adapter', model, '--title', 't', '--db', db, '--dir', shipDir]);
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /is not an adapter a training run in .* exported/);

  const list = await runCli(['models', 'list', '--db', db, '--model', model, '--json']);
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout);
  assert.ok(listed.baseModels.some((m: { name: string }) => m.name === 'tiny.gguf'));
  // STEP-HRL's BC adapter and the two baselines' (the first test ran the pipeline with --baselines), told apart by run name.
  const bc = listed.adapters.filter((a: { kind: string }) => a.kind === 'bc').map((a: { runName: string }) => a.runName);
  assert.equal(bc.length, 3, bc.join('; '));
  assert.deepEqual(bc.filter((name: string) => /\((react|hrl-history) agent\)/.test(name)).length, 2, bc.join('; '));
  // Listing never creates a dataset.
  const missing = path.join(dir, 'no-such.db');
  assert.equal((await runCli(['models', 'list', '--db', missing])).code, 0);
  assert.ok(!fs.existsSync(missing));
});

test('stephrl pipeline --tasks keeps demonstrations, rollouts and evaluations to one task type, in sets of its own', async () => {
  const sliceOut = path.join(dir, 'out-pick-and-place');
  const at = args.indexOf('--out') + 1;
  const sliceArgs = [...args.slice(0, at), sliceOut, ...args.slice(at + 1), '--tasks', 'pick_and_place_simple'];
  const r = await runCli(sliceArgs, { timeoutMs: 900_000 });
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.deepEqual(result.tasks, ['pick_and_place_simple']);
  assert.deepEqual(
    result.rows.map((row: { label: string }) => row.label),
    ['base model, ReAct', 'base model, STEP-HRL', 'after BC', 'after BC + offline RL'],
  );
  for (const row of result.rows)
    assert.deepEqual(
      row.perTask.map((t: { task: string }) => t.task),
      ['pick_and_place_simple'],
      row.label,
    );
  assert.ok(fs.existsSync(path.join(sliceOut, 'pipeline.json')));
  const store = await DatasetStore.open(db);
  try {
    for (const setId of [result.transitionSets.bc, result.transitionSets.rl]) {
      const set = await store.db.get<{ name: string; selection: string }>('SELECT name, selection FROM transition_sets WHERE id = ?', [setId]);
      assert.match(set!.name, /:alfworld:pick_and_place_simple:/);
      const episodes = await store.episodes.list({ ids: (JSON.parse(set!.selection) as { ids: number[] }).ids });
      assert.ok(episodes.length > 0);
      assert.deepEqual([...new Set(episodes.map((e) => e.task))], ['pick_and_place_simple'], set!.name);
    }
  } finally {
    await store.close();
  }
});
