/**
 * Training through the runtime: `stephrl train` records the run, its live metrics and its checkpoints in the store;
 * the exported adapter loads in llama.cpp and agrees with PyTorch; a cancelled run resumes to the same end.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { measureExportParity } from '../../runtime/src/train/export-parity';
import { resolvePython } from '../../runtime/src/util/paths';
import { cli, root, runCli } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-train-'));
const model = path.join(dir, 'tiny.gguf');
const db = path.join(dir, 'train.db');
// The tiny model's vocabulary is bytes: prompts are long in tokens. Small batches keep CPU steps quick.
const small = JSON.stringify({ max_length: 4096, micro_batch_size: 2, global_batch_size: 4, checkpoint_every: 2 });

async function cliOk(args: string[]): Promise<string> {
  const r = await runCli(args, { timeoutMs: 600_000 });
  assert.equal(r.code, 0, `stephrl ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

before(async () => {
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  writeTinyLlamaGguf(model, { nCtx: 8192 });
  await cliOk(['demos', '--env', 'alfworld', '--split', 'valid_train', '--limit', '2', '--db', db, '--json']);
  await cliOk(['annotate', '--db', db, '--json']);
  await cliOk(['dataset', 'transitions', '--db', db, '--json']);
});

async function withStore<T>(body: (store: DatasetStore) => Promise<T>): Promise<T> {
  const store = await DatasetStore.open(db);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

test('stephrl train bc records the run, a metric row per step and its checkpoints; the adapter plays in llama.cpp', async () => {
  const out = path.join(dir, 'bc');
  const result = JSON.parse(await cliOk(['train', 'bc', '--db', db, '--model', model, '--steps', '4', '--out', out, '--config', small, '--json']));
  assert.equal(result.status, 'complete');
  assert.equal(result.steps, 4);
  assert.ok(fs.existsSync(result.adapterGguf), 'adapter.gguf was written');
  await withStore(async (store) => {
    const run = (await store.runs.get(result.runId))!;
    assert.equal(run.kind, 'train');
    assert.equal(run.status, 'complete');
    assert.equal(run.config.out, out);
    const metrics = await store.runs.metrics(result.runId);
    const lowLoss = metrics.filter((m) => m.name === 'loss_bc_low');
    assert.deepEqual(
      lowLoss.map((m) => m.step),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      metrics.filter((m) => m.name === 'loss_bc_high').map((m) => m.step),
      [4],
    ); // every 4th step
    const kinds = (await store.runs.checkpoints(result.runId)).map((c) => `${c.kind}@${c.step}`);
    // The final folder is the last step's checkpoint; without validation its adapter is that step's too.
    assert.deepEqual(kinds, ['gguf-adapter@-1', 'checkpoint@2', 'checkpoint@4', 'adapter@4']);
  });
  // The same command again: already complete, nothing retrained.
  const again = JSON.parse(await cliOk(['train', 'bc', '--db', db, '--model', model, '--steps', '4', '--out', out, '--config', small, '--json']));
  assert.equal(again.runId, result.runId);
  assert.equal(again.status, 'complete');
  // The exported adapter loads with the base GGUF and plays an episode.
  const evalOut = JSON.parse(
    await cliOk([
      'eval',
      '--env',
      'alfworld',
      '--split',
      'valid_seen',
      '--limit',
      '1',
      '--max-steps',
      '3',
      '--model',
      model,
      '--adapter',
      result.adapterGguf,
      '--gpu',
      'cpu',
      '--threads',
      '1',
      '--db',
      db,
      '--json',
    ]),
  );
  assert.equal(evalOut.episodes, 1);
  assert.equal(evalOut.adapter, result.adapterGguf);
  // More steps: the same run trained further from where it ended, its stages recorded for the adapter card.
  const further = JSON.parse(await cliOk(['train', 'bc', '--db', db, '--model', model, '--steps', '6', '--out', out, '--config', small, '--json']));
  assert.deepEqual([further.runId, further.status, further.steps, further.resumed], [result.runId, 'complete', 6, true]);
  await withStore(async (store) => {
    const run = (await store.runs.get(result.runId))!;
    assert.deepEqual([run.config.steps, run.config.stages], [6, [4, 6]]);
    const steps = (await store.runs.metrics(result.runId)).filter((m) => m.name === 'loss_bc_low').map((m) => m.step);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6], 'steps 5 and 6 added, none twice');
    // The 4-step adapter and its evaluation moved aside: the new final adapter starts with no scores.
    const archived = path.join(out, 'final-step4', 'adapter.gguf');
    assert.ok(fs.existsSync(archived) && fs.existsSync(further.adapterGguf));
    const adapters = await store.db.all<{ adapter: string }>('SELECT DISTINCT adapter FROM episodes WHERE adapter IS NOT NULL');
    assert.deepEqual(
      adapters.map((a) => a.adapter),
      [archived],
    );
  });
});

test('stephrl decisions: every chosen transition asked once with the adapter, per role, prefixes from the cache; a missing set is named', async () => {
  const adapter = path.join(dir, 'bc', 'final', 'adapter.gguf'); // the first test's
  const game = await withStore(
    async (store) => (await store.db.get<{ game: string }>("SELECT game FROM episodes WHERE source = 'expert' ORDER BY id LIMIT 1"))!.game,
  );
  const args = ['decisions', '--model', model, '--adapter', adapter, '--gpu', 'cpu', '--db', db, '--games', game, '--per-role', '3', '--json'];
  const report = JSON.parse(await cliOk(args));
  assert.equal(report.episodes, 1);
  assert.deepEqual(
    report.roles.map((r: { role: string; n: number }) => [r.role, r.n]),
    [
      ['high', 3],
      ['low', 3],
      ['progress', 3],
    ],
  );
  const targets = await withStore((store) =>
    store.db.all<{ target: string }>(
      `SELECT t.target FROM transitions t JOIN episodes e ON e.id = t.episode_id WHERE e.game = ? AND t.set_id = ${report.setId}`,
      [game],
    ),
  );
  for (const role of report.roles) {
    assert.ok(role.correct + role.misses.length === role.n, 'each answer is right or kept as a miss');
    for (const miss of role.misses)
      assert.ok(
        targets.some((t) => t.target.trim() === miss.expected),
        'a miss names the expert target',
      );
  }
  const low = report.roles[1];
  assert.equal(low.action.n, 3);
  assert.equal(
    Object.values(low.byVerb as Record<string, { n: number }>).reduce((sum, r) => sum + r.n, 0),
    3,
  );
  assert.ok(report.cachedPromptTokens > 0 && report.cachedPromptTokens < report.promptTokens, 'role prefixes came from the KV cache');

  const missing = await runCli(['decisions', '--model', model, '--db', db, '--set', '99']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no transition set 99/);
});

test('baselines train at equal data: a flat-agent transition set, trained with --agent react; a missing set is named', async () => {
  const missing = await runCli(['train', 'bc', '--agent', 'hrl-history', '--db', db, '--model', model, '--steps', '1', '--config', small]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no transition set for the hrl-history agent: .*stephrl dataset transitions --agent hrl-history/);

  const derived = JSON.parse(
    await cliOk(['dataset', 'transitions', '--agent', 'react', '--name', 'flat', '--source', 'expert', '--db', db, '--json']),
  );
  const steps = await withStore((store) =>
    store.db.get<{ n: number }>("SELECT count(*) AS n FROM steps s JOIN episodes e ON e.id = s.episode_id WHERE e.source = 'expert'"),
  );
  assert.deepEqual([derived.counts.high, derived.counts.low, derived.counts.progress], [0, steps!.n, 0], 'one flat transition per expert step');
  const out = path.join(dir, 'bc-react');
  const result = JSON.parse(
    await cliOk(['train', 'bc', '--agent', 'react', '--db', db, '--model', model, '--steps', '2', '--out', out, '--config', small, '--json']),
  );
  assert.equal(result.status, 'complete');
  await withStore(async (store) => {
    const run = (await store.runs.get(result.runId))!;
    assert.deepEqual([run.config.setId, run.config.agent], [derived.setId, 'react']);
    assert.match(run.name, /\(react agent\)/);
    const names = new Set((await store.runs.metrics(result.runId)).map((m) => m.name));
    assert.ok(names.has('loss_bc_low') && !names.has('loss_bc_progress') && !names.has('loss_bc_high'), [...names].join(', '));
  });
  const stephrlSet = await runCli([
    'train',
    'bc',
    '--agent',
    'stephrl',
    '--set',
    String(derived.setId),
    '--db',
    db,
    '--model',
    model,
    '--steps',
    '1',
    '--config',
    small,
  ]);
  assert.equal(stephrlSet.code, 1);
  assert.match(stephrlSet.stderr, new RegExp(`transition set ${derived.setId} holds the react agent's transitions, not the stephrl agent's`));
});

test('bench train: reference and fast paths side by side for BC and offline RL, with the speedup a script reads', async () => {
  const r = JSON.parse(await cliOk(['bench', 'train', '--model', model, '--db', db, '--steps', '3', '--config', small, '--cpu']));
  for (const kind of ['bc', 'rl'] as const) {
    const { reference, fast, speedup } = r[kind];
    for (const path of [reference, fast]) {
      assert.ok(path.tokensPerSecond > 0 && path.samplesPerSecond > 0 && path.secondsPerStep > 0, JSON.stringify(path));
      assert.ok(path.mfuOfMeasuredCeiling > 0 && path.mfuOfMeasuredCeiling < 1, `${kind}: MFU ${path.mfuOfMeasuredCeiling}`);
      assert.equal(path.mfuOfNominalPeak, null, 'no nominal peak for a CPU');
    }
    assert.equal(speedup, Number((fast.tokensPerSecond / reference.tokensPerSecond).toFixed(3)));
    assert.equal(reference.tokens, fast.tokens, `${kind}: the same samples on both paths`);
    assert.ok(
      fast.processedTokens < reference.processedTokens,
      `${kind}: the fast path computes fewer tokens (${fast.processedTokens} vs ${reference.processedTokens})`,
    );
  }
  assert.ok(r.machine.matmulCeiling.flopsPerSecond > 0);
});

test('bench learn: the learning check runs end to end and fails honestly when nothing was learned', async () => {
  // One training step of a random model cannot replay a game: the check must say so (exit code 1), with its figures.
  const learnDir = path.join(dir, 'learn');
  const config = JSON.stringify({ max_length: 8192, micro_batch_size: 2, global_batch_size: 2 });
  const args = [
    'bench',
    'learn',
    '--model',
    model,
    '--games',
    '1',
    '--required',
    '1',
    '--steps',
    '1',
    '--max-steps',
    '4',
    '--dir',
    learnDir,
    '--config',
    config,
    '--cpu',
  ];
  const r = await runCli(args, { timeoutMs: 600_000 });
  assert.equal(r.code, 1, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.suite, 'learn');
  assert.equal(result.passed, false);
  assert.equal(result.games, 1);
  assert.equal(result.perGame[0].won, false);
  assert.ok(result.perGame[0].steps >= 1 && result.perGame[0].steps <= 4);
  assert.ok(result.perGame[0].demonstrationSteps >= 1);
  assert.equal(result.training.steps, 1);
  assert.ok(fs.existsSync(result.training.adapter), result.training.adapter);
  assert.ok(result.machine.cpus >= 1);
  // Resumable: the second run trains nothing and replays nothing, and reports the same.
  const again = await runCli(args, { timeoutMs: 600_000 });
  assert.equal(again.code, 1, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout).perGame, result.perGame);
});

test('export parity: llama.cpp with the exported adapter picks the same greedy tokens as PyTorch', async () => {
  const adapterDir = path.join(dir, 'random-adapter');
  // Large random LoRA weights: a freshly trained adapter is almost zero and would hide a wrong export.
  execFileSync(resolvePython(), [path.join(root, 'test', 'fixtures', 'random_adapter.py'), model, adapterDir, '0', '0.2'], { stdio: 'ignore' });
  const gguf = path.join(adapterDir, 'adapter.gguf');
  execFileSync(resolvePython(), ['-m', 'stephrl_train', 'export', '--adapter', adapterDir, '--model', model, '--out', gguf], {
    env: { ...process.env, PYTHONPATH: path.join(root, 'runtime', 'python') },
    stdio: 'ignore',
  });
  const texts = [
    'You are the low-level actor. Subtask: take the mug from the countertop.\nObservation: You are in the middle of a room.',
    'the hello world a the world hello',
    'Progress so far: None\nAction: go to countertop 1\nResult: On the countertop 1, you see a mug 1.',
  ];
  const report = await measureExportParity({ model, adapterDir, adapterGguf: gguf, texts });
  console.log(
    `export parity (F32 tiny model): ${report.agreement}/${report.positions} positions (merged: ${report.mergedAgreement}); the adapter changed ${report.adapterChanged}`,
  );
  assert.ok(report.positions > 100);
  assert.ok(report.adapterChanged > report.positions * 0.3, 'the adapter must change most greedy choices for the check to mean anything');
  assert.ok(report.agreement >= 0.95 * report.positions, `agreement ${report.agreement}/${report.positions}`);
  assert.ok(report.mergedAgreement >= 0.95 * report.positions, `merged: agreement ${report.mergedAgreement}/${report.positions}`);
});

test('a cancelled training run is interrupted with a checkpoint, and the same command resumes it to the end', async () => {
  const out = path.join(dir, 'cancel');
  // One of the two episodes held apart, validated every 4 steps: the final adapter is the best validated step's.
  const validated = { ...JSON.parse(small), validation_fraction: 0.5, eval_every: 4 };
  const args = ['train', 'bc', '--db', db, '--model', model, '--steps', '12', '--out', out, '--config', JSON.stringify(validated), '--json'];
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (/^step 3\b/m.test(stderr) && child.exitCode === null && !child.killed) child.kill('SIGTERM');
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const code = await new Promise<number | null>((r) => child.once('close', r));
  assert.equal(code, 130, stderr);
  const first = JSON.parse(stdout);
  assert.equal(first.status, 'interrupted');
  assert.ok(first.steps >= 3 && first.steps < 12, `stopped at step ${first.steps}`);

  // Resumed with a setting a resumed run may change (early stopping): the run's record says it applied.
  const resumeArgs = [...args];
  resumeArgs[resumeArgs.indexOf('--config') + 1] = JSON.stringify({ ...validated, early_stopping_patience: 9 });
  const second = JSON.parse(await cliOk(resumeArgs));
  assert.equal(second.runId, first.runId);
  assert.equal(second.status, 'complete');
  assert.ok(second.resumed);
  await withStore(async (store) => {
    const overrides = (await store.runs.get(first.runId))!.config.overrides as Record<string, unknown>;
    assert.deepEqual([overrides.early_stopping_patience, overrides.eval_every, overrides.micro_batch_size], [9, 4, 2]);
    const best = JSON.parse(fs.readFileSync(path.join(out, 'final', 'best.json'), 'utf8')) as { step: number; val_loss: number };
    const adapter = (await store.runs.checkpoints(first.runId)).filter((c) => c.kind === 'adapter');
    assert.deepEqual(
      adapter.map((c) => [c.step, c.metrics.val_loss]),
      [[best.step, best.val_loss]],
      'the final adapter is recorded at the best validated step, with that step figures',
    );
    const steps = (await store.runs.metrics(first.runId)).filter((m) => m.name === 'loss_bc_low').map((m) => m.step);
    assert.deepEqual(
      steps,
      Array.from({ length: 12 }, (_, i) => i + 1),
      'one metric row per step, none twice',
    );
    const stopped = (await store.runs.checkpoints(first.runId)).filter((c) => c.kind === 'checkpoint');
    assert.ok(
      stopped.some((c) => c.step === first.steps),
      'the stop left a checkpoint at the step it ended on',
    );
  });
});

test('a runtime killed with SIGKILL mid-training: its trainer stops too, and the same command resumes from the last checkpoint', async () => {
  const out = path.join(dir, 'killed');
  const args = ['train', 'bc', '--db', db, '--model', model, '--steps', '8', '--out', out, '--config', small, '--json'];
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // After the step-2 checkpoint is on disk, kill the runtime without warning.
  const checkpoint = path.join(out, 'checkpoints', 'step-0000002', 'COMPLETE');
  const deadline = Date.now() + 180_000;
  while (!fs.existsSync(checkpoint) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  assert.ok(fs.existsSync(checkpoint), `no checkpoint before the kill\n${stderr}`);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  // The orphaned trainer notices at its next event (the pipe is gone) and exits.
  const trainerGone = async () => {
    const end = Date.now() + 120_000;
    while (Date.now() < end) {
      const ps = execFileSync('ps', ['-eo', 'args']).toString();
      if (!ps.split('\n').some((l) => l.includes('stephrl_train') && l.includes(out))) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  };
  assert.ok(await trainerGone(), 'the trainer of a killed runtime exits by itself');
  // The kill can fall after the trainer sent a checkpointed step's metrics line and before the runtime stored it:
  // drop what was stored from the checkpoint's step on, as such a kill would, and the resume must still log every step.
  const latest = Math.max(...fs.readdirSync(path.join(out, 'checkpoints')).map((n) => Number(/^step-(\d+)$/.exec(n)?.[1] ?? 0)));
  await withStore(async (store) => {
    const run = (await store.runs.list('train')).find((r) => path.resolve(String(r.config.out)) === path.resolve(out))!;
    await store.runs.deleteMetricsFrom(run.id, latest);
  });

  const resumed = JSON.parse(await cliOk(args));
  assert.equal(resumed.status, 'complete');
  assert.ok(resumed.resumed);
  await withStore(async (store) => {
    const steps = (await store.runs.metrics(resumed.runId)).filter((m) => m.name === 'loss_bc_low').map((m) => m.step);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal((await store.runs.get(resumed.runId))!.status, 'complete');
  });
});
