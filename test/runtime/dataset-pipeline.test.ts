/**
 * The dataset pipeline as a user runs it, on the real engines through the CLI: expert demonstrations (killed with
 * SIGKILL mid-run, then resumed; the hand-coded expert's win rate on all 200 games), rule annotation of the whole ALFWorld valid_train set and of a ScienceWorld episode
 * from every task, the coverage invariants, stats, transitions, and export/import in the three formats.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sqlite3 from 'sqlite3';
import { cli, isAlive, root, runCli, waitFor } from './helpers';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { segmentationProblem } from '../../runtime/src/store/annotations';
import { MAX_PROGRESS_CHARS } from '../../runtime/src/annotate/types';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-pipeline-'));
const db = path.join(dir, 'dataset.db');

after(() => fs.rmSync(dir, { recursive: true, force: true }));

function completeEpisodes(file: string): Promise<number> {
  return new Promise((resolve) => {
    const conn = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return resolve(0);
      conn.get("SELECT count(*) AS n FROM episodes WHERE status = 'complete'", (error, row: { n: number } | undefined) =>
        conn.close(() => resolve(error ? 0 : row!.n)),
      );
    });
  });
}

function childPids(pid: number): number[] {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

async function json(args: string[]) {
  const result = await runCli([...args, '--db', db, '--json'], { timeoutMs: 1_200_000 });
  assert.equal(result.code, 0, `stephrl ${args.join(' ')}\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Every complete episode of the dataset is annotated: a valid segmentation, progress on every step, bounded texts. */
async function checkCoverage(filter: { env: 'alfworld' | 'scienceworld' }): Promise<number> {
  const store = await DatasetStore.open(db, { readonly: true });
  try {
    const episodes = await store.episodes.list({ ...filter, status: 'complete' });
    for (const summary of episodes) {
      const e = await store.episodes.get(summary.id);
      const where = `episode ${e.id} (${e.task} ${e.variation ?? e.game})`;
      assert.equal(segmentationProblem(e.subtasks, e.steps.length), null, where);
      assert.deepEqual(
        e.progress.map((p) => p.step),
        e.steps.map((s) => s.idx),
        `${where}: progress on every step`,
      );
      for (const s of e.subtasks) assert.ok(s.name.trim() && s.provenance === 'rule' && !s.reviewed, where);
      for (const p of e.progress) assert.ok(p.text.trim() && p.text.length <= MAX_PROGRESS_CHARS, `${where} step ${p.step}: ${p.text}`);
    }
    return episodes.length;
  } finally {
    await store.close();
  }
}

before(async () => {
  // A first `demos` run on ALFWorld valid_train, killed with SIGKILL once a few episodes are stored.
  // The expert's own trajectories (--no-tidy): tidying replays every game a second time, and is tested on its own
  // (tidy.test.ts) and under kills (the fault suite's demonstrations).
  const child = spawn(process.execPath, [cli, 'demos', '--env', 'alfworld', '--split', 'valid_train', '--no-tidy', '--parallel', '2', '--db', db], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const stored = await waitFor(() => false, 0).then(async () => {
    const end = Date.now() + 240_000;
    while (Date.now() < end && child.exitCode === null) {
      if ((await completeEpisodes(db)) >= 5) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  });
  assert.ok(stored, `demos stored too little before the kill\n${stderr}`);
  const workers = childPids(child.pid!);
  assert.ok(workers.length >= 1, 'demos runs environment workers');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  assert.ok(await waitFor(() => workers.every((pid) => !isAlive(pid)), 20_000), 'workers of a killed runtime exit on their own');
});

test('a SIGKILLed demos run leaves a sound database; rerunning finishes the rest', async () => {
  const beforeRerun = await completeEpisodes(db);
  const store = await DatasetStore.open(db); // opening marks the dead run interrupted
  try {
    assert.deepEqual(await store.integrityProblems(), []);
    const runs = await store.runs.list('collect');
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'interrupted');
    assert.match(runs[0]!.error ?? '', /ended without finishing/);
  } finally {
    await store.close();
  }
  const report = await json(['demos', '--env', 'alfworld', '--split', 'valid_train', '--no-tidy', '--parallel', '2']);
  assert.equal(report.skipped, beforeRerun, 'every episode stored before the kill is kept and skipped');
  assert.equal(report.skipped + report.stored, 200);
  assert.equal(report.failed, 0);
  assert.equal(await completeEpisodes(db), 200);
  assert.ok(report.won >= report.stored * 0.9, `the hand-coded expert wins most games (${report.won}/${report.stored})`);
  await checkExpertRate();
});

/**
 * The hand-coded expert (seed 0, its own trajectories) on all of valid_train, from the stored demonstrations: at least
 * 95% won within the evaluation's 50-step cap (the figure is printed and saved in test-results/alfworld-expert.json).
 */
async function checkExpertRate(): Promise<void> {
  const store = await DatasetStore.open(db, { readonly: true });
  try {
    const episodes = await store.episodes.list({ env: 'alfworld', status: 'complete' });
    const won = episodes.filter((e) => e.won && e.stepCount <= 50).length;
    const invalidActions = episodes.reduce((n, e) => n + e.invalidCount, 0);
    const figure = { games: episodes.length, wonWithin50Steps: won, rate: won / episodes.length, invalidActions };
    const results = path.join(root, 'test-results');
    fs.mkdirSync(results, { recursive: true });
    fs.writeFileSync(path.join(results, 'alfworld-expert.json'), JSON.stringify(figure, null, 2));
    console.log(`ALFWorld hand-coded expert on valid_train: ${won}/${episodes.length} won within 50 steps`);
    assert.ok(figure.rate >= 0.95, `expert won ${won}/${episodes.length} within 50 steps`);
  } finally {
    await store.close();
  }
}

test('rule annotation covers the whole ALFWorld valid_train set', async () => {
  const report = await json(['annotate', '--env', 'alfworld']);
  assert.equal(report.failed, 0, report.failures.join('\n'));
  assert.equal(report.written, 200);
  assert.equal(await checkCoverage({ env: 'alfworld' }), 200);
  const again = await json(['annotate', '--env', 'alfworld']);
  assert.equal(again.written, 0);
  assert.equal(again.keptExisting, 200);
});

test('ScienceWorld: a gold-path episode of every task, annotated', async () => {
  const report = await json(['demos', '--env', 'scienceworld', '--split', 'train', '--per-task', '1', '--parallel', '2']);
  assert.equal(report.stored, 24);
  assert.equal(report.won, 24);
  const annotated = await json(['annotate', '--env', 'scienceworld']);
  assert.equal(annotated.written, 24, annotated.failures.join('\n'));
  assert.equal(await checkCoverage({ env: 'scienceworld' }), 24);
});

test('stats and transitions agree', async () => {
  const stats = await json(['dataset', 'stats']);
  assert.equal(stats.episodes.total, 224);
  assert.equal(stats.annotation.annotatedEpisodes, 224);
  assert.equal(stats.annotation.progressCoverage, 1);
  assert.equal(stats.annotation.reviewedShare, 0);
  assert.equal(stats.transitions.low, stats.steps);
  assert.equal(stats.transitions.high, stats.subtasks);
  const set = await json(['dataset', 'transitions', '--name', 'all']);
  assert.deepEqual(set.counts, { episodes: 224, unannotated: 0, high: stats.subtasks, low: stats.steps, progress: stats.steps });
});

test('export/import: JSONL round trip is exact; steprl-raw and ETO come back', async () => {
  const first = path.join(dir, 'first.jsonl');
  const second = path.join(dir, 'second.jsonl');
  const copy = path.join(dir, 'copy.db');
  assert.equal((await runCli(['dataset', 'export', '--format', 'jsonl', '--out', first, '--db', db])).code, 0);
  const imported = await runCli(['dataset', 'import', first, '--format', 'jsonl', '--db', copy, '--json']);
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(JSON.parse(imported.stdout).imported, 224);
  assert.equal((await runCli(['dataset', 'export', '--format', 'jsonl', '--out', second, '--db', copy])).code, 0);
  assert.equal(fs.readFileSync(second, 'utf8'), fs.readFileSync(first, 'utf8'));

  const raw = path.join(dir, 'raw');
  assert.equal((await runCli(['dataset', 'export', '--format', 'steprl-raw', '--env', 'scienceworld', '--out', raw, '--db', db])).code, 0);
  assert.equal(fs.readdirSync(raw).length, 24);
  const rawDb = path.join(dir, 'raw.db');
  const rawImport = await runCli(['dataset', 'import', raw, '--format', 'steprl-raw', '--env', 'scienceworld', '--db', rawDb, '--json']);
  assert.equal(rawImport.code, 0, rawImport.stderr);
  assert.equal(JSON.parse(rawImport.stdout).imported, 24);

  const eto = path.join(dir, 'eto.json');
  assert.equal((await runCli(['dataset', 'export', '--format', 'eto', '--env', 'alfworld', '--out', eto, '--db', db])).code, 0);
  const etoDb = path.join(dir, 'eto.db');
  const etoImport = await runCli(['dataset', 'import', eto, '--format', 'eto', '--db', etoDb, '--json']);
  assert.equal(etoImport.code, 0, etoImport.stderr);
  const etoResult = JSON.parse(etoImport.stdout);
  assert.equal(etoResult.imported, 200);
  assert.equal(etoResult.annotated, 200, 'ETO trajectories have no annotations: they are annotated on import');
});

test('an export to a place that cannot be written is a clear error naming it', async () => {
  for (const [target, reason] of [
    [dir, /EISDIR/],
    [path.join(dir, 'no', 'such', 'folder', 'x.jsonl'), /ENOENT/],
  ] as const) {
    const r = await runCli(['dataset', 'export', '--format', 'jsonl', '--out', target, '--db', db]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.startsWith(`stephrl: error: cannot write the export to ${target}: `), r.stderr);
    assert.match(r.stderr, reason);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, '');
  const raw = await runCli(['dataset', 'export', '--format', 'steprl-raw', '--out', path.join(file, 'raw'), '--db', db]);
  assert.equal(raw.code, 1);
  assert.match(raw.stderr, /^stephrl: error: cannot write the export to .*a-file\/raw: .*ENOTDIR/);
});

test('a malformed import names the lines and writes nothing', async () => {
  const bad = path.join(dir, 'bad.jsonl');
  const good = fs.readFileSync(path.join(dir, 'first.jsonl'), 'utf8').split('\n')[0]!;
  fs.writeFileSync(bad, [good, '{"format":"stephrl-episode"', good.replace('"source":"expert"', '"source":"robot"')].join('\n'));
  const target = path.join(dir, 'untouched.db');
  const result = await runCli(['dataset', 'import', bad, '--format', 'jsonl', '--db', target]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /nothing was imported: 2 problems/);
  assert.match(result.stderr, /bad\.jsonl:2: not valid JSON/);
  assert.match(result.stderr, /bad\.jsonl:3 \(episode\.source\)/);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
  assert.ok(!fs.existsSync(target) || (await completeEpisodes(target)) === 0);
});
