/**
 * ETO-style conversation trajectories (github.com/Yifan-Song793/ETO, data/{sciworld,alfworld}_sft.json, FastChat
 * layout): a JSON list of `{ id, conversations: [{ from: "human" | "gpt", value }] }`. In ETO's files a conversation
 * is: the instruction (human) and "OK" (gpt); optionally an in-context example (its task, then model and
 * observation turns); then the task turn (human; ALFWorld: the room description and "Your task is to: ...";
 * ScienceWorld: the task description, sometimes labelled "Task Description:"); then "Thought: ...\nAction: ..."
 * (gpt) and "Observation: ..." (human) turns. The expert files end with the model's last action, without its
 * observation. ScienceWorld ids are "<ETO task number>_<variation>"; ALFWorld records carry `game_file`.
 *
 * The import also reads the variants other sets publish: OpenAI's `messages` with `role`/`content` (some files mix
 * both spellings in one conversation), AgentInstruct's (THUDM/AgentTuning) `loss` flags, "Here is your task." and
 * unlabelled observations, AgentBench's "agent" turns, " ACTION:" in any letter case or a bare command, system
 * turns, ETO's own run outputs (`meta.reward`, `meta.success`), numbers and truth values in quotes, a list of lists
 * of turns, one conversation or one bare list of turns (the id then comes from the file's name) and JSON lines.
 * The environment comes from what was played (conversation-env.ts) unless it is given.
 * Pure functions: the import command owns the transaction and writes nothing when a problem is reported.
 */
import * as path from 'node:path';
import type { EnvKind } from '../protocol/environment';
import type { EpisodeDetail, EpisodeFields, StepRecord } from '../protocol/dataset';
import { listed } from '../protocol/vocabulary';
import { environmentOfConversation } from './conversation-env';
import { describeJsonValue, formatPath, readJsonOrProblem, type JsonPath } from './json-positions';
import { looseBoolean, looseNumber, type Loose } from './loose-values';
import { REJECTED_ACTION } from './steprl-raw';
import { ImportError, importedOutcome, type ImportedEpisode, type ImportProblem } from './types';

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
  /** The environment of every conversation; inferred per conversation from what was played when absent. */
  env?: EnvKind;
}

type Report = (line: number, message: string, at?: string) => void;

/** Who speaks a turn: the person or the environment, the model, or the system prompt. */
type Speaker = 'user' | 'model' | 'system';

/** FastChat/ShareGPT (human, gpt), OpenAI chat (user, assistant, system), AgentBench sessions (agent), Gemini (model). */
const SPEAKERS: Record<string, Speaker> = {
  human: 'user',
  user: 'user',
  gpt: 'model',
  assistant: 'model',
  agent: 'model',
  model: 'model',
  system: 'system',
};
const SPEAKER_NAMES = listed(Object.keys(SPEAKERS).map((name) => `"${name}"`));

/** The keys a conversation's list of turns goes by. */
const TURN_LISTS = ['conversations', 'messages'] as const;

interface Turn {
  speaker: Speaker;
  text: string;
  /** Its place in the file's list of turns (system turns included). */
  at: number;
}

/** One conversation as the file holds it, and where its parts are. */
interface Conversation {
  /** 1-based, for messages. */
  number: number;
  /** The object that holds the turns, the id, the reward...; null when the conversation is a bare list of turns. */
  record: Record<string, unknown> | null;
  turns: unknown;
  /** The key of the list of turns in `record`. */
  turnsKey: (typeof TURN_LISTS)[number] | null;
  /** The id when the record has none: the file's name (and the conversation's number when the file holds several). */
  fallbackId: string;
  /** The line and the printed path of a place inside this conversation. */
  place: (inside: JsonPath) => { line: number; path: string };
}

/**
 * Every conversation of an ETO-style file, or an ImportError with every problem at its line. The file may be a list
 * of conversations (objects with "conversations" or "messages", or lists of turns), one conversation, one bare
 * list of turns, or JSON lines with one conversation per line.
 */
export function parseEto(content: string, options: EtoOptions): ImportedEpisode[] {
  const problems: ImportProblem[] = [];
  const report: Report = (line, message, at) => problems.push({ file: options.file, line, ...(at ? { path: at } : {}), message });
  const episodes: ImportedEpisode[] = [];
  for (const conversation of findConversations(content, options.file, report)) {
    const episode = conversationToEpisode(conversation, new Located(conversation, report), options.env);
    if (episode) episodes.push(episode);
  }
  // In the order of the file: a conversation that is not one is found before the others are read.
  if (problems.length) throw new ImportError(problems.sort((a, b) => a.line - b.line));
  return episodes;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A turn rather than a conversation: it says who speaks or what was said, and holds no list of turns. */
function isTurn(value: unknown): boolean {
  return isObject(value) && !TURN_LISTS.some((k) => k in value) && ['from', 'role', 'value', 'content'].some((k) => k in value);
}

function fileStem(file: string): string {
  return path.basename(file).replace(/\.(?:jsonl|json|txt)$/i, '') || 'conversation';
}

function findConversations(content: string, file: string, report: Report): Conversation[] {
  const parsed = readJsonOrProblem(content, 3);
  if (!parsed.ok) {
    const lines = jsonLines(content, file, report);
    if (lines) return lines;
    throw new ImportError([{ file, line: parsed.line, message: parsed.message }]);
  }
  const { value, layout } = parsed;
  const inFile =
    (prefix: JsonPath) =>
    (inside: JsonPath): { line: number; path: string } => ({ line: layout.lineAt([...prefix, ...inside]), path: formatPath([...prefix, ...inside]) });
  const stem = fileStem(file);
  if (Array.isArray(value)) {
    if (value.length === 0) throw new ImportError([{ file, line: 1, message: 'the file holds no conversations (the list is empty)' }]);
    if (isTurn(value[0])) return [{ number: 1, record: null, turns: value, turnsKey: null, fallbackId: stem, place: inFile([]) }];
    const found: Conversation[] = [];
    value.forEach((item, index) => {
      const conversation = conversationOf(item, index + 1, value.length === 1 ? stem : `${stem}#${index + 1}`, inFile([index]));
      if (conversation) found.push(conversation);
      else
        report(layout.lineAt([index]), `conversation ${index + 1} ${NOT_A_CONVERSATION}, but it is ${describeJsonValue(item)}`, formatPath([index]));
    });
    return found;
  }
  const single = conversationOf(value, 1, stem, inFile([]));
  if (single) return [single];
  throw new ImportError([
    {
      file,
      line: 1,
      message: `an ETO file must be a JSON list of conversations ({ "id", "conversations" }), one conversation, or a list of turns, but it is ${describeJsonValue(value)}`,
    },
  ]);
}

const NOT_A_CONVERSATION = 'must be an object with "conversations" (or "messages"), or a list of turns';

function conversationOf(item: unknown, number: number, fallbackId: string, place: Conversation['place']): Conversation | null {
  if (Array.isArray(item)) return { number, record: null, turns: item, turnsKey: null, fallbackId, place };
  if (!isObject(item)) return null;
  const key = TURN_LISTS.find((k) => k in item);
  return key ? { number, record: item, turns: item[key], turnsKey: key, fallbackId, place } : null;
}

/**
 * JSON lines (one conversation per line), when the whole text is not one JSON value but its first line is a
 * conversation; null otherwise. Problems are reported at their line.
 */
function jsonLines(content: string, file: string, report: Report): Conversation[] | null {
  const lines = content.split('\n');
  const first = lines.findIndex((l) => l.trim());
  const head = first < 0 ? null : readJsonOrProblem(lines[first]!, 0);
  if (!head?.ok || !(Array.isArray(head.value) || isObject(head.value))) return null;
  const stem = fileStem(file);
  const total = lines.filter((l) => l.trim()).length;
  const found: Conversation[] = [];
  let number = 0;
  lines.forEach((text, index) => {
    if (!text.trim()) return;
    number++;
    const line = index + 1;
    const parsed = readJsonOrProblem(text, 0);
    if (!parsed.ok) return report(line, `conversation ${number}: ${parsed.message}`);
    const place = (inside: JsonPath) => ({ line, path: formatPath(inside) });
    const conversation = conversationOf(parsed.value, number, total === 1 ? stem : `${stem}#${number}`, place);
    if (conversation) found.push(conversation);
    else report(line, `conversation ${number} (a line of JSON lines) ${NOT_A_CONVERSATION}, but it is ${describeJsonValue(parsed.value)}`);
  });
  return found;
}

/** Reports problems of one conversation at the line of the conversation, of one of its fields or of one of its turns. */
class Located {
  constructor(
    private readonly conversation: Conversation,
    private readonly report: Report,
  ) {}

  private at(inside: JsonPath, message: string): null {
    const { line, path: where } = this.conversation.place(inside);
    this.report(line, message, where || undefined);
    return null;
  }

  whole(message: string): null {
    return this.at([], `conversation ${this.conversation.number}: ${message}`);
  }

  field(inside: JsonPath, message: string): null {
    return this.at(inside, `conversation ${this.conversation.number}: ${message}`);
  }

  /** `turn`: the turn's place in the file's list of turns. */
  turn(turn: number, message: string, field?: string): null {
    const key = this.conversation.turnsKey;
    const inside = [...(key ? [key] : []), turn, ...(field ? [field] : [])];
    return this.at(inside, `conversation ${this.conversation.number}, turn ${turn + 1}: ${message}`);
  }
}

/** The record's own fields: id, ALFWorld's game file, and the outcome (top level, or in `meta` as ETO's own runs write it). */
interface RecordFields {
  id: string | undefined;
  gameFile: string | undefined;
  reward: number | undefined;
  success: boolean | undefined;
}

function readRecord(record: Record<string, unknown> | null, at: Located): RecordFields | null {
  if (!record) return { id: undefined, gameFile: undefined, reward: undefined, success: undefined };
  let ok = true;
  const fail = (inside: JsonPath, message: string) => {
    at.field(inside, message);
    ok = false;
  };
  const { id, game_file: gameFile } = record;
  if (id !== undefined && id !== null && typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id)))
    fail(['id'], `"id" must be a text or a number, but it is ${describeJsonValue(id)}`);
  if (gameFile !== undefined && gameFile !== null && typeof gameFile !== 'string')
    fail(['game_file'], `"game_file" must be a text (the game's path), but it is ${describeJsonValue(gameFile)}`);
  const meta = isObject(record.meta) ? record.meta : {};
  const outcome = <T>(key: string, read: (value: unknown, field: string) => Loose<T>): T | undefined => {
    const inside = record[key] !== undefined && record[key] !== null ? [key] : ['meta', key];
    const result = read(inside.length === 1 ? record[key] : meta[key], key);
    if (result.ok) return result.value;
    fail(inside, result.problem);
    return undefined;
  };
  const reward = outcome('reward', looseNumber);
  const success = outcome('success', looseBoolean);
  if (!ok) return null;
  return {
    id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined,
    gameFile: typeof gameFile === 'string' ? gameFile : undefined,
    reward,
    success,
  };
}

function readTurns(conversation: Conversation, at: Located): Turn[] | null {
  const { turns, turnsKey } = conversation;
  if (!Array.isArray(turns))
    return at.field(turnsKey ? [turnsKey] : [], `"${turnsKey}" must be a list of turns, but it is ${describeJsonValue(turns)}`);
  const read: Turn[] = [];
  turns.forEach((raw, k) => {
    const turn = readTurn(raw, k, at);
    if (turn) read.push(turn);
  });
  return read.length === turns.length ? read : null;
}

function readTurn(raw: unknown, k: number, at: Located): Turn | null {
  if (!isObject(raw))
    return at.turn(k, `a turn must be an object with "from" (or "role") and "value" (or "content"), but it is ${describeJsonValue(raw)}`);
  const roleKey = raw.from !== undefined ? 'from' : raw.role !== undefined ? 'role' : null;
  if (!roleKey) return at.turn(k, 'the field "from" (or "role") is missing: it says who speaks');
  const role = raw[roleKey];
  const speaker = typeof role === 'string' ? SPEAKERS[role.trim().toLowerCase()] : undefined;
  if (!speaker) return at.turn(k, `"${roleKey}" must be ${SPEAKER_NAMES}, but it is ${describeJsonValue(role)}`, roleKey);
  const textKey = raw.value !== undefined ? 'value' : raw.content !== undefined ? 'content' : null;
  if (!textKey) return at.turn(k, 'the field "value" (or "content") is missing: it holds what was said');
  const text = textOf(raw[textKey]);
  if (text === null) return at.turn(k, `"${textKey}" must be a text, but it is ${describeJsonValue(raw[textKey])}`, textKey);
  return { speaker, text, at: k };
}

/** A text, or OpenAI's list of content parts ({ "type": "text", "text" }) joined. */
function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value) || value.length === 0) return null;
  const parts = value.map((part) => (typeof part === 'string' ? part : isObject(part) && typeof part.text === 'string' ? part.text : null));
  return parts.every((p) => p !== null) ? parts.join('') : null;
}

function conversationToEpisode(conversation: Conversation, at: Located, givenEnv: EnvKind | undefined): ImportedEpisode | null {
  const record = readRecord(conversation.record, at);
  const all = readTurns(conversation, at);
  if (!record || !all) return null;
  const turns = all.filter((t) => t.speaker !== 'system');
  const taskIndex = taskTurnIndex(turns);
  if (taskIndex < 0) return at.whole('no human turn holds the task (the conversation has no turn from "human" or "user" before the model acts)');
  // Human turns right after the task turn are more of the first observation.
  let first = taskIndex + 1;
  const opening: string[] = [];
  while (turns[first]?.speaker === 'user') opening.push(observationOf(turns[first++]!.text));
  const taskText = [withoutInContextPrompt(turns[taskIndex]!.text), ...opening].join('\n\n');
  const played = turns.slice(first);
  const id = record.id ?? conversation.fallbackId;
  const env =
    givenEnv ??
    environmentOfConversation({
      id,
      gameFile: record.gameFile !== undefined,
      task: taskText,
      actions: played.filter((t) => t.speaker === 'model').map((t) => actionOf(t.text) ?? ''),
      observations: [...opening, ...played.filter((t) => t.speaker === 'user').map((t) => observationOf(t.text))],
    });
  if (!env)
    return at.whole(
      'cannot tell whether this is a ScienceWorld or an ALFWorld trajectory from its task, commands and observations: pass the environment explicitly (--env)',
    );
  const task = env === 'alfworld' ? alfworldTask(taskText) : scienceWorldTask(taskText);
  if (!task) return at.turn(turns[taskIndex]!.at, 'the ALFWorld task turn must contain "Your task is to: <goal>"');
  const steps = readSteps(turns, first, env, at);
  if (!steps) return null;
  if (steps.length === 0) return at.whole('the conversation ends with the task: it has no model turns, so no steps');
  applyOutcome(steps, env, record.reward, record.success);
  const item = env === 'alfworld' ? alfworldItem(record.gameFile, task.taskDescription) : scienceWorldItem(id);
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
    ...importedOutcome(last, null),
  };
}

/** "Observation:" in any letter case; one space after it is part of the label. */
const OBSERVATION_LABEL = /^\s*observation[ \t]*:[ \t]?/i;

/** Words that only a task turn (or a prompt that ends in one) holds. */
const TASK_MARKER = /Your task is to|Task Description|Here is your task|Now, it's your turn/i;

/** The model's first answer when it only acknowledges the instruction: ETO's "OK", AgentBench's "OK. I'll follow...". */
const ACKNOWLEDGEMENT = /^\s*(?:ok(?:ay)?|sure|understood|got it)\b/i;

/**
 * The task turn. An instruction the model answers with "OK" comes first and is not part of the episode; after it
 * there may be an in-context example (its own task turn, then model and observation turns) before the task. So:
 * the last human turn after the instruction that names a task (a labelled "Observation:" only when nothing else
 * does, and never the answer to the "task" command), else the first human turn after the instruction.
 */
function taskTurnIndex(turns: Turn[]): number {
  const firstModel = turns.findIndex((t) => t.speaker === 'model');
  const acknowledged = firstModel >= 0 && ACKNOWLEDGEMENT.test(turns[firstModel]!.text) && actionLabelOf(turns[firstModel]!.text) === null;
  let plain = -1;
  let labelled = -1;
  let firstHuman = -1;
  for (let i = acknowledged ? firstModel + 1 : 0; i < turns.length; i++) {
    const turn = turns[i]!;
    if (turn.speaker !== 'user') continue;
    if (firstHuman < 0) firstHuman = i;
    const previous = turns[i - 1];
    if (previous?.speaker === 'model' && actionOf(previous.text)?.toLowerCase() === 'task') continue;
    if (!TASK_MARKER.test(turn.text)) continue;
    if (OBSERVATION_LABEL.test(turn.text)) labelled = i;
    else plain = i;
  }
  return plain >= 0 ? plain : labelled >= 0 ? labelled : firstHuman;
}

/**
 * A prompt in one message (ETO's instruction and example, AgentBench's instruction) ends with one of these lines; the
 * task follows the last of them.
 */
const TASK_INTRODUCTION = /Now, it's your turn(?: and here is the task)?\.?|Here is your task[.:]?/gi;

function withoutInContextPrompt(value: string): string {
  let end = -1;
  for (const match of value.matchAll(TASK_INTRODUCTION)) end = match.index + match[0].length;
  return (end >= 0 ? value.slice(end) : value).trim();
}

interface TaskText {
  taskDescription: string;
  initialObservation: string;
}

/** ALFWorld: "<room description>\n\nYour task is to: <goal>"; the whole turn is the first observation. */
function alfworldTask(text: string): TaskText | null {
  const goal = /Your task is to:[ \t]*/i.exec(text);
  if (!goal) return null;
  // The goal is one line; derived sets append more (e.g. "Task Knowledge: ...") after it.
  const taskDescription = text
    .slice(goal.index + goal[0].length)
    .trim()
    .split('\n', 1)[0]!
    .trim();
  return { taskDescription, initialObservation: text };
}

/** ScienceWorld: an optional label, the task description, then (from our exports) a blank line and the first observation. */
function scienceWorldTask(text: string): TaskText {
  const body = text.replace(/^\s*(?:Here is your task\.?|Task Description:)\s*/i, '').replace(/^\s*Task Description:\s*/i, '');
  const gap = /\n[ \t]*\n/.exec(body);
  if (!gap) return { taskDescription: body.trim(), initialObservation: '' };
  const observation = body.slice(gap.index + gap[0].length).replace(/^\s*(?:Initial observation|Observation):[ \t]?/i, '');
  return { taskDescription: body.slice(0, gap.index).trim(), initialObservation: observation };
}

/** Model and observation turns from `first` on, as steps; null after reporting a malformed turn. */
function readSteps(turns: Turn[], first: number, env: EnvKind, at: Located): StepRecord[] | null {
  const steps: StepRecord[] = [];
  let ok = true;
  const fail = (turn: Turn, message: string) => {
    at.turn(turn.at, message);
    ok = false;
  };
  for (let k = first; k < turns.length; k += 2) {
    const model = turns[k]!;
    const reply = turns[k + 1];
    if (model.speaker !== 'model') {
      fail(model, 'expected the model\'s turn ("from": "gpt") here, but found a second observation in a row');
      continue;
    }
    const action = actionOf(model.text);
    if (action === null) fail(model, 'the model\'s turn has no "Action: <command>" line, and is not a bare one-line command either');
    else if (!action) fail(model, 'the "Action:" line is empty');
    if (reply && reply.speaker !== 'user')
      fail(reply, 'expected the observation ("from": "human", "Observation: ...") after the model\'s turn, but found another model turn');
    const observation = reply ? observationOf(reply.text) : '';
    steps.push(step(steps.length, action ?? '', observation, k + 2 >= turns.length, env));
  }
  return ok ? steps : null;
}

/** "Action: <command>" at the start of a line in any letter case (AgentBench writes " ACTION: ..."); the command
 * may stand on the next line when the label stands alone. */
const ACTION_LINE = /(?:^|\n)[ \t]*action[ \t]*:\s*([^\n]*)/i;
/** ...or after a thought on the same line ("Thought: ... Action: go to kitchen"). */
const ACTION_INLINE = /[\s.;,]action[ \t]*:[ \t]*([^\n]*)/i;
const THOUGHT_LABEL = /(?:^|\n)[ \t]*thought[ \t]*:/i;

function actionLabelOf(value: string): string | null {
  const match = ACTION_LINE.exec(value) ?? ACTION_INLINE.exec(value);
  return match ? match[1]!.trim() : null;
}

/** The command of a model turn: after its "Action:" label, or the whole turn when it is one line with no label. */
function actionOf(value: string): string | null {
  const labelled = actionLabelOf(value);
  if (labelled !== null) return labelled;
  const bare = value.trim();
  return bare && !bare.includes('\n') && !THOUGHT_LABEL.test(bare) ? bare : null;
}

function observationOf(value: string): string {
  return value.replace(OBSERVATION_LABEL, '');
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

/**
 * A record's `reward` (0..1, or a 0..100 score) and `success` are the episode's result: they go on the last step.
 * `success` decides the win when given; without a reward it gives the score too (100 or 0).
 */
function applyOutcome(steps: StepRecord[], env: EnvKind, reward: number | undefined, success: boolean | undefined): void {
  const last = steps.at(-1);
  if (!last || (reward === undefined && success === undefined)) return;
  const score = reward === undefined ? (success ? 100 : 0) : Math.max(0, Math.min(100, reward <= 1 ? reward * 100 : reward));
  last.score = score;
  last.won = success ?? (env === 'alfworld' ? reward! >= 1 : score >= 100);
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
