/**
 * A runtime killed mid-evaluation (SIGKILL, no chance to clean up) loses nothing: the finished episodes stay, the
 * episode in flight and its run read as interrupted when the dataset is next opened, the database is sound, and the
 * same command finishes the rest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { cli, root, runCli } from './helpers';

interface Progress {
  counts: Record<string, number>;
  /** The episode being played and the steps it has stored. */
  inFlight?: { id: number; steps: number };
}

async function progressOf(db: string): Promise<Progress> {
  if (!fs.existsSync(db)) return { counts: {} };
  // The file exists a moment before its schema does: a read-only open then refuses it, and the next poll tries again.
  const store = await DatasetStore.open(db, { readonly: true }).catch(() => null);
  if (!store) return { counts: {} };
  try {
    const progress: Progress = { counts: {} };
    for (const e of await store.episodes.list({ source: 'policy' })) {
      progress.counts[e.status] = (progress.counts[e.status] ?? 0) + 1;
      if (e.status === 'running') progress.inFlight = { id: e.id, steps: e.stepCount };
    }
    return progress;
  } catch {
    return { counts: {} }; // the schema may not be written yet
  } finally {
    await store.close();
  }
}

/** A tiny random model and `stephrl eval` arguments for 4 short ALFWorld episodes into a fresh dataset. */
async function tinyEvaluation(prefix: string): Promise<{ db: string; args: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const { writeTinyLlamaGguf } = await import('../fixtures/tinygguf.mjs');
  const model = path.join(dir, 'tiny.gguf');
  writeTinyLlamaGguf(model, { nCtx: 8192 });
  const db = path.join(dir, 'eval.db');
  const args = ['eval', '--env', 'alfworld', '--split', 'valid_seen', '--limit', '4', '--max-steps', '6', '--model', model];
  return { db, args: [...args, '--gpu', 'cpu', '--threads', '1', '--db', db] };
}

test('stephrl eval killed with SIGKILL mid-run keeps its episodes and a rerun finishes the split', async () => {
  const { db, args } = await tinyEvaluation('stephrl-eval-kill-');

  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const end = Date.now() + 180_000;
  let seen: Progress = { counts: {} };
  // Kill once one episode is complete and the next one is being played with a step stored.
  while (Date.now() < end && child.exitCode === null) {
    seen = await progressOf(db);
    if ((seen.counts.complete ?? 0) >= 1 && (seen.inFlight?.steps ?? 0) >= 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok((seen.counts.complete ?? 0) >= 1 && seen.inFlight && child.exitCode === null, `the run got too little done before the kill\n${stderr}`);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  const completeBefore = (await progressOf(db)).counts.complete ?? 0;

  const store = await DatasetStore.open(db); // opening marks the dead run and its live episode interrupted
  try {
    assert.deepEqual(await store.integrityProblems(), []);
    const [run] = await store.runs.list('eval');
    assert.equal(run!.status, 'interrupted');
    // Threads and layout change how decodes round: the run's settings keep them.
    const settings = run!.config.model as { threads?: number; parallelLayout?: string };
    assert.deepEqual([settings.threads, settings.parallelLayout], [1, 'batched']);
    const episodes = await store.episodes.list({ source: 'policy' });
    assert.ok(
      episodes.some((e) => e.status === 'interrupted'),
      'the episode in flight reads as interrupted',
    );
    // The episode seen in flight kept every step it had stored (it may have finished before the kill landed).
    const watched = episodes.find((e) => e.id === seen.inFlight!.id)!;
    assert.ok(['interrupted', 'complete'].includes(watched.status), watched.status);
    assert.ok(watched.stepCount >= seen.inFlight!.steps, `${watched.stepCount} steps kept of ${seen.inFlight!.steps} stored`);
    assert.ok(episodes.every((e) => e.status !== 'running'));
  } finally {
    await store.close();
  }

  const rerun = await runCli([...args, '--json']);
  assert.equal(rerun.code, 0, rerun.stderr);
  const summary = JSON.parse(rerun.stdout);
  assert.equal(summary.episodes, 4);
  assert.equal(summary.missing, 0);
  assert.match(rerun.stderr, new RegExp(`${completeBefore} already evaluated, ${4 - completeBefore} to run`));
  assert.match(rerun.stderr, /model: tiny\.gguf \(embedded, cpu, context \d+, 1 thread\)/);
});

test('Ctrl-C stops stephrl eval cleanly: the episode in flight and the run read as interrupted, exit code 130', async () => {
  const { db, args } = await tinyEvaluation('stephrl-eval-sigint-');
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const end = Date.now() + 180_000;
  while (Date.now() < end && child.exitCode === null) {
    const { counts } = await progressOf(db);
    if ((counts.complete ?? 0) >= 1 && (counts.running ?? 0) >= 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  assert.equal(code, 130);
  assert.match(stdout, /missing: rerun to finish/, 'the summary of what was done is still printed');
  const store = await DatasetStore.open(db, { readonly: true });
  try {
    const [run] = await store.runs.list('eval');
    assert.equal(run!.status, 'interrupted', 'the run itself recorded the interruption');
    const episodes = await store.episodes.list({ source: 'policy' });
    assert.ok(episodes.some((e) => e.status === 'interrupted' && e.stoppedBy === 'cancelled'));
    assert.ok(episodes.every((e) => e.status !== 'running'));
  } finally {
    await store.close();
  }
});
