/**
 * Conversation files as people publish them, read by `dataset import --format eto`, and ScienceWorld's own gold
 * sequences (`--format scienceworld-gold`). Every file here is small and hand-written in the layout of its source:
 * ETO's SFT sets (instruction, "OK", optional in-context example, task, "Thought/Action" and "Observation" turns;
 * github.com/Yifan-Song793/ETO), ETO's run outputs ({ meta, conversations }), ETO's in-context example files (a list
 * of lists of role/content turns), AgentInstruct (THUDM/AgentTuning: from/value/loss, "Here is your task.",
 * " ACTION:", unlabelled observations), OpenAI-style `messages`, JSON lines, and ScienceWorld's goldsequences-*.json
 * as its ExampleGoldAgent.scala writes them (scores and flags in quotes). No environment is started.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { parseEto } from '../../runtime/src/exchange/eto';
import { readImport } from '../../runtime/src/exchange/files';
import { parseScienceWorldGold, SCIENCEWORLD_GOLD_AGENT } from '../../runtime/src/exchange/scienceworld-gold';
import { ImportError, type ImportedEpisode } from '../../runtime/src/exchange/types';
import { EpisodeFields, StepRecord } from '../../runtime/src/protocol/dataset';
import { IMPORT_FORMATS } from '../../runtime/src/protocol/vocabulary';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stephrl-conversations-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// ---- what the environments say, as they say it --------------------------------------------------------------------

const BOIL =
  'Your task is to boil water. For compounds without a boiling point, combusting the substance is also acceptable. First, focus on the substance. Then, take actions that will cause it to change its state of matter.';
const HALLWAY =
  'This room is called the hallway. In it, you see: \n\tthe agent\n\ta substance called air\n\ta picture\nYou also see:\n\tA door to the art studio (that is open)\n\tA door to the kitchen (that is open)';
const KITCHEN =
  'This room is called the kitchen. In it, you see: \n\tthe agent\n\ta stove, which is turned off.\n\ta sink, which is turned off.\nYou also see:\n\tA door to the hallway (that is open)';
const SCIENCEWORLD_STEPS: Array<[string, string]> = [
  ['teleport to kitchen', 'You teleport to the kitchen.'],
  ['look around', KITCHEN],
  ['focus on the water', 'No known action matches that input.'],
  ['pick up metal pot', 'You move the metal pot to the inventory.'],
];

const ROOM =
  'You are in the middle of a room. Looking quickly around you, you see a cabinet 2, a cabinet 1, a countertop 1, a sinkbasin 1, and a toilet 1.';
const GOAL = 'put some soapbar on toilet.';
const ALFWORLD_STEPS: Array<[string, string]> = [
  ['go to countertop 1', 'On the countertop 1, you see a soapbar 1, and a spraybottle 2.'],
  ['take soapbar 1 from countertop 1', 'You pick up the soapbar 1 from the countertop 1.'],
  ['go to toilet 1', 'On the toilet 1, you see a candle 1.'],
  ['put soapbar 1 in/on toilet 1', 'You put the soapbar 1 in/on the toilet 1.'],
];

/** ETO's instructions (eval_agent/prompt/instructions), shortened. */
const SCIENCEWORLD_INSTRUCTION =
  'You are a helpful assistant to do some scientific experiment in an environment.\nIn the environment, there are several rooms: kitchen, foundry, workshop, bathroom, outside, living room, bedroom, greenhouse, art studio, hallway\nThe available actions are:\n    open OBJ: open a container\n    teleport to LOC: teleport to a specific room\n    focus on OBJ: signal intent on a task object';
const ALFWORLD_INSTRUCTION =
  'Interact with a household to solve a task. Imagine you are an intelligent agent in a household environment and your target is to perform actions to complete the task goal. At the beginning of your interactions, you will be given the detailed description of the current environment and your goal to accomplish. \nFor each of your turn, you will be given the observation of the last turn. Your output must strictly follow this format:"Thought: your thoughts.\\nAction: your next action".\n\nThe available actions are:\n1. go to {recep}\n2. take {obj} from {recep}\n3. put {obj} in/on {recep}\nAfter your each turn, the environment will give you immediate feedback based on which you plan your next few steps. if the envrionment output "Nothing happened", that means the previous action is invalid and you should try more options.';

type Turn = Record<string, unknown>;
const human = (value: string): Turn => ({ from: 'human', value });
const gpt = (value: string): Turn => ({ from: 'gpt', value });

/** Model and observation turns, ETO's way: "Thought: ...\nAction: ..." and "Observation: ...". */
function etoTurns(steps: Array<[string, string]>, options: { lastObservation: boolean }): Turn[] {
  return steps.flatMap(([action, observation], i) => [
    gpt(`Thought: step ${i + 1} of the plan.\nAction: ${action}`),
    ...(i < steps.length - 1 || options.lastObservation ? [human(`Observation: ${observation}`)] : []),
  ]);
}

function parse(value: unknown, file = 'in.json', env?: 'scienceworld' | 'alfworld'): ImportedEpisode[] {
  const episodes = parseEto(typeof value === 'string' ? value : JSON.stringify(value, null, 2), { file, ...(env ? { env } : {}) });
  for (const e of episodes) {
    // What the store would accept.
    EpisodeFields.parse(e.fields);
    for (const s of e.children.steps) StepRecord.parse(s);
  }
  return episodes;
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

const actions = (e: ImportedEpisode) => e.children.steps.map((s) => s.action);
const observations = (e: ImportedEpisode) => e.children.steps.map((s) => s.observation);

/** 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string, from = 0): number {
  const index = text.indexOf(needle, from);
  assert.ok(index >= 0, `${needle} is not in the text`);
  return text.slice(0, index).split('\n').length;
}

// ---- ETO's own layouts --------------------------------------------------------------------------------------------

test("ETO's ScienceWorld SFT layout: instruction and OK are not steps, the id names the task, the last action has no observation", () => {
  const [e] = parse([
    {
      id: '0_12',
      conversations: [human(SCIENCEWORLD_INSTRUCTION), gpt('OK'), human(BOIL), ...etoTurns(SCIENCEWORLD_STEPS, { lastObservation: false })],
    },
  ]);
  assert.deepEqual([e!.fields.env, e!.fields.task, e!.fields.variation, e!.fields.simplifications], ['scienceworld', 'boil', 12, 'easy']);
  assert.equal(e!.fields.taskDescription, BOIL);
  assert.deepEqual(actions(e!), ['teleport to kitchen', 'look around', 'focus on the water', 'pick up metal pot']);
  assert.deepEqual(observations(e!), ['You teleport to the kitchen.', KITCHEN, 'No known action matches that input.', '']);
  assert.deepEqual(
    e!.children.steps.map((s) => [s.invalid, s.done]),
    [
      [false, false],
      [false, false],
      [true, false],
      [false, true],
    ],
  );
  // No reward in the file: nothing is claimed.
  assert.deepEqual([e!.fields.score, e!.fields.won], [0, false]);
});

test('ETO ALFWorld with an in-context example, a numeric id and the outcome in quotes ("reward": "1.0", "success": "True")', () => {
  const example = [
    human(`${ROOM}\n\nYour task is to: put a candle in cabinet.`),
    ...etoTurns(ALFWORLD_STEPS.slice(0, 2), { lastObservation: false }),
  ];
  const [e] = parse([
    {
      id: 12,
      game_file: 'data/json_2.1.1/train/pick_and_place_simple-SoapBar-None-Toilet-424/trial_T20190908_052232_887934/game.tw-pddl',
      reward: '1.0',
      success: 'True',
      conversations: [
        human(ALFWORLD_INSTRUCTION),
        gpt('OK'),
        ...example,
        human(`${ROOM}\n\nYour task is to: ${GOAL}`),
        ...etoTurns(ALFWORLD_STEPS, { lastObservation: true }),
      ],
    },
  ]);
  assert.equal(e!.fields.env, 'alfworld');
  assert.deepEqual(
    [e!.fields.task, e!.fields.game, e!.fields.split],
    ['pick_and_place_simple', 'json_2.1.1/train/pick_and_place_simple-SoapBar-None-Toilet-424/trial_T20190908_052232_887934', 'train'],
  );
  assert.equal(e!.fields.taskDescription, GOAL);
  assert.equal(e!.fields.initialObservation, `${ROOM}\n\nYour task is to: ${GOAL}`);
  assert.deepEqual(
    actions(e!),
    ALFWORLD_STEPS.map(([a]) => a),
  );
  // The trajectory ends on the environment's side: the last observation is kept.
  assert.deepEqual(
    observations(e!),
    ALFWORLD_STEPS.map(([, o]) => o),
  );
  assert.deepEqual([e!.fields.score, e!.fields.won, e!.children.steps.at(-1)!.reward], [100, true, 1]);
});

test("ETO's run outputs: one { meta, conversations } object; the id comes from the file's name, the outcome from meta", () => {
  const output = {
    meta: { steps: 4, reward: 0.5, finished: true, success: false, terminate_reason: 'max_steps', error: null },
    // With icl_format "conversation", the in-context example (eval_agent/prompt/icl_examples) comes as turns of its own.
    conversations: [
      human(SCIENCEWORLD_INSTRUCTION),
      gpt('OK'),
      human('Your task is to use chemistry to create green paint. When you are done, focus on the green paint.'),
      gpt('Thought: I need materials.\nAction: teleport to art studio'),
      human('Observation: You teleport to the art studio.'),
      gpt('Thought: The paint is made.\nAction: focus on green paint'),
      human(`Task Description:\n${BOIL}`),
      ...etoTurns(SCIENCEWORLD_STEPS, { lastObservation: true }),
    ],
  };
  const [e] = parse(output, 'outputs/llama-sciworld/sciworld/12_57.json');
  assert.deepEqual([e!.fields.env, e!.fields.task, e!.fields.variation], ['scienceworld', 'find-living-thing', 57]);
  assert.equal(e!.fields.taskDescription, BOIL);
  assert.deepEqual(
    actions(e!),
    SCIENCEWORLD_STEPS.map(([a]) => a),
  );
  assert.deepEqual([e!.fields.score, e!.fields.won, e!.children.steps.at(-1)!.reward], [50, false, 0.5]);
});

test("ETO's in-context example files: a list of lists of role/content turns, some spelt from/content; ids from the file's name", () => {
  // eval_agent/prompt/icl_examples/alfworld_icl.json mixes "role" and "from" in one conversation.
  const alfworld = [
    [
      { role: 'user', content: `${ROOM}\n\nYour task is to: ${GOAL}` },
      ...ALFWORLD_STEPS.flatMap(([action, observation], i) => [
        { from: 'gpt', content: `Thought: I go on.\nAction: ${action}` },
        ...(i < ALFWORLD_STEPS.length - 1 ? [{ role: 'user', content: `Observation: ${observation}` }] : []),
      ]),
    ],
  ];
  const [a] = parse(alfworld, 'alfworld_icl.json');
  assert.deepEqual([a!.fields.env, a!.fields.task], ['alfworld', 'pick_and_place_simple']);
  assert.deepEqual(
    actions(a!),
    ALFWORLD_STEPS.map(([x]) => x),
  );
  assert.equal(a!.children.steps.at(-1)!.observation, '');

  const scienceworld = [
    [
      { role: 'user', content: BOIL },
      ...SCIENCEWORLD_STEPS.flatMap(([action, observation]) => [
        { role: 'assistant', content: `Thought: next.\nAction: ${action}` },
        { role: 'user', content: `Observation: ${observation}` },
      ]),
    ],
    [
      { role: 'user', content: BOIL },
      { role: 'assistant', content: 'Thought: go.\nAction: teleport to kitchen' },
    ],
  ];
  const [s1, s2] = parse(scienceworld, 'sciworld_icl.json');
  assert.deepEqual([s1!.fields.env, s2!.fields.env], ['scienceworld', 'scienceworld']);
  assert.deepEqual(
    actions(s1!),
    SCIENCEWORLD_STEPS.map(([x]) => x),
  );
  assert.deepEqual(actions(s2!), ['teleport to kitchen']);
  // Nothing in "sciworld_icl#1" names a ScienceWorld task.
  assert.deepEqual([s1!.fields.task, s1!.fields.variation], ['unknown', null]);
});

test("one bare list of turns: the id, and so the ScienceWorld task and variation, come from the file's name", () => {
  const [e] = parse([human(BOIL), ...etoTurns(SCIENCEWORLD_STEPS, { lastObservation: true })], 'data/boil_3.json');
  assert.deepEqual([e!.fields.env, e!.fields.task, e!.fields.variation], ['scienceworld', 'boil', 3]);
  assert.deepEqual(
    observations(e!),
    SCIENCEWORLD_STEPS.map(([, o]) => o),
  );
});

// ---- AgentInstruct, chat messages, JSON lines ---------------------------------------------------------------------

/** AgentInstruct's ALFWorld split (THUDM/AgentInstruct): from/value/loss, AgentBench's prompt, unlabelled observations. */
function agentInstruct(id: string): Record<string, unknown> {
  return {
    conversations: [
      { from: 'human', loss: null, value: `${ALFWORLD_INSTRUCTION}\n Reminder: \n1. the action must be chosen from the given available actions.` },
      { from: 'gpt', loss: false, value: 'OK' },
      { from: 'human', loss: null, value: `Here is your task. ${ROOM}\nYour task is to: clean some soapbar and put it in toilet.` },
      ...ALFWORLD_STEPS.flatMap(([action, observation], i) => [
        { from: 'gpt', loss: true, value: i % 2 ? `ACTION: ${action}` : `THOUGHT: I need the soapbar first.\n ACTION: ${action}` },
        { from: 'human', loss: null, value: observation },
      ]),
    ],
    id,
  };
}

test('AgentInstruct (ALFWorld): "Here is your task.", THOUGHT/ACTION in capitals, unlabelled observations, ending on an observation', () => {
  const [e] = parse([agentInstruct('alfworld_0')], 'alfworld-00000-of-00001.json');
  assert.deepEqual([e!.fields.env, e!.fields.task, e!.fields.game], ['alfworld', 'pick_clean_then_place_in_recep', null]);
  assert.equal(e!.fields.taskDescription, 'clean some soapbar and put it in toilet.');
  assert.equal(e!.fields.initialObservation, `${ROOM}\nYour task is to: clean some soapbar and put it in toilet.`);
  assert.deepEqual(
    actions(e!),
    ALFWORLD_STEPS.map(([a]) => a),
  );
  assert.deepEqual(
    observations(e!),
    ALFWORLD_STEPS.map(([, o]) => o),
  );
});

test('chat messages: role/content with a system turn, lower-case labels, bare actions, and a conversation that mixes from/value with role/content', () => {
  const messages = [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: `${SCIENCEWORLD_INSTRUCTION}\n\nNow, it's your turn and here is the task.\n${BOIL}` },
    { role: 'assistant', content: 'thought: the kitchen has a stove.\naction: teleport to kitchen' },
    { from: 'human', value: 'observation: You teleport to the kitchen.' },
    { role: 'assistant', content: 'look around' },
    { from: 'human', content: KITCHEN },
    { from: 'gpt', value: 'Thought: I will act. Action: pick up metal pot' },
  ];
  const [e] = parse({ id: 'boil_5', messages });
  assert.deepEqual([e!.fields.env, e!.fields.task, e!.fields.variation], ['scienceworld', 'boil', 5]);
  assert.equal(e!.fields.taskDescription, BOIL);
  assert.deepEqual(actions(e!), ['teleport to kitchen', 'look around', 'pick up metal pot']);
  assert.deepEqual(observations(e!), ['You teleport to the kitchen.', KITCHEN, '']);
});

test('JSON lines: one conversation per line, ids as numbers or texts; a bad line is named by its number', () => {
  const lines = [
    JSON.stringify({ id: '0_1', conversations: [human(BOIL), ...etoTurns(SCIENCEWORLD_STEPS, { lastObservation: false })] }),
    '',
    JSON.stringify({ id: 7, conversations: [human(`${ROOM}\n\nYour task is to: ${GOAL}`), ...etoTurns(ALFWORLD_STEPS, { lastObservation: false })] }),
  ];
  const [sw, alf] = parse(lines.join('\n') + '\n', 'mixed.jsonl');
  assert.deepEqual([sw!.fields.env, sw!.fields.task, sw!.fields.variation], ['scienceworld', 'boil', 1]);
  assert.deepEqual([alf!.fields.env, alf!.fields.task], ['alfworld', 'pick_and_place_simple']);
  assert.deepEqual(
    actions(alf!),
    ALFWORLD_STEPS.map(([a]) => a),
  );

  const broken = [lines[0], lines[2], lines[2]!.replace('"from":"gpt"', '"from":"gpt",,'), JSON.stringify({ id: 'x', turns: [] })].join('\n');
  const error = importError(() => parse(broken, 'broken.jsonl'));
  assert.deepEqual(
    error.problems.map((p) => p.line),
    [3, 4],
  );
  assert.match(error.problems[0]!.message, /^conversation 3: not valid JSON: expected a field name in double quotes but found ','$/);
  assert.match(error.problems[1]!.message, /^conversation 4 \(a line of JSON lines\) must be an object with "conversations" \(or "messages"\)/);
});

// ---- the environment ----------------------------------------------------------------------------------------------

test('the environment comes from what was played, not from the system prompt: a ScienceWorld episode under ALFWorld instructions', () => {
  // A widely copied ScienceWorld set opens with ALFWorld's household instruction.
  const conversation = {
    id: 'sciworld_train_3',
    conversations: [
      { from: 'system', value: ALFWORLD_INSTRUCTION },
      human(ALFWORLD_INSTRUCTION),
      gpt('OK'),
      human(BOIL),
      ...etoTurns(SCIENCEWORLD_STEPS, { lastObservation: true }),
    ],
  };
  const [e] = parse([conversation]);
  assert.equal(e!.fields.env, 'scienceworld');
  assert.deepEqual(
    actions(e!),
    SCIENCEWORLD_STEPS.map(([a]) => a),
  );
  // Even with an id that says nothing and a task turn without "Your task is to", the commands and observations decide.
  const bare = {
    id: 'x',
    conversations: [
      { from: 'system', value: ALFWORLD_INSTRUCTION },
      human('Boil the water.'),
      ...etoTurns(SCIENCEWORLD_STEPS, { lastObservation: true }),
    ],
  };
  assert.equal(parse([bare])[0]!.fields.env, 'scienceworld');
  const household = {
    id: 'x',
    conversations: [
      { from: 'system', value: SCIENCEWORLD_INSTRUCTION },
      human(`${ROOM}\n\nYour task is to: ${GOAL}`),
      ...etoTurns(ALFWORLD_STEPS, { lastObservation: true }),
    ],
  };
  assert.equal(parse([household])[0]!.fields.env, 'alfworld');
});

test('--env wins over what the conversation suggests, and decides where nothing else can', () => {
  const ambiguous = [{ id: 'x', conversations: [human('Take stock.'), gpt('Action: inventory'), human('You are carrying nothing.')] }];
  const refused = importError(() => parse(ambiguous));
  assert.match(refused.problems[0]!.message, /conversation 1: cannot tell whether this is a ScienceWorld or an ALFWorld trajectory.*--env/);
  const [given] = parse(ambiguous, 'in.json', 'scienceworld');
  assert.deepEqual([given!.fields.env, given!.fields.taskDescription, actions(given!)], ['scienceworld', 'Take stock.', ['inventory']]);

  // ALFWorld evidence, read as ScienceWorld because it was asked.
  const [forced] = parse([agentInstruct('alfworld_3')], 'in.json', 'scienceworld');
  assert.deepEqual([forced!.fields.env, forced!.fields.task], ['scienceworld', 'unknown']);
  assert.deepEqual(
    actions(forced!),
    ALFWORLD_STEPS.map(([a]) => a),
  );
  // Through the import's own options, as `dataset import --env` passes them.
  const file = path.join(dir, 'ambiguous.json');
  fs.writeFileSync(file, JSON.stringify(ambiguous));
  assert.match(
    importError(() => readImport('eto', [file], { env: 'alfworld' })).problems[0]!.message,
    /the ALFWorld task turn must contain "Your task is to: <goal>"/,
  );
  assert.equal(readImport('eto', [file], { env: 'scienceworld' })[0]!.fields.env, 'scienceworld');
});

// ---- refusals -----------------------------------------------------------------------------------------------------

test('malformed conversations are refused at the line at fault, all of them, and nothing is returned', () => {
  const good = { id: '0_0', conversations: [human(BOIL), ...etoTurns(SCIENCEWORLD_STEPS, { lastObservation: false })] };
  const text = JSON.stringify(
    [
      good,
      { ...good, id: '0_1', conversations: [human(BOIL), { from: 'narrator', value: 'Action: look around' }] },
      { ...good, id: '0_2', reward: 'high' },
      { ...good, id: '0_3', conversations: [human(BOIL), { role: 'assistant' }, { from: 'human', content: 'Observation: ok' }] },
      { ...good, id: '0_4', conversations: [human(BOIL), gpt('Thought: I am not sure yet.'), human('Observation: ok')] },
      { ...good, id: '0_5', conversations: [human(BOIL), gpt('Action: look around'), gpt('Action: wait')] },
      'a conversation',
    ],
    null,
    2,
  );
  const error = importError(() => parse(text));
  const found = error.problems.map((p) => [p.line, p.path, p.message]);
  const at = (needle: string, from: string) =>
    lineOf(text, needle, text.indexOf(from)) - (needle.startsWith('"from"') || needle.startsWith('"role"') ? 1 : 0);
  assert.deepEqual(found, [
    [
      at('"from": "narrator"', '"0_1"'),
      '[1].conversations[1].from',
      'conversation 2, turn 2: "from" must be "human", "user", "gpt", "assistant", "agent", "model" or "system", but it is the text "narrator"',
    ],
    [
      lineOf(text, '"reward": "high"'),
      '[2].reward',
      'conversation 3: "reward" must be a number (written plain or in quotes), but it is the text "high"',
    ],
    [
      at('"role": "assistant"', '"0_3"'),
      '[3].conversations[1]',
      'conversation 4, turn 2: the field "value" (or "content") is missing: it holds what was said',
    ],
    [
      at('"from": "gpt"', '"0_4"'),
      '[4].conversations[1]',
      'conversation 5, turn 2: the model\'s turn has no "Action: <command>" line, and is not a bare one-line command either',
    ],
    [
      lineOf(text, '"value": "Action: wait"') - 2,
      '[5].conversations[2]',
      'conversation 6, turn 3: expected the observation ("from": "human", "Observation: ...") after the model\'s turn, but found another model turn',
    ],
    [
      lineOf(text, '"a conversation"'),
      '[6]',
      'conversation 7 must be an object with "conversations" (or "messages"), or a list of turns, but it is the text "a conversation"',
    ],
  ]);
  assert.match(importError(() => parse([])).problems[0]!.message, /holds no conversations/);
  assert.match(
    importError(() => parse({ id: 1, dialog: [] })).problems[0]!.message,
    /must be a JSON list of conversations .*, one conversation, or a list of turns/,
  );
  assert.match(
    importError(() => parse([{ id: 'x', conversations: [gpt('Action: look around')] }])).problems[0]!.message,
    /no human turn holds the task/,
  );
});

// ---- ScienceWorld's gold sequences --------------------------------------------------------------------------------

/** A step of a gold path as ExampleGoldAgent.scala writes it: every value a text. */
function goldStep(action: string, observation: string, score: string, isCompleted: string, freelook: string, inventory: string) {
  return { action, observation, score, isCompleted, freelook, inventory };
}

const INVENTORY = 'In your inventory, you see:\n\tan orange\n';
const INVENTORY_POT = 'In your inventory, you see:\n\tan orange\n\ta metal pot\n';
const GOLD = {
  '0': {
    taskIdx: 0,
    taskName: 'task-1-boil',
    goldActionSequences: [
      {
        variationIdx: 3,
        fold: 'train',
        taskDescription: BOIL,
        path: [
          goldStep('look around', HALLWAY, '0.0', 'false', HALLWAY, INVENTORY),
          goldStep('teleport to kitchen', 'You teleport to the kitchen.', '0.0', 'false', HALLWAY, INVENTORY),
          goldStep('pick up metal pot', 'You move the metal pot to the inventory.', '0.1', 'false', KITCHEN, INVENTORY),
          goldStep('focus on water', 'No known action matches that input.', '0.1', 'false', KITCHEN, INVENTORY_POT),
          goldStep('activate stove', 'The stove is now activated.', '1.0', 'true', KITCHEN, INVENTORY_POT),
        ],
      },
    ],
  },
  '4': {
    taskIdx: 4,
    taskName: 'task-10-measure-melting-point-(known-substance)',
    goldActionSequences: [
      {
        variationIdx: 211,
        fold: 'test',
        taskDescription: 'Your task is to measure the melting point of chocolate.',
        path: [
          goldStep('look around', KITCHEN, '0.0', 'false', KITCHEN, INVENTORY),
          goldStep('pick up thermometer', 'You move the thermometer to the inventory.', '0.08333333333333333', 'false', KITCHEN, INVENTORY),
        ],
      },
    ],
  },
};

test('ScienceWorld gold sequences: scores and flags in quotes, the opening look is the first observation, looks are the next entry’s', () => {
  const [boil, melt] = parseScienceWorldGold(JSON.stringify(GOLD), { file: 'goldsequences-0-4.json' });
  for (const e of [boil!, melt!]) {
    EpisodeFields.parse(e.fields);
    for (const s of e.children.steps) StepRecord.parse(s);
  }
  assert.deepEqual(
    [boil!.fields.env, boil!.fields.task, boil!.fields.variation, boil!.fields.split, boil!.fields.simplifications, boil!.fields.agent],
    ['scienceworld', 'boil', 3, 'train', 'easy', SCIENCEWORLD_GOLD_AGENT],
  );
  assert.deepEqual(
    [boil!.fields.taskDescription, boil!.fields.initialObservation, boil!.fields.initialLook, boil!.fields.initialInventory],
    [BOIL, HALLWAY, HALLWAY, INVENTORY],
  );
  assert.deepEqual(actions(boil!), ['teleport to kitchen', 'pick up metal pot', 'focus on water', 'activate stove']);
  assert.deepEqual(
    boil!.children.steps.map((s) => [s.score, s.reward, s.done, s.won, s.invalid, s.look, s.inventory]),
    [
      [0, 0, false, false, false, KITCHEN, INVENTORY],
      [10, 0.1, false, false, false, KITCHEN, INVENTORY_POT],
      [10, 0, false, false, true, KITCHEN, INVENTORY_POT],
      [100, 0.9, true, true, false, null, null],
    ],
  );
  assert.deepEqual([boil!.fields.score, boil!.fields.won, boil!.fields.stoppedBy], [100, true, 'done']);
  // The former task names are today's: "task-10-measure-melting-point-(known-substance)".
  assert.deepEqual([melt!.fields.task, melt!.fields.variation, melt!.fields.split], ['measure-melting-point-known-substance', 211, 'test']);
  assert.deepEqual(
    [melt!.fields.score, melt!.fields.won, melt!.fields.stoppedBy, melt!.children.steps[0]!.done],
    [8, false, 'expert_exhausted', true],
  );

  // One task saved on its own, and --split, through the import's files.
  const file = path.join(dir, 'goldsequences-0.json');
  fs.writeFileSync(file, JSON.stringify(GOLD['0']));
  const [alone] = readImport('scienceworld-gold', [file], { split: 'dev' });
  assert.deepEqual([alone!.fields.task, alone!.fields.split, actions(alone!)], ['boil', 'dev', actions(boil!)]);
  assert.match(
    importError(() => readImport('scienceworld-gold', [file], { env: 'alfworld' })).problems[0]!.message,
    /gold sequences are ScienceWorld's/,
  );
});

test('ScienceWorld gold sequences: malformed steps are refused at their lines, with the task, sequence and step named', () => {
  const bad = structuredClone(GOLD) as Record<string, { goldActionSequences: Array<Record<string, unknown>> }>;
  const path0 = bad['0']!.goldActionSequences[0]!.path as Array<Record<string, unknown>>;
  path0[2]!.score = 'high';
  path0[3]!.isCompleted = 'maybe';
  delete bad['4']!.goldActionSequences[0]!.taskDescription;
  // ExampleGoldAgent writes one step per line.
  const text = JSON.stringify(bad, null, 1).replace(/\{\n\s+"action"[^}]*\}/g, (step) => step.replace(/\n\s*/g, ' '));
  const error = importError(() => parseScienceWorldGold(text, { file: 'gold.json' }));
  assert.deepEqual(
    error.problems.map((p) => [p.line, p.message]),
    [
      [
        lineOf(text, '"score": "high"'),
        'task "0" (boil), sequence 1, step 3: "score" must be a number (written plain or in quotes), but it is the text "high"',
      ],
      [
        lineOf(text, '"isCompleted": "maybe"'),
        'task "0" (boil), sequence 1, step 4: "isCompleted" must be true or false (written plain or in quotes), but it is the text "maybe"',
      ],
      [
        lineOf(text, '"variationIdx": 211') - 1,
        'task "4" (measure-melting-point-known-substance), sequence 1: the field "taskDescription" is missing',
      ],
    ],
  );
  assert.match(importError(() => parseScienceWorldGold('[]', { file: 'g.json' })).problems[0]!.message, /must be a JSON object of tasks/);
});

// ---- Git LFS pointers, every format --------------------------------------------------------------------------------

test('a Git LFS pointer is named as one, with how to fetch the content, whatever the format', () => {
  const pointer = path.join(dir, 'sciworld_sft.json');
  fs.writeFileSync(
    pointer,
    'version https://git-lfs.github.com/spec/v1\noid sha256:7079f08068ec4c526628857695231b97939472e697c3a87b4f75f682829f0ee5\nsize 13428264\n',
  );
  for (const format of IMPORT_FORMATS) {
    const error = importError(() => readImport(format, [pointer], {}));
    assert.equal(error.problems.length, 1, format);
    const [p] = error.problems;
    assert.deepEqual([p!.file, p!.line], [pointer, 1], format);
    assert.match(p!.message, /Git LFS pointer, not the data.*13,428,264 bytes.*sha256:7079f080.*git lfs pull.*download the file itself/, format);
  }
});

// ---- never a crash ------------------------------------------------------------------------------------------------

test('the conversation and gold-sequence readers refuse damaged files with a line, never crash', () => {
  const samples = [
    JSON.stringify([agentInstruct('alfworld_1')], null, 2),
    JSON.stringify({ meta: { reward: '0.5' }, messages: [human(BOIL), ...etoTurns(SCIENCEWORLD_STEPS, { lastObservation: true })] }),
    [JSON.stringify({ id: 1, conversations: [human(BOIL), gpt('look around')] }), JSON.stringify([human(BOIL), gpt('wait')])].join('\n'),
  ];
  const gold = JSON.stringify(GOLD, null, 1);
  const damaged = (text: string) =>
    fc.oneof(
      fc.tuple(fc.nat(text.length), fc.nat(120)).map(([at, n]) => text.slice(0, at) + text.slice(at + n)),
      fc.tuple(fc.nat(text.length), fc.jsonValue({ maxDepth: 2 })).map(([at, v]) => {
        const colon = text.indexOf(':', at);
        if (colon < 0) return text;
        const end = text.slice(colon + 1).search(/[,}\]]/);
        return text.slice(0, colon + 1) + JSON.stringify(v) + (end < 0 ? '' : text.slice(colon + 1 + end));
      }),
    );
  const refusesOrReads = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      for (const p of error.problems) assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.message.length > 0, JSON.stringify(p));
    }
  };
  fc.assert(
    fc.property(fc.oneof(...samples.map(damaged)), (text) => refusesOrReads(() => parse(text))),
    { seed: 21, numRuns: 600 },
  );
  fc.assert(
    fc.property(damaged(gold), (text) => refusesOrReads(() => parseScienceWorldGold(text, { file: 'g.json' }))),
    { seed: 22, numRuns: 400 },
  );
});
