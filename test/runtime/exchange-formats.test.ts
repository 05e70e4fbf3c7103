/**
 * Foreign formats on real trajectories: the ScienceWorld gold path (boil, variation 0) and ALFWorld's hand-coded
 * expert (first valid_train game), annotated here with two subtasks and a progress text per step, go out as STEP-HRL
 * raw files and ETO conversations and come back unchanged; malformed inputs are refused with the lines at fault.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkerEnvironment } from '../../runtime/src/env/environment';
import { EXPERT_MAX_STEPS, runExpert } from '../../runtime/src/env/expert';
import { episodeToEto, parseEto } from '../../runtime/src/exchange/eto';
import { episodeToStepRlRaw, parseStepRlRaw, parseStepRlRawMany, type StepRlRawStep } from '../../runtime/src/exchange/steprl-raw';
import { ExportError, ImportError } from '../../runtime/src/exchange/types';
import { episodeToStepRlTrajectory } from '../../runtime/src/exchange/steprl-trajectory';
import { EpisodeDetail } from '../../runtime/src/protocol/dataset';
import type { ExpertTrajectory } from '../../runtime/src/protocol/environment';
import { alfworldGameKey } from '../../runtime/src/util/alfworld-games';
import { resolveAlfworldData } from '../../runtime/src/util/paths';

const scienceworld = new WorkerEnvironment('scienceworld');
const alfworld = new WorkerEnvironment('alfworld');
let boil: EpisodeDetail;
let household: EpisodeDetail;

before(async () => {
  const alfworldData = resolveAlfworldData();
  const [gold, handCoded] = await Promise.all([
    runExpert(scienceworld, { env: 'scienceworld', task: 'boil', variation: 0 }, { maxSteps: EXPERT_MAX_STEPS }),
    alfworld.listSplit('valid_train', { data: alfworldData }).then((games) => {
      const first = games[0] as { game: string };
      return runExpert(alfworld, { env: 'alfworld', game: first.game }, { maxSteps: EXPERT_MAX_STEPS });
    }),
  ]);
  boil = annotated(detailOf(gold, 1, { task: 'boil', variation: 0, simplifications: 'easy', game: null, split: 'train' }));
  const game = alfworldGameKey((handCoded.episode as { game: string }).game, alfworldData);
  household = annotated(
    detailOf(handCoded, 2, { task: handCoded.taskType ?? 'unknown', variation: null, simplifications: null, game, split: 'valid_train' }),
  );
});

after(async () => {
  await Promise.all([scienceworld.close(), alfworld.close()]);
});

type Item = Pick<EpisodeDetail, 'task' | 'variation' | 'simplifications' | 'game' | 'split'>;

/** An expert trajectory as the store would return it. */
function detailOf(t: ExpertTrajectory, id: number, item: Item): EpisodeDetail {
  const steps = t.steps.map((s, idx) => ({
    idx,
    action: s.action,
    observation: s.observation,
    look: s.look ?? null,
    inventory: s.inventory ?? null,
    reward: s.reward,
    score: s.score,
    done: s.done,
    won: s.won,
    truncated: s.truncated,
    invalid: s.invalid,
  }));
  return EpisodeDetail.parse({
    id,
    runId: null,
    env: t.episode.env,
    ...item,
    taskParams: t.taskParams ?? null,
    source: 'expert',
    agent: 'expert',
    model: null,
    adapter: null,
    engineName: t.engine.name,
    engineVersion: t.engine.version,
    taskDescription: t.taskDescription,
    initialObservation: t.initialObservation,
    initialLook: t.initialLook ?? null,
    initialInventory: t.initialInventory ?? null,
    maxSteps: EXPERT_MAX_STEPS,
    status: 'complete',
    stoppedBy: t.summary.stoppedBy,
    error: null,
    score: t.summary.score,
    won: t.summary.won,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    seconds: t.summary.seconds,
    stepCount: steps.length,
    invalidCount: t.summary.invalidActions,
    promptTokens: 0,
    cachedPromptTokens: 0,
    completionTokens: 0,
    steps,
    subtasks: [],
    progress: [],
    modelCalls: [],
  });
}

/** Two subtasks splitting the steps in half, and a progress text after every step, as a person would write them. */
function annotated(e: EpisodeDetail): EpisodeDetail {
  const half = Math.ceil(e.steps.length / 2);
  assert.ok(e.steps.length >= 2, 'the expert took fewer than two steps');
  return {
    ...e,
    subtasks: [
      { name: 'get ready', firstStep: 0, lastStep: half - 1, provenance: 'human', reviewed: false },
      { name: 'finish the task', firstStep: half, lastStep: e.steps.length - 1, provenance: 'human', reviewed: false },
    ],
    progress: e.steps.map((s) => ({ step: s.idx, text: `after step ${s.idx}`, provenance: 'human', reviewed: false })),
  };
}

function importError(run: () => unknown): ImportError {
  try {
    run();
  } catch (error) {
    if (error instanceof ImportError) return error;
    throw error;
  }
  assert.fail('the input was accepted');
}

/** 1-based numbers of the lines that are exactly `line`. */
function linesEqualTo(text: string, line: string): number[] {
  return text.split('\n').flatMap((l, i) => (l === line ? [i + 1] : []));
}

test('STEP-HRL raw: a ScienceWorld gold path with its subtasks and progress comes back unchanged', () => {
  const raw = episodeToStepRlRaw(boil);
  assert.equal(raw[0]!.obs, boil.initialObservation);
  assert.equal(raw[1]!.obs, boil.steps[0]!.observation);
  assert.deepEqual(
    raw[0]!.group_action,
    boil.steps.slice(0, boil.subtasks[0]!.lastStep + 1).map((s) => s.action),
  );
  assert.equal(raw.at(-1)!.subtask, 'finish the task');

  const back = parseStepRlRaw(JSON.stringify(raw, null, 2), { file: 'exports/000001_scienceworld_boil_0.json', env: 'scienceworld', split: 'train' });
  assert.deepEqual(back.children.steps, boil.steps);
  assert.deepEqual(back.children.subtasks, boil.subtasks);
  assert.deepEqual(back.children.progress, boil.progress);
  const f = back.fields;
  assert.deepEqual([f.task, f.variation, f.split, f.source, f.agent], ['boil', 0, 'train', 'expert', 'imported-steprl-raw']);
  assert.equal(f.taskDescription, boil.taskDescription);
  assert.equal(f.initialObservation, boil.initialObservation);
  assert.deepEqual([f.score, f.won], [100, true]);
});

test('STEP-HRL raw: an ALFWorld expert episode comes back unchanged, its task named by the file', () => {
  const raw = episodeToStepRlRaw(household);
  assert.ok(raw.every((s) => s.look === '' && s.inventory === ''));
  const back = parseStepRlRaw(JSON.stringify(raw), { file: `/data/raw/${household.task}-trial_1.json`, env: 'alfworld' });
  assert.deepEqual(back.children.steps, household.steps);
  assert.deepEqual(back.children.subtasks, household.subtasks);
  assert.deepEqual(back.children.progress, household.progress);
  assert.equal(back.fields.task, household.task);
  assert.equal(back.fields.taskDescription, household.taskDescription);
  assert.deepEqual([back.fields.score, back.fields.won, back.fields.split], [100, true, null]);
});

test('STEP-HRL raw: an episode without annotations exports empty subtasks and "None" progress, and imports no subtasks', () => {
  const raw = episodeToStepRlRaw({ ...boil, subtasks: [], progress: [] });
  assert.ok(raw.every((s) => s.subtask === '' && s.group_action?.length === 0 && s.local_progress === 'None'));
  const back = parseStepRlRaw(JSON.stringify(raw), { file: 'boil.json', env: 'scienceworld', task: 'boil' });
  assert.deepEqual(back.children.subtasks, []);
  assert.ok(back.children.progress?.every((p) => p.text === 'None'));
  assert.deepEqual([back.fields.task, back.fields.variation], ['boil', null]);
});

test('STEP-HRL raw: two adjacent subtasks with the same name stay two, split where their group of actions ends', () => {
  const twice = { ...household, subtasks: household.subtasks.map((s) => ({ ...s, name: 'do the task' })) };
  const back = parseStepRlRaw(JSON.stringify(episodeToStepRlRaw(twice)), { file: 'g.json', env: 'alfworld' });
  assert.deepEqual(back.children.subtasks, twice.subtasks);
});

test('STEP-HRL raw: a syntax error is reported at its line', () => {
  const text = JSON.stringify(episodeToStepRlRaw(boil), null, 2);
  const line = text.split('\n').findIndex((l) => l.includes('"done": false')) + 1;
  const broken = text
    .split('\n')
    .map((l, i) => (i === line - 1 ? l.replace('false', 'flase') : l))
    .join('\n');
  const error = importError(() => parseStepRlRaw(broken, { file: 'boil_0.json', env: 'scienceworld' }));
  assert.equal(error.problems.length, 1);
  assert.equal(error.problems[0]!.line, line);
  assert.match(error.problems[0]!.message, /not valid JSON/);
});

test('STEP-HRL raw: a step without "action" or with a text reward is reported at the line where its object starts', () => {
  const raw: Array<Partial<StepRlRawStep> | Record<string, unknown>> = episodeToStepRlRaw(boil);
  delete (raw[3] as Partial<StepRlRawStep>).action;
  raw[5] = { ...raw[5], reward: '0.5' };
  const text = JSON.stringify(raw, null, 2);
  const objectLines = linesEqualTo(text, '  {');
  const error = importError(() => parseStepRlRaw(text, { file: 'boil_0.json', env: 'scienceworld' }));
  assert.deepEqual(
    error.problems.map((p) => [p.line, p.path]),
    [
      [objectLines[3], '[3].action'],
      [objectLines[5], '[5].reward'],
    ],
  );
  assert.match(error.problems[0]!.message, /step 4: the field "action" is missing/);
  assert.match(error.problems[1]!.message, /"reward" must be a number, but it is the text "0\.5"/);
});

test('STEP-HRL raw: steps that mix named and unnamed subtasks are refused', () => {
  const raw = episodeToStepRlRaw(boil);
  raw[2]!.subtask = '';
  const error = importError(() => parseStepRlRaw(JSON.stringify(raw, null, 2), { file: 'boil_0.json', env: 'scienceworld' }));
  assert.match(error.problems[0]!.message, /step 3 has no subtask name/);
});

test('STEP-HRL raw: a many-file import with bad files returns nothing and names every bad file', () => {
  const good = JSON.stringify(episodeToStepRlRaw(boil), null, 2);
  const noAction = JSON.stringify(
    episodeToStepRlRaw(household).map((s, i) => (i === 1 ? { ...s, action: undefined } : s)),
    null,
    2,
  );
  const truncated = good.slice(0, good.length / 2);
  const files = [
    { file: 'good.json', text: good },
    { file: 'no-action.json', text: noAction },
    { file: 'truncated.json', text: truncated },
  ];
  const error = importError(() => parseStepRlRawMany(files, { env: 'scienceworld' }));
  assert.deepEqual(
    error.problems.map((p) => p.file),
    ['no-action.json', 'truncated.json'],
  );
  assert.equal(error.problems[0]!.line, linesEqualTo(noAction, '  {')[1]);
  assert.equal(error.problems[1]!.line, truncated.split('\n').length);
  assert.match(error.message, /nothing was imported/);

  const both = parseStepRlRawMany([files[0]!, { file: 'boil_0-copy.json', text: good }], { env: 'scienceworld' });
  assert.equal(both.length, 2);
});

// ---- the reference code's trajectory objects, written by hand from its layout ----------------------------------

/** A ScienceWorld trajectory as the reference code writes it: two subtasks (2 + 1 actions), score 0..1. */
const handWrittenScienceWorld = {
  task_description: 'Task Description:\nYour task is to boil water.',
  subtask: ['go to the kitchen', 'fill the pot'],
  group_action: [['open door to kitchen', 'go to kitchen'], ['move pot to sink']],
  action: ['open door to kitchen', 'go to kitchen', 'move pot to sink'],
  obs: ['This room is called the hallway.', 'The door is now open.', 'You move to the kitchen.'],
  next_obs: ['The door is now open.', 'You move to the kitchen.', 'You move the pot to the sink.'],
  reward: [0, 0.08, 0.1],
  score: [0, 0.08, 0.18],
  done: [false, false, false],
  look: ['hallway look', 'hallway look, door open', 'kitchen look', 'kitchen look, pot in sink'],
  inventory: ['In your inventory, you see: an orange', 'same', 'same', 'same'],
  local_progress: [['None', 'Opened the door to the kitchen.', 'In the kitchen.'], ['None']],
};

/** An ALFWorld trajectory: the last subtask's progress list has its final update too (accepted). */
const handWrittenAlfworld = {
  id: 'alfworld_12',
  game_file: '/home/me/alfworld/json_2.1.1/train/pick_and_place_simple-Mug-None-Desk-308/trial_T2019/game.tw-pddl',
  gamefile_id: 12,
  task_description: 'Your task is to: put some mug on desk.',
  subtask: ['find and take the mug', 'put the mug on the desk'],
  group_action: [
    ['go to shelf 1', 'take mug 1 from shelf 1'],
    ['go to desk 1', 'put mug 1 in/on desk 1'],
  ],
  action: ['go to shelf 1', 'take mug 1 from shelf 1', 'go to desk 1', 'put mug 1 in/on desk 1'],
  obs: [
    'You are in the middle of a room.',
    'On the shelf 1, you see a mug 1.',
    'You pick up the mug 1 from the shelf 1.',
    'On the desk 1, you see a pen 1.',
  ],
  next_obs: [
    'On the shelf 1, you see a mug 1.',
    'You pick up the mug 1 from the shelf 1.',
    'On the desk 1, you see a pen 1.',
    'You put the mug 1 in/on the desk 1.',
  ],
  reward: [0, 0, 0, 1],
  score: [0, 0, 0, 1],
  done: [false, false, false, true],
  local_progress: [
    ['None', 'Seen: mug 1 at the shelf 1.', 'Holding the mug 1.'],
    ['None', 'At the desk 1.', 'Put the mug 1 on the desk 1.'],
  ],
};

test('STEP-HRL trajectory objects: a hand-written ScienceWorld file imports with its subtasks, progress and looks', () => {
  const back = parseStepRlRaw(JSON.stringify(handWrittenScienceWorld, null, 2), { file: '/data/steprl/task3/variation17.json', split: 'train' });
  const f = back.fields;
  assert.deepEqual([f.env, f.task, f.variation, f.split, f.agent], ['scienceworld', 'task3', 17, 'train', 'imported-steprl-raw']);
  assert.equal(f.taskDescription, 'Your task is to boil water.', 'the "Task Description:" label goes');
  assert.deepEqual(
    [f.initialObservation, f.initialLook, f.initialInventory],
    ['This room is called the hallway.', 'hallway look', 'In your inventory, you see: an orange'],
  );
  assert.deepEqual(
    back.children.steps.map((s) => [s.idx, s.action, s.observation, s.look, s.score, s.reward]),
    [
      [0, 'open door to kitchen', 'The door is now open.', 'hallway look, door open', 0, 0],
      [1, 'go to kitchen', 'You move to the kitchen.', 'kitchen look', 8, 0.08],
      [2, 'move pot to sink', 'You move the pot to the sink.', 'kitchen look, pot in sink', 18, 0.1],
    ],
  );
  assert.deepEqual(
    back.children.subtasks!.map((s) => [s.name, s.firstStep, s.lastStep]),
    [
      ['go to the kitchen', 0, 1],
      ['fill the pot', 2, 2],
    ],
  );
  // "None" opens each list; the last subtask's final update was never written, so step 2 has no progress.
  assert.deepEqual(
    back.children.progress!.map((p) => [p.step, p.text]),
    [
      [0, 'Opened the door to the kitchen.'],
      [1, 'In the kitchen.'],
    ],
  );
  assert.deepEqual([f.score, f.won], [18, false]);
});

test('STEP-HRL trajectory objects: a hand-written ALFWorld file says its environment, game, split and task type', () => {
  const back = parseStepRlRaw(JSON.stringify(handWrittenAlfworld), { file: 'alfworld_12.json' });
  const f = back.fields;
  assert.deepEqual(
    [f.env, f.game, f.split, f.task],
    ['alfworld', 'json_2.1.1/train/pick_and_place_simple-Mug-None-Desk-308/trial_T2019', 'train', 'pick_and_place_simple'],
  );
  assert.deepEqual([f.score, f.won, back.children.steps.at(-1)!.won], [100, true, true]);
  assert.deepEqual(
    back.children.progress!.map((p) => p.step),
    [0, 1, 2, 3],
  );
  assert.equal(back.children.steps[0]!.look, null);
});

test('STEP-HRL trajectory objects: our export writes the layout the reference code checks, and comes back', () => {
  for (const original of [boil, household]) {
    const t = episodeToStepRlTrajectory(original);
    // The reference code's length rules.
    const T = t.action.length;
    assert.equal(T, original.steps.length);
    for (const list of [t.obs, t.next_obs, t.reward, t.score, t.done]) assert.equal(list.length, T);
    assert.equal(t.subtask.length, t.group_action.length);
    assert.deepEqual(t.group_action.flat(), t.action);
    t.local_progress!.forEach((texts, k) => {
      assert.equal(texts[0], 'None');
      assert.equal(texts.length, t.group_action[k]!.length + (k === t.subtask.length - 1 ? 0 : 1));
    });
    if (original.env === 'scienceworld') assert.deepEqual([t.look!.length, t.inventory!.length], [T + 1, T + 1]);
    else assert.deepEqual([t.id, t.game_file, t.look], [`alfworld_${original.id}`, `${original.game}/game.tw-pddl`, undefined]);
    assert.ok(t.score.every((x) => x >= 0 && x <= 1));

    const back = parseStepRlRaw(JSON.stringify(t, null, 1), { file: `${original.task}_${original.variation ?? 0}.json` });
    assert.deepEqual(back.children.steps, original.steps);
    assert.deepEqual(back.children.subtasks, original.subtasks);
    const lastStep = original.steps.length - 1;
    assert.deepEqual(
      back.children.progress,
      original.progress.filter((p) => p.step !== lastStep),
      'all but the final update',
    );
    assert.deepEqual(
      [back.fields.env, back.fields.initialLook, back.fields.initialObservation],
      [original.env, original.initialLook, original.initialObservation],
    );
    if (original.env === 'alfworld')
      assert.deepEqual([back.fields.game, back.fields.task, back.fields.split], [original.game, original.task, 'valid_train']);
  }
});

test('STEP-HRL trajectory objects: broken length rules are each reported at the line of the list at fault', () => {
  const broken = {
    ...handWrittenScienceWorld,
    obs: handWrittenScienceWorld.obs.slice(0, 2),
    look: handWrittenScienceWorld.look.slice(0, 3),
    group_action: [['open door to kitchen', 'go to the kitchen'], ['move pot to sink']],
    local_progress: [
      ['Opened the door.', 'x', 'y'],
      ['None', 'a', 'b', 'c'],
    ],
  };
  const text = JSON.stringify(broken, null, 2);
  const lineOfKey = (key: string) => text.split('\n').findIndex((l) => l.startsWith(`  "${key}"`)) + 1;
  const error = importError(() => parseStepRlRaw(text, { file: 'task3/variation1.json' }));
  const byPath = new Map(error.problems.map((p) => [p.path, p]));
  assert.match(byPath.get('obs')!.message, /"obs" has 2 entries, and "action" has 3/);
  assert.equal(byPath.get('obs')!.line, lineOfKey('obs'));
  assert.match(byPath.get('look')!.message, /"look" has 3 entries; with 3 actions it needs 4/);
  assert.match(byPath.get('action[1]')!.message, /action 2 is "go to kitchen", and the groups say "go to the kitchen"/);
  assert.match(byPath.get('local_progress[0][0]')!.message, /must start with "None"/);
  assert.match(byPath.get('local_progress[1]')!.message, /subtask 2 has 1 actions, so its progress list needs 1 \(or 2\).*not 4/);
  assert.equal(error.problems.length, 5);

  const typed = importError(() => parseStepRlRaw(JSON.stringify({ ...handWrittenAlfworld, score: [0, 0, '0', 1] }, null, 2), { file: 'a.json' }));
  assert.deepEqual(
    typed.problems.map((p) => p.path),
    ['score[2]'],
  );
  const noEnv = importError(() =>
    parseStepRlRaw(JSON.stringify({ ...handWrittenScienceWorld, look: undefined, inventory: undefined }), { file: 'a.json' }),
  );
  assert.match(noEnv.problems[0]!.message, /does not say its environment.*pass --env/);
});

test('STEP-HRL trajectory objects: an episode without subtasks cannot be exported in this layout', () => {
  assert.throws(
    () => episodeToStepRlTrajectory({ ...boil, subtasks: [], progress: [] }),
    (e: Error) => e instanceof ExportError && /annotate it first/.test(e.message),
  );
});

test('ETO: ScienceWorld and ALFWorld conversations come back with the same actions and observations', () => {
  const conversations = [episodeToEto(boil), episodeToEto(household)];
  assert.equal(conversations[0]!.id, '0_0');
  assert.deepEqual(
    conversations[0]!.conversations.slice(0, 2).map((t) => t.from),
    ['human', 'gpt'],
  );
  assert.match(conversations[0]!.conversations[2]!.value, /^Task Description:\nYour task is to boil water/);
  assert.match(conversations[1]!.conversations[2]!.value, /^You are in the middle of a room[\s\S]*\n\nYour task is to: /);
  assert.equal(conversations[1]!.conversations[3]!.value, `Thought: get ready\nAction: ${household.steps[0]!.action}`);

  const [sw, alf] = parseEto(JSON.stringify(conversations, null, 2), { file: 'eto.json' });
  for (const [back, original] of [
    [sw!, boil],
    [alf!, household],
  ] as const) {
    assert.equal(back.fields.env, original.env);
    assert.deepEqual(
      back.children.steps.map((s) => [s.action, s.observation, s.invalid]),
      original.steps.map((s) => [s.action, s.observation, s.invalid]),
    );
    assert.equal(back.fields.taskDescription, original.taskDescription);
    assert.deepEqual([back.fields.score, back.fields.won, back.children.steps.at(-1)!.done], [100, true, true]);
    assert.deepEqual([back.children.subtasks, back.children.progress, back.fields.agent], [[], [], 'imported-eto']);
  }
  assert.deepEqual([sw!.fields.task, sw!.fields.variation, sw!.fields.simplifications], ['boil', 0, 'easy']);
  assert.equal(sw!.fields.initialObservation, boil.initialObservation);
  assert.deepEqual([alf!.fields.task, alf!.fields.game, alf!.fields.split], [household.task, household.game, 'valid_train']);
  assert.equal(alf!.fields.initialObservation, household.initialObservation.replace(/^-= Welcome to TextWorld, ALFRED! =-\n\n/, ''));
});

test("ETO: in ETO's own layout the in-context example is not part of the episode, and the last action has no observation", () => {
  const { conversations } = episodeToEto(household);
  const [instruction, ok, task, ...episode] = conversations;
  // ETO's files: instruction, "OK", an example task with its turns, then the task; the expert's last action ends it.
  const example = [
    { from: 'human' as const, value: 'You are in the middle of a room.\n\nYour task is to: put a mug in cabinet.' },
    ...episode.slice(0, 3),
  ];
  const etoLayout = {
    id: 'alfworld_7',
    game_file: `data/${household.game}`,
    conversations: [instruction!, ok!, ...example, task!, ...episode.slice(0, -1)],
  };
  const [back] = parseEto(JSON.stringify([etoLayout]), { file: 'alfworld_sft.json' });
  assert.deepEqual(
    back!.children.steps.map((s) => s.action),
    household.steps.map((s) => s.action),
  );
  assert.equal(back!.children.steps.at(-1)!.observation, '');
  assert.deepEqual([back!.fields.game, back!.fields.task, back!.fields.taskDescription], [household.game, household.task, household.taskDescription]);
  assert.deepEqual([back!.fields.score, back!.fields.won], [0, false]);
});

test('ETO: a model turn without "Action:" is reported at the line of that turn', () => {
  const conversation = episodeToEto(boil);
  conversation.conversations[5]!.value = 'Thought: I should look around first.';
  const text = JSON.stringify([episodeToEto(household), conversation], null, 2);
  const turnLines = linesEqualTo(text, '      {');
  const secondConversationTurns = turnLines.slice(episodeToEto(household).conversations.length);
  const error = importError(() => parseEto(text, { file: 'eto.json' }));
  assert.equal(error.problems.length, 1);
  assert.deepEqual([error.problems[0]!.line, error.problems[0]!.path], [secondConversationTurns[5], '[1].conversations[5]']);
  assert.match(error.problems[0]!.message, /conversation 2, turn 6: the model's turn has no "Action: <command>" line/);
});

test('ETO: malformed files are refused with the line at fault', () => {
  const text = JSON.stringify([episodeToEto(boil)], null, 2);
  const cut = text.replace('"from": "gpt"', '"from": "narrator"');
  const badRole = importError(() => parseEto(cut, { file: 'eto.json' }));
  assert.equal(badRole.problems[0]!.line, linesEqualTo(cut, '      {')[1]);
  assert.match(badRole.problems[0]!.message, /turn 2.*"from" must be "human", "user", "gpt", .* or "system", but it is the text "narrator"/);

  const syntax = importError(() => parseEto(text.replace('"OK"', '"OK",'), { file: 'eto.json' }));
  assert.equal(syntax.problems[0]!.line, text.split('\n').findIndex((l) => l.includes('"OK"')) + 2);

  const unknown = importError(() =>
    parseEto(
      JSON.stringify([
        {
          id: 'x',
          conversations: [
            { from: 'human', value: 'Hello' },
            { from: 'gpt', value: 'Action: inventory' },
          ],
        },
      ]),
      { file: 'eto.json' },
    ),
  );
  assert.match(unknown.problems[0]!.message, /cannot tell whether this is a ScienceWorld or an ALFWorld trajectory/);
});
