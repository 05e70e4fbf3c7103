/**
 * The model annotator on real expert episodes: the model (the tiny random GGUF here, so the texts are noise) names
 * the rule annotator's segments through a JSON grammar and writes every step's local progress; the records carry
 * provenance "model" and the segmentation stays valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { namesGrammar, parseNames } from '../../runtime/src/annotate/model-annotator';
import { RULE_ANNOTATORS, annotatable } from '../../runtime/src/annotate/run';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { runCli } from './helpers';

test('the names grammar and parser accept exactly an array of that many strings', () => {
  assert.match(namesGrammar(3), /^root ::= "\[" name ", " name ", " name "\]"$/m);
  assert.deepEqual(parseNames('["go to the sink", " take the mug "]', 2), ['go to the sink', 'take the mug']);
  assert.equal(parseNames('["one"]', 2), null);
  assert.equal(parseNames('not json', 1), null);
  assert.equal(parseNames('[1, 2]', 2), null);
});

test('stephrl annotate --annotator model: the model names the segments and writes the progress of every step', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-model-annotator-'));
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  const modelPath = path.join(dir, 'tiny.gguf');
  writeTinyLlamaGguf(modelPath, { nCtx: 8192 });
  const db = path.join(dir, 'demos.db');
  const demos = await runCli(['demos', '--env', 'alfworld', '--split', 'valid_seen', '--limit', '2', '--db', db]);
  assert.equal(demos.code, 0, demos.stderr);

  const run = await runCli([
    'annotate',
    '--annotator',
    'model',
    '--model',
    modelPath,
    '--gpu',
    'cpu',
    '--threads',
    '1',
    '--context-size',
    '4096',
    '--db',
    db,
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).written, 2);

  const store = await DatasetStore.open(db);
  try {
    for (const summary of await store.episodes.list({ source: 'expert' })) {
      const episode = await store.episodes.get(summary.id);
      const rule = RULE_ANNOTATORS.alfworld(annotatable(episode));
      // The rule segmentation is kept; the names and progress are the model's.
      assert.deepEqual(
        episode.subtasks.map((s) => [s.firstStep, s.lastStep]),
        rule.subtasks.map((s) => [s.firstStep, s.lastStep]),
      );
      assert.ok(episode.subtasks.every((s) => s.provenance === 'model' && s.name.trim().length > 0));
      assert.equal(episode.progress.length, episode.stepCount);
      assert.ok(episode.progress.every((p) => p.provenance === 'model' && p.text.length > 0));
      const history = await store.annotations.history(summary.id);
      assert.ok(
        history.some((edit) => edit.actor === 'model-annotator:tiny.gguf'),
        'the audit trail names the model',
      );
    }
  } finally {
    await store.close();
  }
  // The rule annotator then keeps what the model wrote.
  const again = await runCli(['annotate', '--db', db, '--json']);
  assert.equal(JSON.parse(again.stdout).keptExisting, 2);
});
