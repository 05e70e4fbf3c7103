/**
 * The dataset store on real SQLite with real expert episodes: schema and migrations, bad files, resumable
 * collection, annotation edits (validation, audit, undo), transitions and the JSONL round trip.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import sqlite3 from 'sqlite3';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { InvalidEdit, segmentationProblem } from '../../runtime/src/store/annotations';
import { SCHEMA_VERSION } from '../../runtime/src/store/schema';
import { StoreError } from '../../runtime/src/store/sqlite';
import { collectDemonstrations } from '../../runtime/src/collect/demos';
import { loadTransitionEpisodes, materializeTransitions } from '../../runtime/src/store/transitions';
import { deriveTransitions, subtaskCutOff } from '../../runtime/src/agent/stephrl-transitions';
import { agentTransitions } from '../../runtime/src/agent/agent-transitions';
import { highLevelPrompt, lowLevelPrompt, observationText, promptText } from '../../runtime/src/agent/prompts';
import { episodeToJsonl, parseJsonl } from '../../runtime/src/exchange/jsonl';
import { importEpisodes } from '../../runtime/src/exchange/import';
import { importFiles } from '../../runtime/src/exchange/import-files';
import { ImportError } from '../../runtime/src/exchange/types';
import { datasetStats } from '../../runtime/src/store/stats';
import { resolveAlfworldData } from '../../runtime/src/util/paths';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-store-'));
const dbFile = path.join(dir, 'test.db');
let store: DatasetStore;
let episodeIds: number[] = [];

before(async () => {
  store = await DatasetStore.open(dbFile);
  const report = await collectDemonstrations(store, {
    env: 'alfworld',
    split: 'valid_train',
    limit: 3,
    parallel: 1,
    alfworldData: resolveAlfworldData(),
  });
  assert.equal(report.stored, 3, report.failures.join('\n'));
  episodeIds = (await store.episodes.list()).map((e) => e.id);
});

after(async () => {
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function rawQuery<T>(file: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (e) => e && reject(e));
    db.all(sql, (error, rows) => db.close(() => (error ? reject(error) : resolve(rows as T[]))));
  });
}

test('a new dataset has the current schema, WAL and foreign keys', async () => {
  assert.deepEqual(await store.db.get('PRAGMA user_version'), { user_version: SCHEMA_VERSION });
  assert.deepEqual(await store.db.get('PRAGMA journal_mode'), { journal_mode: 'wal' });
  assert.deepEqual(await store.db.get('PRAGMA foreign_keys'), { foreign_keys: 1 });
  const tables = (await rawQuery<{ name: string }>(dbFile, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).map((t) => t.name);
  for (const t of [
    'episodes',
    'steps',
    'subtasks',
    'local_progress',
    'model_calls',
    'annotation_edits',
    'runs',
    'metrics',
    'checkpoints',
    'transitions',
  ]) {
    assert.ok(tables.includes(t), t);
  }
});

test('expert episodes are stored whole, with the engine, task params and the collect run', async () => {
  const e = await store.episodes.get(episodeIds[0]!);
  assert.equal(e.source, 'expert');
  assert.equal(e.status, 'complete');
  assert.equal(e.stepCount, e.steps.length);
  assert.ok(e.steps.length > 0);
  assert.deepEqual(
    e.steps.map((s) => s.idx),
    e.steps.map((_, i) => i),
  );
  assert.match(e.engineVersion, /alfworld 0\.3\.5/);
  assert.match(e.game ?? '', /^json_2\.1\.1\/valid_train\/[^/]+\/trial_[^/]+$/);
  assert.ok(e.taskParams && typeof e.taskParams.object_target === 'string');
  const run = await store.runs.get(e.runId!);
  assert.equal(run?.kind, 'collect');
  assert.equal(run?.status, 'complete');
});

test('collecting again skips what is stored', async () => {
  const report = await collectDemonstrations(store, { env: 'alfworld', split: 'valid_train', limit: 3, alfworldData: resolveAlfworldData() });
  assert.equal(report.skipped, 3);
  assert.equal(report.stored, 0);
  assert.equal((await store.episodes.list()).length, 3);
});

test('bad files give a clear error and are left untouched', async () => {
  const garbage = path.join(dir, 'garbage.db');
  fs.writeFileSync(garbage, 'this is not a database, it is a note'.repeat(100));
  const before = fs.readFileSync(garbage);
  await assert.rejects(
    DatasetStore.open(garbage),
    (e: Error) => e instanceof StoreError && /garbage\.db is not a usable dataset: .*not a database/.test(e.message),
  );
  assert.deepEqual(fs.readFileSync(garbage), before);

  const foreign = path.join(dir, 'foreign.db');
  await new Promise<void>((resolve, reject) => {
    const db = new sqlite3.Database(foreign, (e) => e && reject(e));
    db.exec('CREATE TABLE notes (body TEXT)', (e) => db.close(() => (e ? reject(e) : resolve())));
  });
  await assert.rejects(DatasetStore.open(foreign), /not a STEP-HRL dataset \(it has tables: notes\)/);

  const newer = path.join(dir, 'newer.db');
  await new Promise<void>((resolve, reject) => {
    const db = new sqlite3.Database(newer, (e) => e && reject(e));
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`, (e) => db.close(() => (e ? reject(e) : resolve())));
  });
  await assert.rejects(DatasetStore.open(newer), /schema version \d+, newer than this runtime's/);
  await assert.rejects(DatasetStore.open(path.join(dir, 'missing.db'), { readonly: true }), /no dataset at/);
});

test('segmentation rules: gaps, overlaps, empty names and out-of-range steps are named', () => {
  const s = (name: string, firstStep: number, lastStep: number) => ({ name, firstStep, lastStep });
  assert.equal(segmentationProblem([s('a', 0, 2), s('b', 3, 4)], 5), null);
  assert.match(segmentationProblem([s('a', 0, 1), s('b', 3, 4)], 5)!, /steps 2-2 belong to no subtask/);
  assert.match(segmentationProblem([s('a', 0, 2), s('b', 2, 4)], 5)!, /overlapping the previous subtask/);
  assert.match(segmentationProblem([s('a', 0, 2), s(' ', 3, 4)], 5)!, /empty name/);
  assert.match(segmentationProblem([s('a', 0, 5)], 5)!, /ends at step 5, but the episode's last step is 4/);
  assert.match(segmentationProblem([s('a', 0, 2)], 5)!, /steps 3-4 belong to no subtask \(after the last one\)/);
  assert.match(segmentationProblem([], 5)!, /there are none/);
});

test('edits: split, merge, move, rename, progress, review; refused edits write nothing; undo restores', async () => {
  const id = episodeIds[0]!;
  const n = (await store.episodes.summary(id)).stepCount;
  assert.ok(n >= 4, `episode has ${n} steps`);
  const actor = 'user:test';
  let a = await store.annotations.edit(id, { op: 'setSubtasks', subtasks: [{ name: 'do everything', firstStep: 0, lastStep: n - 1 }] }, actor);
  assert.deepEqual(
    a.subtasks.map((s) => [s.firstStep, s.lastStep, s.provenance]),
    [[0, n - 1, 'human']],
  );

  a = await store.annotations.edit(id, { op: 'split', subtask: 0, atStep: 2, name: 'second part' }, actor);
  assert.deepEqual(
    a.subtasks.map((s) => [s.name, s.firstStep, s.lastStep]),
    [
      ['do everything', 0, 1],
      ['second part', 2, n - 1],
    ],
  );
  a = await store.annotations.edit(id, { op: 'moveBoundary', subtask: 0, toStep: 3 }, actor);
  assert.deepEqual(
    a.subtasks.map((s) => [s.firstStep, s.lastStep]),
    [
      [0, 2],
      [3, n - 1],
    ],
  );
  a = await store.annotations.edit(id, { op: 'rename', subtask: 0, name: '  find the object ' }, actor);
  assert.equal(a.subtasks[0]!.name, 'find the object');
  a = await store.annotations.edit(id, { op: 'setProgress', step: 1, text: 'Checked: drawer 1' }, actor);
  assert.deepEqual(a.progress, [{ step: 1, text: 'Checked: drawer 1', provenance: 'human', reviewed: false }]);

  const snapshot = JSON.stringify(await store.annotations.get(id));
  const refused: Array<[Parameters<typeof store.annotations.edit>[1], RegExp]> = [
    [{ op: 'split', subtask: 0, atStep: 0, name: 'x' }, /a split must start the new subtask at step 1-2, not 0/],
    [{ op: 'split', subtask: 5, atStep: 3, name: 'x' }, /there is no subtask 6 \(the episode has 2\)/],
    [{ op: 'merge', subtask: 1 }, /is the last one: there is nothing after it/],
    [{ op: 'moveBoundary', subtask: 0, toStep: n }, /can move to steps 1-\d+, not \d+/],
    [{ op: 'rename', subtask: 1, name: '   ' }, /empty name/],
    [{ op: 'setProgress', step: n, text: 'x' }, /step \d+ is out of range/],
    [{ op: 'setProgress', step: 0, text: '  ' }, /cannot be empty/],
    [
      {
        op: 'setSubtasks',
        subtasks: [
          { name: 'a', firstStep: 0, lastStep: 1 },
          { name: 'b', firstStep: 3, lastStep: n - 1 },
        ],
      },
      /steps 2-2 belong to no subtask/,
    ],
  ];
  for (const [edit, message] of refused) {
    await assert.rejects(
      store.annotations.edit(id, edit, actor),
      (e: Error) => e instanceof InvalidEdit && message.test(e.message),
      JSON.stringify(edit),
    );
  }
  assert.equal(JSON.stringify(await store.annotations.get(id)), snapshot, 'refused edits changed nothing');

  a = await store.annotations.edit(id, { op: 'merge', subtask: 0, name: 'all of it' }, actor);
  assert.deepEqual(
    a.subtasks.map((s) => [s.name, s.firstStep, s.lastStep]),
    [['all of it', 0, n - 1]],
  );
  a = await store.annotations.edit(id, { op: 'review', reviewed: true }, actor);
  assert.ok(a.subtasks.every((s) => s.reviewed) && a.progress.every((p) => p.reviewed));

  // Undo walks back: review, merge, then the progress edit.
  a = await store.annotations.undo(id, actor);
  assert.ok(a.subtasks.every((s) => !s.reviewed));
  a = await store.annotations.undo(id, actor);
  assert.equal(JSON.stringify(a), snapshot);
  a = await store.annotations.undo(id, actor);
  assert.deepEqual(a.progress, []);
  const history = await store.annotations.history(id);
  assert.deepEqual(
    history.map((h) => h.operation),
    ['setSubtasks', 'split', 'moveBoundary', 'rename', 'setProgress', 'merge', 'review', 'undo', 'undo', 'undo'],
  );
  assert.deepEqual(
    history.filter((h) => h.undoneBy !== null).map((h) => h.operation),
    ['setProgress', 'merge', 'review'],
  );
  assert.ok(history.every((h) => h.actor === actor));
});

test('a reviewed annotation is never overwritten by an annotator; an unreviewed one only when asked', async () => {
  const id = episodeIds[1]!;
  const n = (await store.episodes.summary(id)).stepCount;
  const draft = {
    subtasks: [{ name: 'rule subtask', firstStep: 0, lastStep: n - 1 }],
    progress: Array.from({ length: n }, (_, i) => `after step ${i}`),
  };
  const opts = { provenance: 'rule' as const, actor: 'rule-annotator' };
  assert.equal(await store.annotations.applyDraft(id, draft, opts), 'written');
  assert.equal(await store.annotations.applyDraft(id, { ...draft, subtasks: [{ ...draft.subtasks[0]!, name: 'other' }] }, opts), 'kept-existing');
  assert.equal(
    await store.annotations.applyDraft(
      id,
      { ...draft, subtasks: [{ ...draft.subtasks[0]!, name: 'other' }] },
      { ...opts, overwriteUnreviewed: true },
    ),
    'written',
  );
  await store.annotations.edit(id, { op: 'review', reviewed: true }, 'user:test');
  assert.equal(await store.annotations.applyDraft(id, draft, { ...opts, overwriteUnreviewed: true }), 'kept-reviewed');
  assert.equal((await store.annotations.get(id)).subtasks[0]!.name, 'other');
  await assert.rejects(store.annotations.applyDraft(episodeIds[2]!, { subtasks: [], progress: [] }, opts), /draft for episode \d+ is invalid/);
});

test('transitions follow STEP-HRL.md: counts, targets, rewards, done flags and the shared prompt builders', async () => {
  const id = episodeIds[1]!;
  const episode = await store.episodes.get(id);
  const n = episode.steps.length;
  const cut = Math.floor(n / 2);
  await store.annotations.edit(
    id,
    {
      op: 'setSubtasks',
      subtasks: [
        { name: 'first half', firstStep: 0, lastStep: cut - 1 },
        { name: 'second half', firstStep: cut, lastStep: n - 1 },
      ],
    },
    'user:test',
  );
  const [loaded] = await loadTransitionEpisodes(store.db, { ids: [id] });
  const transitions = deriveTransitions(loaded!);
  const byRole = (role: string) => transitions.filter((t) => t.role === role);
  assert.equal(byRole('high').length, 2);
  assert.equal(byRole('low').length, n);
  assert.equal(byRole('progress').length, n);

  const [h0, h1] = byRole('high');
  assert.equal(h0!.target, 'first half');
  const initial = observationText('alfworld', { observation: episode.initialObservation }, episode);
  assert.equal(
    h0!.state,
    promptText(
      highLevelPrompt({ env: 'alfworld', taskDescription: episode.taskDescription, subtasks: [], lastProgress: 'None', observation: initial }),
    ),
  );
  assert.equal(h0!.nextState, h1!.state, "a subtask's next high-level state is the next subtask's state");
  const rewardIn = (a: number, b: number) => episode.steps.slice(a, b + 1).reduce((r, s) => r + s.reward, 0);
  assert.equal(h0!.reward, rewardIn(0, cut - 1));
  assert.equal(h1!.reward, rewardIn(cut, n - 1));
  assert.equal(h1!.done, episode.steps[n - 1]!.done);

  const low = byRole('low');
  assert.equal(low[0]!.state, promptText(lowLevelPrompt({ env: 'alfworld', subtask: 'first half', progress: 'None', observation: initial })));
  assert.equal(low[cut - 1]!.target, `${episode.steps[cut - 1]!.action}; True`);
  assert.equal(low[0]!.target, `${episode.steps[0]!.action}; ${cut === 1 ? 'True' : 'False'}`);
  for (const [t, tr] of low.entries()) {
    const last = t === cut - 1 || t === n - 1;
    assert.equal(tr.done, last);
    assert.equal(tr.reward, episode.steps[t]!.invalid ? -1 : last ? 1 : 0);
    if (!last) assert.equal(tr.nextState, low[t + 1]!.state, "inside a subtask, the next low state is the next step's state");
  }
  const progress = byRole('progress');
  assert.deepEqual(
    progress.map((p) => [p.reward, p.done]),
    low.map((l) => [l.reward, l.done]),
  );
  assert.ok(episode.steps[n - 1]!.done, 'the episode the environment ended');

  // The same episode cut off by a step cap one step before its end (as a sampled rollout can be): its last subtask
  // did not complete, so no completion reward or True flag, and no high-level successor to bootstrap from.
  const truncated = {
    ...loaded!,
    steps: loaded!.steps.slice(0, n - 1),
    subtasks: loaded!.subtasks.map((s, k) => (k === 1 ? { ...s, lastStep: n - 2 } : s)),
    progress: loaded!.progress.slice(0, n - 1),
  };
  assert.equal(subtaskCutOff(truncated, 1), true);
  assert.equal(subtaskCutOff(truncated, 0), false);
  assert.equal(subtaskCutOff(loaded!, 1), false);
  const cutLow = deriveTransitions(truncated).filter((t) => t.role === 'low');
  const cutLast = cutLow[n - 2]!;
  assert.deepEqual(
    [cutLast.target, cutLast.reward, cutLast.done],
    [`${episode.steps[n - 2]!.action}; False`, episode.steps[n - 2]!.invalid ? -1 : 0, true],
  );
  assert.deepEqual([cutLow[cut - 1]!.target.endsWith('; True'), cutLow[cut - 1]!.reward], [true, episode.steps[cut - 1]!.invalid ? -1 : 1]);
  assert.equal(deriveTransitions(truncated).filter((t) => t.role === 'high')[1]!.done, true);
  const historyActor = agentTransitions('hrl-history')(truncated).filter((t) => t.role === 'low');
  assert.deepEqual([historyActor.at(-1)!.target.endsWith('; False'), historyActor.at(-1)!.reward], [true, cutLast.reward]);

  // A subtask ended by the flag without reaching its goal (a policy declaring a search done before taking anything)
  // keeps its True flag and done, but earns no completion reward; a wording no check reads keeps the +1.
  const declared = { ...loaded!, subtasks: loaded!.subtasks.map((s, k) => (k === 0 ? { ...s, name: 'find and take the zebra' } : s)) };
  for (const actor of [deriveTransitions(declared), agentTransitions('hrl-history')(declared)].map((ts) => ts.filter((t) => t.role === 'low'))) {
    const end = actor[cut - 1]!;
    assert.deepEqual([end.target.endsWith('; True'), end.done, end.reward], [true, true, episode.steps[cut - 1]!.invalid ? -1 : 0]);
    assert.equal(actor[n - 1]!.reward, episode.steps[n - 1]!.invalid ? -1 : 1);
  }

  const progressById = new Map(episode.progress.map((p) => [p.step, p.text]));
  assert.deepEqual(
    progress.map((p) => p.target),
    episode.steps.map((s) => progressById.get(s.idx)),
  );

  const { counts, setId } = await materializeTransitions(store.db, 'test', { ids: [id] }, { name: 'stephrl', derive: deriveTransitions });
  assert.deepEqual(counts, { episodes: 1, unannotated: 0, high: 2, low: n, progress: n });
  const stored = await store.db.all<{ role: string; n: number }>(
    'SELECT role, count(*) AS n FROM transitions WHERE set_id = ? GROUP BY role ORDER BY role',
    [setId],
  );
  assert.deepEqual(
    stored.map((r) => [r.role, r.n]),
    [
      ['high', 2],
      ['low', n],
      ['progress', n],
    ],
  );
  const stats = await datasetStats(store.db);
  assert.equal(stats.episodes.total, 3);
  assert.equal(stats.transitions.high, 2);
});

test('JSONL round trip is exact, and a malformed file imports nothing', async () => {
  const lines = await Promise.all(episodeIds.map(async (id) => episodeToJsonl(await store.episodes.get(id))));
  const text = lines.join('\n') + '\n';
  const copy = await DatasetStore.open(path.join(dir, 'copy.db'));
  try {
    const { episodeIds: ids } = await importEpisodes(copy, parseJsonl(text, 'in.jsonl'), { format: 'jsonl', files: ['in.jsonl'] });
    const again = await Promise.all(ids.map(async (id) => episodeToJsonl(await copy.episodes.get(id))));
    assert.equal(again.join('\n') + '\n', text);

    const broken = [lines[0], '{"format": "stephrl-episode", "version": 1}', lines[1]!.replace('"action":', '"acton":'), 'not json'].join('\n');
    assert.throws(
      () => parseJsonl(broken, 'bad.jsonl'),
      (e: Error) =>
        e instanceof ImportError &&
        /bad\.jsonl:2 \(episode\)/.test(e.message) &&
        /bad\.jsonl:3 \(steps\.0\.action\)/.test(e.message) &&
        /bad\.jsonl:4: not valid JSON/.test(e.message),
    );
    assert.equal((await copy.episodes.list()).length, ids.length);
  } finally {
    await copy.close();
  }
});

test('the same file imported again (a rerun after a crash, or two writers at once) is stored once; --again stores a copy', async () => {
  const lines = await Promise.all(episodeIds.map(async (id) => episodeToJsonl(await store.episodes.get(id))));
  const file = path.join(dir, 'twice.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const target = path.join(dir, 'twice.db');
  const [a, b] = await Promise.all([DatasetStore.open(target), DatasetStore.open(target)]);
  try {
    // Two connections import at once: one stores, the other finds it inside its own write transaction.
    const both = await Promise.all([a, b].map((s) => importFiles(s, 'jsonl', [file], { annotate: true })));
    assert.deepEqual(both.map((r) => r.imported).sort(), [0, 3]);
    const first = both.find((r) => r.imported === 3)!;
    assert.equal(both.find((r) => r.imported === 0)!.alreadyImportedBy, first.runId);
    // The same bytes under another name are the same input; read with other options they are not.
    const moved = path.join(dir, 'moved.jsonl');
    fs.copyFileSync(file, moved);
    const rerun = await importFiles(a, 'jsonl', [moved], { annotate: true });
    assert.equal(rerun.imported, 0);
    assert.equal(rerun.alreadyImportedBy, first.runId);
    assert.equal((await a.episodes.list()).length, 3);
    const copy = await importFiles(a, 'jsonl', [file], { annotate: false, again: true });
    assert.equal(copy.imported, 3);
    assert.equal(copy.alreadyImportedBy, null);
    assert.equal((await a.episodes.list()).length, 6);
    // Once an import's episodes are all deleted, the file imports again.
    await a.episodes.delete((await a.episodes.list()).map((e) => e.id));
    assert.equal((await importFiles(a, 'jsonl', [file], { annotate: false })).imported, 3);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('metrics are read back in log order from a cursor: a live curve gets only what is new', async () => {
  const runId = await store.runs.start('train', 'curves', {});
  await store.runs.addMetrics(runId, [
    { step: 1, name: 'loss_bc_low', value: 2.5 },
    { step: 1, name: 'loss_bc_progress', value: 3 },
  ]);
  const first = await store.runs.metricsAfter(runId, 0, 1000);
  assert.deepEqual(first.points, [
    { step: 1, name: 'loss_bc_low', value: 2.5 },
    { step: 1, name: 'loss_bc_progress', value: 3 },
  ]);
  // A second batch for the same step (as the trainer logs the high level every 4th step) is still new to the reader.
  await store.runs.addMetrics(runId, [
    { step: 1, name: 'loss_bc_high', value: 4 },
    { step: 2, name: 'loss_bc_low', value: 2.1 },
  ]);
  const next = await store.runs.metricsAfter(runId, first.cursor, 1000);
  assert.deepEqual(
    next.points.map((p) => p.name),
    ['loss_bc_high', 'loss_bc_low'],
  );
  assert.deepEqual(await store.runs.metricsAfter(runId, next.cursor, 1000), { points: [], cursor: next.cursor });
  const limited = await store.runs.metricsAfter(runId, 0, 3);
  assert.equal(limited.points.length, 3);
  assert.equal((await store.runs.metricsAfter(runId, limited.cursor, 1000)).points.length, 1);
});

test('deleting: episodes go with everything recorded about them; a run with its metrics, keeping or deleting its episodes', async () => {
  const [a, b] = episodeIds;
  const before = (await store.episodes.list()).length;
  const runId = await store.runs.start('eval', 'doomed', {});
  await store.runs.addMetrics(runId, [{ step: 0, name: 'score', value: 1 }]);
  await store.db.run('UPDATE episodes SET run_id = ? WHERE id = ?', [runId, b]);
  await assert.rejects(store.runs.delete(runId, { episodes: false }), /is running: stop it first/);
  await store.runs.finish(runId, 'complete');
  assert.deepEqual(await store.runs.delete(runId, { episodes: false }), { episodes: 0, files: [] });
  assert.equal(await store.runs.get(runId), undefined);
  assert.deepEqual(await store.runs.metricsAfter(runId, 0, 10), { points: [], cursor: 0 });
  assert.equal((await store.episodes.get(b!)).runId, null, 'the episode stays, without its run');

  await assert.rejects(store.episodes.delete([a!, 999_999]), /no episode 999999/);
  assert.equal((await store.episodes.list()).length, before, 'a refused delete deletes nothing');
  assert.equal(await store.episodes.delete([a!]), 1);
  assert.equal((await store.episodes.list()).length, before - 1);
  for (const table of ['steps', 'subtasks', 'local_progress', 'model_calls', 'annotation_edits']) {
    const { n } = (await store.db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE episode_id = ?`, [a]))!;
    assert.equal(n, 0, `${table} rows of the deleted episode`);
  }
});
