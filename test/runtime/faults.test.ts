/**
 * Faults take nothing down: the fault bench (`stephrl bench faults`) run as a user runs it, 10 rounds of every
 * scenario: kill -9 of the runtime during demonstrations, evaluation, import and training, of environment workers and
 * of the trainer, and two writers on one dataset. First, its detectors are shown to catch what they look for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { descendants, waitGone, killAll } from '../../runtime/src/bench/processes';
import { FAULT_SCENARIOS, inspectDataset, type FaultBenchResult } from '../../runtime/src/bench/fault-bench';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { importEpisodes } from '../../runtime/src/exchange/import';
import { parseJsonl, episodeToJsonl } from '../../runtime/src/exchange/jsonl';
import { runCli } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-faults-'));

test('the orphan detector finds a process group left behind by a killed parent', async () => {
  // A parent whose child leads its own group (as workers do) and ignores the parent's death.
  const parent = spawn('sh', ['-c', 'setsid sleep 60 & sleep 60'], { stdio: 'ignore' });
  let started: number[] = [];
  for (let i = 0; i < 50 && started.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    started = descendants(parent.pid!).map((p) => p.pid);
  }
  assert.equal(started.length, 2, 'both sleeps are found under the shell');
  parent.kill('SIGKILL');
  const left = await waitGone(started, 500);
  assert.equal(left.length, 2, 'nothing made them exit: both are reported as left behind');
  killAll(left.map((p) => p.pid));
  assert.deepEqual(await waitGone(started, 5_000), []);
});

test('the dataset inspection counts an item stored twice and an episode with a missing step', async () => {
  const db = path.join(dir, 'inspect.db');
  const made = await runCli(['demos', '--env', 'alfworld', '--split', 'valid_train', '--limit', '2', '--db', db, '--json']);
  assert.equal(made.code, 0, made.stderr);
  const clean = await inspectDataset(db);
  assert.deepEqual([clean.problems, clean.duplicateItems, clean.complete.size], [[], 0, 2]);
  const store = await DatasetStore.open(db);
  const [first] = await store.episodes.list();
  try {
    const copy = parseJsonl(episodeToJsonl(await store.episodes.get(first!.id)), 'copy.jsonl');
    await importEpisodes(store, copy, { format: 'jsonl', files: ['copy.jsonl'] });
    await store.db.run('DELETE FROM steps WHERE episode_id = ? AND idx = 1', [first!.id]);
  } finally {
    await store.close();
  }
  const spoiled = await inspectDataset(db);
  assert.equal(spoiled.duplicateItems, 1);
  assert.deepEqual(spoiled.problems, [`episode ${first!.id} has missing steps`]);
});

test('fault injection: 10 rounds of every scenario lose nothing, store nothing twice and leave nothing running', async () => {
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  const model = path.join(dir, 'tiny.gguf');
  writeTinyLlamaGguf(model, { nCtx: 8192 });
  const run = await runCli(['bench', 'faults', '--rounds', '10', '--seed', '7', '--model', model, '--dir', path.join(dir, 'bench')], {
    timeoutMs: 1_800_000,
  });
  const result = JSON.parse(run.stdout) as FaultBenchResult;
  for (const s of result.scenarios) {
    console.log(
      `${s.scenario}: ${s.faultsInjected} faults in ${s.rounds} rounds, ${s.seconds.toFixed(0)} s; integrity ${s.integrityFailures}, duplicates ${s.duplicates}, lost ${s.lost}, orphans ${s.orphans}, failures ${s.failures}`,
    );
  }
  assert.deepEqual(
    result.scenarios.map((s) => s.scenario),
    [...FAULT_SCENARIOS],
  );
  for (const s of result.scenarios) {
    assert.deepEqual(s.problems, [], s.scenario);
    // Most kills must land while the job is still running, or the rounds prove little.
    assert.ok(s.faultsInjected >= 7, `${s.scenario}: only ${s.faultsInjected} of ${s.rounds} faults landed`);
  }
  assert.equal(result.totals.ok, true);
  assert.equal(run.code, 0, run.stderr.slice(-2000));
});
