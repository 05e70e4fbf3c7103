/**
 * Runs side by side (`runs/compare`, `stephrl runs compare`) on a real SQLite dataset filled through the store's own
 * API: three ALFWorld evaluation runs of different agents on overlapping games (one resumed from an interrupted run,
 * its adapter exported by a training run) and two ScienceWorld ones, every figure checked against values computed by
 * hand (Wilson intervals from the formula, outside the code under test), the per-task table, the restriction to the
 * common episodes, tokens per decision and the cached share; then the CLI's table and JSON.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DatasetStore } from '../../runtime/src/store/dataset-store';
import { adapterName, compareRuns } from '../../runtime/src/evaluate/compare';
import type { ModelCallRecord, StepRecord } from '../../runtime/src/protocol/dataset';
import type { ComparedRun, RunComparison } from '../../runtime/src/protocol/agent';
import { requests } from '../../runtime/src/protocol/rpc';
import { COMPARISON_COLUMNS, bestRuns, formatHeadline, taskRows } from '../../runtime/src/protocol/comparison';
import { UsageError } from '../../runtime/src/protocol/errors';
import { comparisonTable } from '../../runtime/src/cli/runs-command';
import { cli, episodeFields, runCli } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-compare-'));
const dbFile = path.join(dir, 'compare.db');
let store: DatasetStore;
const ids = { train: 0, react: 0, stephrlFirst: 0, stephrl: 0, history: 0, swStephrl: 0, swReact: 0 };
const ADAPTER = path.join(dir, 'bc-set1', 'final', 'adapter.gguf');

const GAMES = {
  g1: 'json_2.1.1/valid_seen/pick_and_place_simple-Book-None-Desk-308/trial_T1/game.tw-pddl',
  g2: 'json_2.1.1/valid_seen/pick_and_place_simple-Pen-None-Shelf-301/trial_T2/game.tw-pddl',
  g3: 'json_2.1.1/valid_seen/pick_cool_then_place_in_recep-Apple-None-Fridge-12/trial_T3/game.tw-pddl',
  g4: 'json_2.1.1/valid_seen/pick_cool_then_place_in_recep-Egg-None-Fridge-14/trial_T4/game.tw-pddl',
  g5: 'json_2.1.1/valid_seen/look_at_obj_in_light-Clock-None-Lamp-305/trial_T5/game.tw-pddl',
};
const TASK_TYPES = {
  g1: 'pick_and_place_simple',
  g2: 'pick_and_place_simple',
  g3: 'pick_cool_then_place_in_recep',
  g4: 'pick_cool_then_place_in_recep',
  g5: 'look_at_obj_in_light',
};
type Game = keyof typeof GAMES;

/** An episode as the evaluation harness records it: `steps` steps (`invalid` of them rejected), `calls` model calls. */
interface Played {
  won: boolean;
  score?: number;
  steps: number;
  invalid: number;
  /** [prompt tokens, cached prompt tokens, completion tokens] of each call. */
  calls: Array<[number, number, number]>;
  status?: 'complete' | 'interrupted';
}

const repeat = (n: number, call: [number, number, number]) => Array.from({ length: n }, () => call);

function children(p: Played): { steps: StepRecord[]; modelCalls: ModelCallRecord[] } {
  const steps = Array.from({ length: p.steps }, (_, idx) => ({
    idx,
    action: `act ${idx}`,
    observation: 'nothing happens',
    look: null,
    inventory: null,
    reward: 0,
    score: 0,
    done: idx === p.steps - 1,
    won: p.won && idx === p.steps - 1,
    truncated: false,
    invalid: idx < p.invalid,
  }));
  const modelCalls = p.calls.map(([promptTokens, cachedPromptTokens, completionTokens], i) => ({
    stepIdx: Math.min(i, p.steps - 1),
    role: 'low' as const,
    promptTokens,
    cachedPromptTokens,
    completionTokens,
    latencyMs: 10,
    prompt: null,
    completion: null,
    createdAt: '2026-11-30T10:00:30.000Z',
  }));
  return { steps, modelCalls };
}

/** An evaluation run with its config as evaluation.ts writes it, and its ALFWorld episodes. */
async function alfworldRun(
  agent: string,
  adapter: string | null,
  selected: number,
  episodes: Partial<Record<Game, Played>>,
  status: 'complete' | 'interrupted' = 'complete',
): Promise<number> {
  const runId = await store.runs.start('eval', `${agent} on alfworld valid_seen`, {
    env: 'alfworld',
    split: 'valid_seen',
    agent: agent.replace(/\+.*$/, ''),
    label: agent,
    model: { backend: 'embedded', name: 'tiny.gguf', location: '/models/tiny.gguf', adapter, device: 'cpu', contextSize: 4096 },
    decoding: { temperature: 0, constrained: agent.includes('+grammar'), keepTexts: true },
    maxSteps: 50,
    simplifications: 'easy',
    tasks: null,
    games: null,
    limit: null,
    perTaskLimit: 5,
    parallel: 1,
    selected,
  });
  for (const [game, p] of Object.entries(episodes) as Array<[Game, Played]>) {
    await store.episodes.insert(
      episodeFields({ game: GAMES[game], task: TASK_TYPES[game], agent, adapter, won: p.won, score: p.won ? 1 : 0, status: p.status ?? 'complete' }),
      children(p),
      runId,
    );
  }
  await store.runs.finish(runId, status);
  return runId;
}

async function scienceworldRun(agent: string, scores: Record<number, number>): Promise<number> {
  const runId = await store.runs.start('eval', `${agent} on scienceworld test`, {
    env: 'scienceworld',
    split: 'test',
    agent,
    label: agent,
    model: { name: 'tiny.gguf', adapter: null },
    maxSteps: 50,
    simplifications: 'easy',
    tasks: ['boil'],
    games: null,
    limit: null,
    perTaskLimit: null,
    selected: 3,
  });
  for (const [variation, score] of Object.entries(scores)) {
    await store.episodes.insert(
      episodeFields({
        env: 'scienceworld',
        split: 'test',
        task: 'boil',
        variation: Number(variation),
        simplifications: 'easy',
        agent,
        score,
        won: score === 100,
      }),
      children({ won: score === 100, steps: 4, invalid: 0, calls: repeat(4, [100, 0, 5]) }),
      runId,
    );
  }
  await store.runs.finish(runId, 'complete');
  return runId;
}

before(async () => {
  store = await DatasetStore.open(dbFile);
  // The training run that exported the STEP-HRL agent's adapter: the comparison names the adapter after it.
  ids.train = await store.runs.start('train', 'BC tiny.gguf on set 1 (cpu-small)', { kind: 'bc', agent: 'stephrl', model: 'tiny.gguf', setId: 1 });
  await store.runs.addCheckpoint(ids.train, { step: 16, kind: 'gguf-adapter', path: ADAPTER });
  await store.runs.finish(ids.train, 'complete');

  // Base model, flat ReAct: g1..g4, 2 of 4 won.
  ids.react = await alfworldRun('react', null, 4, {
    g1: { won: true, steps: 6, invalid: 1, calls: repeat(6, [400, 0, 5]) },
    g2: { won: false, steps: 10, invalid: 2, calls: repeat(10, [600, 0, 5]) },
    g3: { won: true, steps: 4, invalid: 0, calls: repeat(4, [300, 0, 5]) },
    g4: { won: false, steps: 10, invalid: 3, calls: repeat(10, [700, 0, 5]) },
  });
  // STEP-HRL after BC: interrupted after g1, g2 (g3 in flight), then resumed: g3, g4, g5. 4 of 5 won.
  ids.stephrlFirst = await alfworldRun(
    'stephrl+grammar',
    ADAPTER,
    5,
    {
      g1: { won: true, steps: 5, invalid: 0, calls: repeat(10, [200, 150, 10]) },
      g2: { won: true, steps: 7, invalid: 0, calls: repeat(14, [200, 150, 10]) },
      g3: { won: false, steps: 2, invalid: 0, calls: repeat(4, [200, 150, 10]), status: 'interrupted' },
    },
    'interrupted',
  );
  ids.stephrl = await alfworldRun('stephrl+grammar', ADAPTER, 5, {
    g3: { won: true, steps: 5, invalid: 0, calls: repeat(10, [200, 150, 10]) },
    g4: { won: false, steps: 10, invalid: 1, calls: repeat(20, [200, 100, 10]) },
    g5: { won: true, steps: 3, invalid: 0, calls: repeat(6, [200, 150, 10]) },
  });
  // History-HRL, base model: g2..g5, 1 of 4 won.
  ids.history = await alfworldRun('hrl-history', null, 4, {
    g2: { won: true, steps: 8, invalid: 0, calls: repeat(16, [300, 200, 8]) },
    g3: { won: false, steps: 10, invalid: 0, calls: repeat(20, [300, 200, 8]) },
    g4: { won: false, steps: 10, invalid: 0, calls: repeat(20, [300, 200, 8]) },
    g5: { won: false, steps: 10, invalid: 0, calls: repeat(20, [300, 200, 8]) },
  });
  ids.swStephrl = await scienceworldRun('stephrl', { 0: 100, 1: 50, 2: 0 });
  ids.swReact = await scienceworldRun('react', { 0: 75, 1: 25, 3: 60 });
});

after(async () => {
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const byId = (c: RunComparison, id: number): ComparedRun => c.runs.find((r) => r.runId === id)!;

describe('ALFWorld: three agents on overlapping games', () => {
  let c: RunComparison;
  before(async () => {
    c = await compareRuns(store, [ids.react, ids.stephrl, ids.history]);
    // What the server answers is what the protocol declares.
    requests['runs/compare'].result.parse(c);
  });

  test('who played: agent, model, adapter named after the training run that exported it, planned, resumed runs', () => {
    assert.deepEqual(
      c.runs.map((r) => [r.runId, r.agent, r.model, r.adapterName, r.env, r.split, r.planned, r.resumed, r.status]),
      [
        [ids.react, 'react', 'tiny.gguf', null, 'alfworld', 'valid_seen', 4, [], 'complete'],
        [ids.stephrl, 'stephrl+grammar', 'tiny.gguf', `BC run ${ids.train}`, 'alfworld', 'valid_seen', 5, [ids.stephrlFirst], 'complete'],
        [ids.history, 'hrl-history', 'tiny.gguf', null, 'alfworld', 'valid_seen', 4, [], 'complete'],
      ],
    );
    assert.equal(byId(c, ids.stephrl).adapter, ADAPTER);
  });

  test('every episode: success with its Wilson interval, invalid actions, steps, tokens per episode and per decision', () => {
    const react = byId(c, ids.react).all;
    // 2 of 4; invalid 6 of 30 steps; steps 6, 10, 4, 10; prompt tokens 2400, 6000, 1200, 7000 over 30 calls.
    assert.deepEqual(
      [react.episodes, react.successRate, react.successInterval, react.invalidActionRate, react.meanSteps, react.promptTokensPerEpisode],
      [4, 0.5, [0.15, 0.85], 0.2, 7.5, 4150],
    );
    assert.deepEqual(
      [react.decisions, react.promptTokensPerDecision, react.cachedPromptTokensPerDecision, react.cachedPromptShare],
      [30, 553.3, 0, 0],
    );

    // The resumed run counts the episodes of the run it resumed (not the interrupted g3): 4 of 5, 1 invalid of 30.
    const stephrl = byId(c, ids.stephrl).all;
    assert.deepEqual(
      [stephrl.episodes, stephrl.successRate, stephrl.successInterval, stephrl.invalidActionRate, stephrl.meanSteps, stephrl.promptTokensPerEpisode],
      [5, 0.8, [0.3755, 0.9638], 0.0333, 6, 2400],
    );
    // 60 calls of 200 prompt tokens; cached 40 x 150 + 20 x 100 = 8000 of 12000.
    assert.deepEqual(
      [
        stephrl.decisions,
        stephrl.promptTokensPerDecision,
        stephrl.cachedPromptTokensPerDecision,
        stephrl.cachedPromptShare,
        stephrl.completionTokensPerDecision,
      ],
      [60, 200, 133.3, 0.6667, 10],
    );

    const history = byId(c, ids.history).all;
    assert.deepEqual(
      [
        history.episodes,
        history.successRate,
        history.successInterval,
        history.meanSteps,
        history.promptTokensPerEpisode,
        history.promptTokensPerDecision,
      ],
      [4, 0.25, [0.0456, 0.6994], 9.5, 5700, 300],
    );
  });

  test('per task type, over every episode', () => {
    const perTask = (r: ComparedRun) => r.all.perTask.map((t) => [t.task, t.episodes, t.successRate]);
    assert.deepEqual(perTask(byId(c, ids.react)), [
      ['pick_and_place_simple', 2, 0.5],
      ['pick_cool_then_place_in_recep', 2, 0.5],
    ]);
    assert.deepEqual(perTask(byId(c, ids.stephrl)), [
      ['look_at_obj_in_light', 1, 1],
      ['pick_and_place_simple', 2, 1],
      ['pick_cool_then_place_in_recep', 2, 0.5],
    ]);
    assert.deepEqual(byId(c, ids.stephrl).all.perTask[1]!.successInterval, [0.3424, 1]);
    const rows = taskRows(c, false);
    assert.deepEqual(
      rows.map((t) => [t.task, t.cells.map((cell) => (cell ? `${cell.text}${cell.best ? '*' : ''}` : '-'))]),
      [
        ['look_at_obj_in_light', ['-', '1/1*', '0/1']],
        ['pick_and_place_simple', ['1/2', '2/2*', '1/1*']],
        ['pick_cool_then_place_in_recep', ['1/2*', '1/2*', '0/2']],
      ],
    );
  });

  test('the games all three played (g2, g3, g4), and every figure again on those alone', () => {
    assert.equal(c.common.episodes, 3);
    assert.deepEqual(
      c.common.items,
      [GAMES.g2, GAMES.g3, GAMES.g4].map((g) => `alfworld:${g}`),
    );
    const react = byId(c, ids.react).common;
    // g2 lost, g3 won, g4 lost: 1 of 3; invalid 5 of 24 steps; prompt 6000 + 1200 + 7000 over 24 calls.
    assert.deepEqual(
      [
        react.episodes,
        react.successRate,
        react.successInterval,
        react.invalidActionRate,
        react.meanSteps,
        react.promptTokensPerEpisode,
        react.promptTokensPerDecision,
      ],
      [3, 0.3333, [0.0615, 0.7923], 0.2083, 8, 4733.3, 591.7],
    );
    const stephrl = byId(c, ids.stephrl).common;
    // g2 won, g3 won, g4 lost: 2 of 3; 1 invalid of 22 steps; 44 calls.
    assert.deepEqual(
      [
        stephrl.episodes,
        stephrl.successRate,
        stephrl.successInterval,
        stephrl.invalidActionRate,
        stephrl.meanSteps,
        stephrl.decisions,
        stephrl.promptTokensPerDecision,
      ],
      [3, 0.6667, [0.2077, 0.9385], 0.0455, 7.33, 44, 200],
    );
    const history = byId(c, ids.history).common;
    assert.deepEqual([history.episodes, history.successRate, history.meanSteps, history.promptTokensPerEpisode], [3, 0.3333, 9.33, 5600]);
    assert.ok(
      c.notes.some((n) => /^3 episodes in common/.test(n)),
      c.notes.join('\n'),
    );
  });

  test('the best value of each column: highest success, fewest invalid actions, steps and tokens; the cached share unmarked', () => {
    const best = (common: boolean) => Object.fromEntries(COMPARISON_COLUMNS.map((col) => [col.key, [...bestRuns(c.runs, col, common)]]));
    assert.deepEqual(best(false), {
      headline: [ids.stephrl],
      invalid: [ids.history],
      steps: [ids.stephrl],
      promptPerEpisode: [ids.stephrl],
      promptPerDecision: [ids.stephrl],
      cached: [],
    });
    assert.equal(formatHeadline('alfworld', byId(c, ids.stephrl).all), '80.0% (38–96%)');
    assert.equal(formatHeadline('alfworld', byId(c, ids.react).common), '33.3% (6–79%)');
  });

  test('the CLI table (module): one row per run with its interval and stars, then per task, and the scope', () => {
    const all = comparisonTable(c, false);
    assert.match(all, /over every episode of each run \(3 in common/);
    const row = all.split('\n').find((l) => l.trimStart().startsWith(`${ids.stephrl} `))!;
    assert.match(row, /stephrl\+grammar · BC run \d+/);
    assert.match(row, /5\/5/);
    assert.match(row, /80\.0% \(38–96%\) \*/);
    const common = comparisonTable(c, true);
    assert.match(common, /over the 3 episodes every run played/);
    assert.match(
      common.split('\n').find((l) => l.trimStart().startsWith(`${ids.stephrl} `))!,
      /66\.7% \(21–94%\) \*/,
    );
  });
});

test('ScienceWorld: mean scores with their intervals, on all variations and on the two both runs played', async () => {
  const c = await compareRuns(store, [ids.swStephrl, ids.swReact]);
  const s = byId(c, ids.swStephrl);
  assert.deepEqual([s.all.episodes, s.all.meanScore, s.all.scoreInterval, s.all.successRate], [3, 50, [0, 100], 0.3333]);
  assert.equal(c.common.episodes, 2);
  assert.deepEqual(c.common.items, ['scienceworld:boil:0:easy', 'scienceworld:boil:1:easy']);
  // Scores 100, 50 against 75, 25: means 75 and 50, intervals from the sample standard deviation (35.36 each).
  assert.deepEqual([s.common.meanScore, s.common.scoreInterval], [75, [26, 100]]);
  const r = byId(c, ids.swReact);
  assert.deepEqual([r.common.meanScore, r.common.scoreInterval], [50, [1, 99]]);
  assert.equal(formatHeadline('scienceworld', s.common), '75.0 (26–100)');
  assert.deepEqual([...bestRuns(c.runs, COMPARISON_COLUMNS[0]!, true)], [ids.swStephrl]);
  assert.deepEqual(
    taskRows(c, true).map((t) => t.cells.map((cell) => cell?.text)),
    [['75.0 (n=2)', '50.0 (n=2)']],
  );
});

test('runs on different environments compare with a note and nothing in common; other kinds and unknown runs are refused', async () => {
  const mixed = await compareRuns(store, [ids.react, ids.swStephrl]);
  assert.equal(mixed.common.episodes, 0);
  assert.deepEqual(
    mixed.runs.map((r) => r.common.episodes),
    [0, 0],
  );
  assert.ok(mixed.notes.some((n) => /different environments/.test(n)));
  assert.deepEqual([...bestRuns(mixed.runs, COMPARISON_COLUMNS[0]!, false)], []);
  await assert.rejects(compareRuns(store, [ids.react, ids.train]), (e: unknown) => e instanceof UsageError && /is a train run/.test(e.message));
  await assert.rejects(compareRuns(store, [ids.react, 999]), (e: unknown) => e instanceof UsageError && /no run 999/.test(e.message));
  // One run alone: every episode is "common".
  const alone = await compareRuns(store, [ids.react]);
  assert.equal(alone.common.episodes, 4);
});

test(
  'stephrl runs list|compare (the built CLI)',
  { skip: !fs.existsSync(cli) && 'runtime/bin/stephrl.js is not built (npm run build)' },
  async () => {
    const listed = await runCli(['runs', 'list', '--db', dbFile]);
    assert.equal(listed.code, 0, listed.stderr);
    const reactRow = listed.stdout.split('\n').find((l) => l.trimStart().startsWith(`${ids.react} `))!;
    assert.match(reactRow, /eval\s+complete\s+react\s+base model\s+alfworld valid_seen\s+4/);
    assert.match(
      listed.stdout.split('\n').find((l) => l.trimStart().startsWith(`${ids.stephrl} `))!,
      /BC run \d+\s+alfworld valid_seen\s+3/,
    );

    const table = await runCli(['runs', 'compare', String(ids.react), String(ids.stephrl), String(ids.history), '--db', dbFile, '--common']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /over the 3 episodes every run played/);
    assert.match(table.stdout, /66\.7% \(21–94%\) \*/);
    assert.match(table.stdout, /pick_cool_then_place_in_recep/);

    const json = await runCli(['runs', 'compare', `${ids.react},${ids.stephrl}`, '--db', dbFile, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const parsed = requests['runs/compare'].result.parse(JSON.parse(json.stdout));
    assert.deepEqual(
      parsed.runs.map((r) => r.runId),
      [ids.react, ids.stephrl],
    );
    assert.equal(parsed.common.episodes, 4);

    const refused = await runCli(['runs', 'compare', String(ids.train), '--db', dbFile]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /is a train run: only evaluation runs compare/);
    const missing = await runCli(['runs', 'compare', '1', '--db', path.join(dir, 'none.db')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /there is no dataset/);
    assert.ok(!fs.existsSync(path.join(dir, 'none.db')), 'a comparison does not create a dataset');
  },
);

test('a run trained further names each of its adapters by step; a run with one export stays "BC run N"', async () => {
  const further = await store.runs.start('train', 'BC trained further', { kind: 'bc', agent: 'stephrl', model: 'tiny.gguf', setId: 1 });
  const earlier = path.join(dir, 'further', 'final-step120', 'adapter.gguf');
  const latest = path.join(dir, 'further', 'final', 'adapter.gguf');
  await store.runs.addCheckpoint(further, { step: -1, kind: 'gguf-adapter', path: earlier });
  await store.runs.addCheckpoint(further, { step: 200, kind: 'lora', path: path.join(dir, 'further', 'step-0000200') });
  await store.runs.addCheckpoint(further, { step: -1, kind: 'gguf-adapter', path: latest });
  await store.runs.finish(further, 'complete');
  assert.equal(await adapterName(store, earlier), `BC run ${further} step 120`);
  assert.equal(await adapterName(store, latest), `BC run ${further} step 200`);
  assert.equal(await adapterName(store, ADAPTER), `BC run ${ids.train}`);
});
