/**
 * ETO-style conversation trajectories (github.com/Yifan-Song793/ETO, data/{sciworld,alfworld}_sft.json, FastChat
 * layout): a JSON list of `{ id, conversations: [{ from: "human" | "gpt", value }] }`. In ETO's files a conversation
 * is: the instruction (human) and "OK" (gpt); optionally an in-context example (its task, then model and
 * observation turns); then the task turn (human; ALFWorld: the room description and "Your task is to: ...";
 * ScienceWorld: the task description, sometimes labelled "Task Description:"); then "Thought: ...\nAction: ..."
 * (gpt) and "Observation: ..." (human) turns. The expert files end with the model's last action, without its
 * observation. ScienceWorld ids are "<ETO task number>_<variation>"; ALFWorld records carry `game_file`.
 * Pure functions: the import command owns the transaction and writes nothing when a problem is reported.
 */
import { z } from 'zod';
import type { EnvKind } from '../protocol/environment';
import type { EpisodeDetail, EpisodeFields, StepRecord } from '../protocol/dataset';
import { describeIssue, formatPath, readJsonOrProblem, type JsonLayout } from './json-positions';
import { REJECTED_ACTION } from './steprl-raw';
import { ImportError, type ImportedEpisode, type ImportProblem } from './types';

export const ETO_AGENT = 'imported-eto';

/**
 * ETO's numbering of ScienceWorld tasks (its eval_agent/data/sciworld/taskname2id.json), by the simulator's short
 * names. ETO's table skips 5; the slot is the one task its ordering leaves out.
 */
export const ETO_SCIENCEWORLD_TASKS: readonly string[] = [
  'boil',
  'change-the-state-of-matter-of',
  'freeze',
  'melt',
  'measure-melting-point-known-substance',
  'measure-melting-point-unknown-substance',
  'use-thermometer',
  'power-component',
  'power-component-renewable-vs-nonrenewable-energy',
  'test-conductivity',
  'test-conductivity-of-unknown-substances',
  'find-animal',
  'find-living-thing',
  'find-non-living-thing',
  'find-plant',
  'grow-fruit',
  'grow-plant',
  'chemistry-mix',
  'chemistry-mix-paint-secondary-color',
  'chemistry-mix-paint-tertiary-color',
  'lifespan-longest-lived',
  'lifespan-longest-lived-then-shortest-lived',
  'lifespan-shortest-lived',
  'identify-life-stages-1',
  'identify-life-stages-2',
  'inclined-plane-determine-angle',
  'inclined-plane-friction-named-surfaces',
  'inclined-plane-friction-unnamed-surfaces',
  'mendelian-genetics-known-plant',
  'mendelian-genetics-unknown-plant',
];

/** ETO's ScienceWorld environment loads every variation with the "easy" simplifications. */
const ETO_SCIENCEWORLD_SIMPLIFICATIONS = 'easy';

export interface EtoTurn {
  from: 'human' | 'gpt';
  value: string;
}

export interface EtoConversation {
  id: string;
  conversations: EtoTurn[];
  /** ALFWorld: the game's trial folder, as in ETO's alfworld_sft.json. */
  game_file?: string;
  /** The episode's final score as a fraction (0..1), as in ETO's webshop_sft.json. */
  reward?: number;
}

const EtoTurnSchema = z.object({
  from: z.enum(['human', 'gpt'], { error: 'must be "human" or "gpt"' }),
  value: z.string(),
});

const EtoConversationSchema = z.object({
  id: z.union([z.string(), z.number()], { error: 'must be a text or a number' }),
  conversations: z.array(EtoTurnSchema),
  game_file: z.string().optional(),
  reward: z.number().optional(),
});
type ParsedConversation = z.infer<typeof EtoConversationSchema>;

// ---- export ------------------------------------------------------------------------------------------------------

const REPLY_FORMAT = 'Answer every turn in exactly this form:\nThought: <your reasoning>\nAction: <one command>';

const INSTRUCTIONS: Record<EnvKind, string> = {
  scienceworld:
    'You are an agent in ScienceWorld, a text simulation of an elementary-school science setting spread over several rooms. ' +
    'Complete the task by giving one environment command per turn, for example: look around, teleport to LOC, open OBJ, ' +
    'pick up OBJ, move OBJ to OBJ, pour OBJ into OBJ, activate OBJ, use OBJ on OBJ, focus on OBJ, wait. ' +
    'After every command you receive what it did.\n' +
    REPLY_FORMAT,
  alfworld:
    'You are an agent in a simulated household. You first get a description of the room and your goal. ' +
    'Give one command per turn: go to RECEP, open RECEP, close RECEP, take OBJ from RECEP, put OBJ in/on RECEP, ' +
    'clean OBJ with RECEP, heat OBJ with RECEP, cool OBJ with RECEP, use OBJ, examine OBJ, look, inventory. ' +
    'After every command you receive what it did; "Nothing happens." means it had no effect.\n' +
    REPLY_FORMAT,
};

/** TextWorld's banner before ALFWorld's first observation; ETO drops it. */
const TEXTWORLD_BANNER = /^\s*-= Welcome to TextWorld, ALFRED! =-\s*/;

export function episodeToEto(e: EpisodeDetail): EtoConversation {
  const conversations: EtoTurn[] = [
    { from: 'human', value: INSTRUCTIONS[e.env] },
    { from: 'gpt', value: 'OK' },
    { from: 'human', value: taskTurn(e) },
  ];
  for (const step of e.steps) {
    const subtask = e.subtasks.find((s) => s.firstStep <= step.idx && step.idx <= s.lastStep);
    conversations.push({ from: 'gpt', value: `${subtask ? `Thought: ${subtask.name}\n` : ''}Action: ${step.action}` });
    conversations.push({ from: 'human', value: `Observation: ${step.observation}` });
  }
  return {
    id: conversationId(e),
    conversations,
    ...(e.env === 'alfworld' && e.game ? { game_file: e.game } : {}),
    reward: Math.max(0, Math.min(100, e.score)) / 100,
  };
}

function taskTurn(e: EpisodeDetail): string {
  if (e.env === 'alfworld') {
    const room = e.initialObservation.replace(TEXTWORLD_BANNER, '');
    return /Your task is to:/.test(room) ? room : `${room}\n\nYour task is to: ${e.taskDescription}`;
  }
  return `Task Description:\n${e.taskDescription}` + (e.initialObservation ? `\n\nInitial observation: ${e.initialObservation}` : '');
}

function conversationId(e: EpisodeDetail): string {
  if (e.env === 'alfworld') return `alfworld_${e.id}`;
  const number = ETO_SCIENCEWORLD_TASKS.indexOf(e.task);
  if (e.variation === null) return `scienceworld_episode_${e.id}`;
  return number >= 0 ? `${number}_${e.variation}` : `${e.task}_${e.variation}`;
}

// ---- import ------------------------------------------------------------------------------------------------------

export interface EtoOptions {
  file: string;
  /** The environment of every conversation; inferred per conversation from its id and text when absent. */
  env?: EnvKind;
}

type Report = (line: number, message: string, at?: string) => void;

export function parseEto(content: string, options: EtoOptions): ImportedEpisode[] {
  const problems: ImportProblem[] = [];
  const problem: Report = (line, message, at) => problems.push({ file: options.file, line, ...(at ? { path: at } : {}), message });

  const parsed = readJsonOrProblem(content, 3);
  if (!parsed.ok) throw new ImportError([{ file: options.file, line: parsed.line, message: parsed.message }]);
  const { value, layout } = parsed;
  if (!Array.isArray(value))
    throw new ImportError([{ file: options.file, line: 1, message: 'an ETO file must be a JSON list of conversations ({ "id", "conversations" })' }]);
  if (value.length === 0) throw new ImportError([{ file: options.file, line: 1, message: 'the file holds no conversations (the list is empty)' }]);

  const episodes: ImportedEpisode[] = [];
  value.forEach((item, index) => {
    const result = EtoConversationSchema.safeParse(item);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const at = [index, ...(issue.path as Array<string | number>)];
        const turn = issue.path[0] === 'conversations' && typeof issue.path[1] === 'number' ? `, turn ${issue.path[1] + 1}` : '';
        problem(layout.lineAt(at), `conversation ${index + 1}${turn}: ${describeIssue(issue, item)}`, formatPath(at));
      }
      return;
    }
    const episode = conversationToEpisode(result.data, new Located(index, layout, problem), options.env);
    if (episode) episodes.push(episode);
  });
  if (problems.length) throw new ImportError(problems);
  return episodes;
}

/** Reports problems of one conversation at the line of the conversation or of one of its turns. */
class Located {
  constructor(
    readonly index: number,
    private readonly layout: JsonLayout,
    private readonly report: Report,
  ) {}

  conversation(message: string): null {
    this.report(this.layout.lineAt([this.index]), `conversation ${this.index + 1}: ${message}`, formatPath([this.index]));
    return null;
  }

  turn(turn: number, message: string): null {
    const at = [this.index, 'conversations', turn];
    this.report(this.layout.lineAt(at), `conversation ${this.index + 1}, turn ${turn + 1}: ${message}`, formatPath(at));
    return null;
  }
}

function conversationToEpisode(record: ParsedConversation, at: Located, givenEnv: EnvKind | undefined): ImportedEpisode | null {
  const turns = record.conversations;
  const taskIndex = taskTurnIndex(turns);
  if (taskIndex < 0) return at.conversation('no human turn holds the task (every human turn is an "Observation: ...")');
  const taskText = withoutInContextPrompt(turns[taskIndex]!.value);
  const env = givenEnv ?? inferEnv(record, taskText);
  if (!env) return at.conversation('cannot tell whether this is a ScienceWorld or an ALFWorld trajectory: pass the environment explicitly');
  const task = env === 'alfworld' ? alfworldTask(taskText) : scienceWorldTask(taskText);
  if (!task) return at.turn(taskIndex, 'the ALFWorld task turn must contain "Your task is to: <goal>"');
  const steps = readSteps(turns, taskIndex, env, at);
  if (!steps) return null;
  if (steps.length === 0) return at.conversation('the conversation ends with the task: it has no model turns, so no steps');
  applyOutcome(steps, env, record.reward);
  const item = env === 'alfworld' ? alfworldItem(record.game_file, task.taskDescription) : scienceWorldItem(String(record.id));
  return { fields: episodeFields(env, item, task, steps.at(-1)!), children: { steps, subtasks: [], progress: [] } };
}

function episodeFields(env: EnvKind, item: Item, task: TaskText, last: StepRecord): EpisodeFields {
  return {
    env,
    ...item,
    simplifications: env === 'scienceworld' ? ETO_SCIENCEWORLD_SIMPLIFICATIONS : null,
    taskParams: null,
    source: 'expert',
    agent: ETO_AGENT,
    model: null,
    adapter: null,
    engineName: 'unknown',
    engineVersion: 'unknown',
    ...task,
    initialLook: null,
    initialInventory: null,
    maxSteps: null,
    status: 'complete',
    stoppedBy: null,
    error: null,
    score: last.score,
    won: last.won,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    seconds: null,
  };
}

const OBSERVATION_LABEL = /^\s*Observation:[ \t]?/;

/**
 * The task turn is the last human turn that is not an observation: everything before it is the instruction and
 * the in-context example (whose own task turn comes earlier), everything after it is the episode.
 */
function taskTurnIndex(turns: EtoTurn[]): number {
  for (let i = turns.length - 1; i >= 0; i--) if (turns[i]!.from === 'human' && !OBSERVATION_LABEL.test(turns[i]!.value)) return i;
  return -1;
}

/** ETO's single-message prompt puts instruction and example before this line; the task follows it. */
function withoutInContextPrompt(value: string): string {
  const marker = /Now, it's your turn(?: and here is the task)?\.?/i.exec(value);
  return marker ? value.slice(marker.index + marker[0].length).trim() : value.trim();
}

function inferEnv(record: ParsedConversation, taskText: string): EnvKind | null {
  const id = String(record.id).toLowerCase();
  if (record.game_file !== undefined || /Your task is to:/.test(taskText) || id.startsWith('alfworld')) return 'alfworld';
  if (/^(?:sciworld|scienceworld)/.test(id) || /^\d+_\d+$/.test(id) || /Task Description:|Your task is to\s/i.test(taskText)) return 'scienceworld';
  return null;
}

interface TaskText {
  taskDescription: string;
  initialObservation: string;
}

/** ALFWorld: "<room description>\n\nYour task is to: <goal>"; the whole turn is the first observation. */
function alfworldTask(text: string): TaskText | null {
  const goal = /Your task is to:\s*/.exec(text);
  if (!goal) return null;
  return { taskDescription: text.slice(goal.index + goal[0].length).trim(), initialObservation: text };
}

/** ScienceWorld: an optional label, the task description, then (from our exports) a blank line and the first observation. */
function scienceWorldTask(text: string): TaskText {
  const body = text.replace(/^\s*(?:Here is your task\.?|Task Description:)\s*/i, '').replace(/^\s*Task Description:\s*/i, '');
  const gap = /\n[ \t]*\n/.exec(body);
  if (!gap) return { taskDescription: body.trim(), initialObservation: '' };
  const observation = body.slice(gap.index + gap[0].length).replace(/^\s*(?:Initial observation|Observation):[ \t]?/i, '');
  return { taskDescription: body.slice(0, gap.index).trim(), initialObservation: observation };
}

/** Model and observation turns after the task turn, as steps; null after reporting a malformed turn. */
function readSteps(turns: EtoTurn[], taskIndex: number, env: EnvKind, at: Located): StepRecord[] | null {
  const steps: StepRecord[] = [];
  let ok = true;
  const fail = (turn: number, message: string) => {
    at.turn(turn, message);
    ok = false;
  };
  for (let k = taskIndex + 1; k < turns.length; k += 2) {
    const model = turns[k]!;
    const reply = turns[k + 1];
    if (model.from !== 'gpt') {
      fail(k, 'expected the model\'s turn ("from": "gpt") here, but found a second observation in a row');
      continue;
    }
    const action = actionOf(model.value);
    if (action === null) fail(k, 'the model\'s turn has no "Action: <command>" line');
    else if (!action) fail(k, 'the "Action:" line is empty');
    if (reply && reply.from !== 'human')
      fail(k + 1, 'expected the observation ("from": "human", "Observation: ...") after the model\'s turn, but found another model turn');
    const observation = reply ? reply.value.replace(OBSERVATION_LABEL, '') : '';
    steps.push(step(steps.length, action ?? '', observation, k + 2 >= turns.length, env));
  }
  return ok ? steps : null;
}

/** The command after "Action:" (on its line, or the next when the label stands alone), as ETO's environments read it. */
function actionOf(value: string): string | null {
  const match = /(?:^|\n)[ \t]*Action:\s*([^\n]*)/.exec(value);
  return match ? match[1]!.trim() : null;
}

function step(idx: number, action: string, observation: string, last: boolean, env: EnvKind): StepRecord {
  return {
    idx,
    action,
    observation,
    look: null,
    inventory: null,
    reward: 0,
    score: 0,
    // The conversation ends where the episode ended.
    done: last,
    won: false,
    truncated: false,
    invalid: observation.trim() === REJECTED_ACTION[env],
  };
}

/** A record's `reward` (0..1, or a 0..100 score) is the episode's result: it goes on the last step. */
function applyOutcome(steps: StepRecord[], env: EnvKind, reward: number | undefined): void {
  const last = steps.at(-1);
  if (!last || reward === undefined) return;
  const score = Math.max(0, Math.min(100, reward <= 1 ? reward * 100 : reward));
  last.score = score;
  last.won = env === 'alfworld' ? reward >= 1 : score >= 100;
  last.reward = env === 'alfworld' ? (last.won ? 1 : 0) : score / 100;
}

interface Item {
  task: string;
  variation: number | null;
  game: string | null;
  split: string | null;
}

const SCIENCEWORLD_NAMES = new Set(ETO_SCIENCEWORLD_TASKS);

/** "<ETO task number>_<variation>" as in ETO's files, or "<task name>_<variation>". */
function scienceWorldItem(id: string): Item {
  const match = /^(?:sci(?:ence)?world[_-])?(.+)[_-](\d+)$/i.exec(id);
  const head = match?.[1] ?? '';
  const task = /^\d+$/.test(head) ? ETO_SCIENCEWORLD_TASKS[Number(head)] : SCIENCEWORLD_NAMES.has(head) ? head : undefined;
  return task && match
    ? { task, variation: Number(match[2]), game: null, split: null }
    : { task: 'unknown', variation: null, game: null, split: null };
}

/** The game from `game_file` ("data/json_2.1.1/train/<task type>-.../trial_..."), the task type from it or the goal. */
function alfworldItem(gameFile: string | undefined, goal: string): Item {
  const game = gameFile ? alfworldGameFromPath(gameFile) : null;
  const typeFolder = game?.split('/').find((part) => /^[a-z_]+-/.test(part));
  const split = game ? (/(?:^|\/)json_2\.1\.\d+\/([^/]+)\//.exec(game)?.[1] ?? null) : null;
  return { task: typeFolder?.split('-')[0] ?? alfworldTypeOfGoal(goal) ?? 'unknown', variation: null, game, split };
}

/** Datasets key ALFWorld games by their trial folder from "json_2.1.x" on (see util/alfworld-games.ts). */
function alfworldGameFromPath(gameFile: string): string {
  const folder = gameFile
    .replace(/\\/g, '/')
    .replace(/\/game\.tw-pddl$/, '')
    .replace(/\/$/, '');
  const versioned = /(?:^|\/)(json_2\.1\.\d+\/.*)$/.exec(folder);
  return versioned ? versioned[1]! : folder;
}

/** ALFWorld's goal templates per task type, for conversations without a game path. */
const GOAL_TYPES: Array<[RegExp, string]> = [
  [/^(?:look at|examine) .+ (?:under|with) the /i, 'look_at_obj_in_light'],
  [/\btwo\b/i, 'pick_two_obj_and_place'],
  [/\bclean\b/i, 'pick_clean_then_place_in_recep'],
  [/\b(?:hot|heat)\b/i, 'pick_heat_then_place_in_recep'],
  [/\b(?:cool|cold)\b/i, 'pick_cool_then_place_in_recep'],
  [/^put\b/i, 'pick_and_place_simple'],
];

function alfworldTypeOfGoal(goal: string): string | undefined {
  return GOAL_TYPES.find(([pattern]) => pattern.test(goal.trim()))?.[1];
}
