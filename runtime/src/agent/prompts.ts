/**
 * Every prompt the agents send, defined once: the three STEP-HRL roles, and the two baselines (a flat ReAct-style
 * agent with the whole history, and a hierarchical agent with the history inside the subtask, as GLIDER).
 * The three STEP-HRL role prompts: Training transitions (store/transitions.ts) and the agent at
 * inference both build their text here, so what the model is trained on is exactly what it sees when it acts.
 * Every prompt is a fixed role prefix (per role and environment, so its KV cache can be reused across decisions)
 * followed by the variable state.
 */
import type { EnvKind } from '../protocol/environment';

export type Role = 'high' | 'low' | 'progress' | 'flat' | 'annotator';

export interface Prompt {
  role: Role;
  /** Fixed for a role and environment. */
  prefix: string;
  /** The decision's state. */
  state: string;
  /** What the answer is likely to repeat (not part of the prompt): the backend may decode faster from it. */
  draft?: string;
}

export const promptText = (p: Prompt): string => p.prefix + p.state;

/** What "None" means in every prompt: no completed subtask yet, or no progress yet inside a subtask. */
export const NONE = 'None';

const ACTION_FORMS: Record<EnvKind, string> = {
  scienceworld:
    'open OBJ, close OBJ, activate OBJ, deactivate OBJ, connect OBJ to OBJ, disconnect OBJ, use OBJ [on OBJ], ' +
    'look around, look at OBJ, look in OBJ, read OBJ, move OBJ to OBJ, pick up OBJ, put down OBJ, pour OBJ in OBJ, ' +
    'dunk OBJ in OBJ, mix OBJ, go to LOC, teleport to LOC, eat OBJ, flush OBJ, focus on OBJ, wait, wait1, inventory',
  alfworld:
    'go to RECEP, open RECEP, close RECEP, take OBJ from RECEP, put OBJ in/on RECEP, clean OBJ with RECEP, ' +
    'heat OBJ with RECEP, cool OBJ with RECEP, use LAMP, examine OBJ, look, inventory',
};

const ENV_NAMES: Record<EnvKind, string> = { scienceworld: 'ScienceWorld', alfworld: 'ALFWorld' };

const PREFIXES: Record<Exclude<Role, 'annotator'> | 'historyHigh' | 'historyLow', (env: EnvKind) => string> = {
  high: (env) =>
    `You are the high-level planner of an agent acting in ${ENV_NAMES[env]}, a text environment.\n` +
    'Given the task, the subtasks completed so far, the progress summary of the last subtask and the current ' +
    'observation, write the next subtask: one short imperative line, nothing else.\n\n',
  low: (env) =>
    `You are the low-level actor of an agent acting in ${ENV_NAMES[env]}, a text environment.\n` +
    'Given the current subtask, the progress made in it so far and the current observation, write the next ' +
    'action and whether the subtask is finished once it is done, as one line: <action>; <True|False>\n' +
    `Actions: ${ACTION_FORMS[env]}.\n\n`,
  progress: (env) =>
    `You keep the local progress of an agent acting in ${ENV_NAMES[env]}, a text environment.\n` +
    'Given the current subtask, the previous progress, the last action and the observation it produced, write the ' +
    'updated progress: a short summary of what matters for this subtask (at most a few sentences). Keep lasting ' +
    'facts, drop what no longer matters; for a search keep a checked list such as "|| [Checked: drawer 1, shelf 2]", ' +
    'for a route keep where you went; never claim a place was checked when it was not.\n\n',
  flat: (env) =>
    `You are an agent acting in ${ENV_NAMES[env]}, a text environment.\n` +
    'Given the task and everything that happened so far, write the next action, one line, nothing else.\n' +
    `Actions: ${ACTION_FORMS[env]}.\n\n`,
  historyHigh: (env) =>
    `You are the high-level planner of an agent acting in ${ENV_NAMES[env]}, a text environment.\n` +
    'Given the task, the subtasks completed so far and the current observation, write the next subtask: one ' +
    'short imperative line, nothing else.\n\n',
  historyLow: (env) =>
    `You are the low-level actor of an agent acting in ${ENV_NAMES[env]}, a text environment.\n` +
    'Given the current subtask, what happened in it so far and the current observation, write the next action ' +
    'and whether the subtask is finished once it is done, as one line: <action>; <True|False>\n' +
    `Actions: ${ACTION_FORMS[env]}.\n\n`,
};

/** Builds the fixed prefix once per role and environment. */
const prefixCache = new Map<string, string>();
export function rolePrefix(role: keyof typeof PREFIXES, env: EnvKind): string {
  const key = `${role}:${env}`;
  let prefix = prefixCache.get(key);
  if (prefix === undefined) prefixCache.set(key, (prefix = PREFIXES[role](env)));
  return prefix;
}

/**
 * A stored prompt text (a transition's state) cut back into its role prefix and state, so it can be asked with the
 * prefix's KV cache reused: the longest of the environment's role prefixes the text opens with, else no prefix.
 */
export function splitRolePrompt(text: string, env: EnvKind): { prefix: string; state: string } {
  let prefix = '';
  for (const role of Object.keys(PREFIXES) as (keyof typeof PREFIXES)[]) {
    const candidate = rolePrefix(role, env);
    if (candidate.length > prefix.length && text.startsWith(candidate)) prefix = candidate;
  }
  return { prefix, state: text.slice(prefix.length) };
}

export interface HighLevelState {
  env: EnvKind;
  taskDescription: string;
  /** Names of the subtasks generated so far, in order. */
  subtasks: readonly string[];
  /** Final local progress of the previous subtask (NONE before the first). */
  lastProgress: string;
  observation: string;
}

export function highLevelPrompt(s: HighLevelState): Prompt {
  const done = s.subtasks.length ? s.subtasks.map((name, i) => `${i + 1}. ${name}`).join('\n') : NONE;
  return {
    role: 'high',
    prefix: rolePrefix('high', s.env),
    state:
      `Task: ${s.taskDescription}\n` +
      `Completed subtasks:\n${done}\n` +
      `Progress of the last subtask: ${s.lastProgress}\n` +
      `Observation:\n${s.observation}\n` +
      'Next subtask:',
  };
}

export interface LowLevelState {
  env: EnvKind;
  subtask: string;
  progress: string;
  observation: string;
}

export function lowLevelPrompt(s: LowLevelState): Prompt {
  return {
    role: 'low',
    prefix: rolePrefix('low', s.env),
    // Slow-changing parts first (subtask, then the room and inventory opening the observation), the progress that
    // changes at every step last: consecutive decisions then share the longest token prefix in the KV cache.
    state: `Subtask: ${s.subtask}\nObservation:\n${s.observation}\nProgress: ${s.progress}\nAction:`,
  };
}

export interface ProgressState {
  env: EnvKind;
  subtask: string;
  previousProgress: string;
  action: string;
  observation: string;
}

export function progressPrompt(s: ProgressState): Prompt {
  return {
    role: 'progress',
    prefix: rolePrefix('progress', s.env),
    state:
      `Subtask: ${s.subtask}\nPrevious progress: ${s.previousProgress}\nLast action: ${s.action}\n` +
      `Observation:\n${s.observation}\nUpdated progress:`,
    // The update mostly rewrites the previous progress; the answer starts after "Updated progress:" with a space.
    ...(s.previousProgress !== NONE ? { draft: ` ${s.previousProgress}` } : {}),
  };
}

/**
 * The model annotator's naming prompt: the task and the segments the rule annotator cut (each with its actions);
 * the answer is a JSON array with one name per segment, held to that shape by a grammar.
 */
export function subtaskNamesPrompt(s: {
  env: EnvKind;
  taskDescription: string;
  segments: ReadonlyArray<{ actions: readonly string[]; ruleName: string }>;
}): Prompt {
  const lines = s.segments.map((seg, i) => `${i + 1}. ${seg.actions.join('; ')} (draft name: ${seg.ruleName})`);
  return {
    role: 'annotator',
    prefix:
      `You annotate expert demonstrations of an agent acting in ${ENV_NAMES[s.env]}, a text environment.\n` +
      'The actions are cut into consecutive subtasks. Give each subtask a short imperative name a person would ' +
      'write (for example "go to the kitchen", "find and take the apple"), as a JSON array of strings, one per ' +
      'subtask, in order.\n\n',
    state: `Task: ${s.taskDescription}\nSubtasks:\n${lines.join('\n')}\nNames:`,
  };
}

/** One past step as the baselines' histories show it: the action and the observation it produced. */
export interface HistoryEntry {
  action: string;
  observation: string;
}

const historyText = (entries: readonly HistoryEntry[]): string =>
  entries.length ? entries.map((e) => `> ${e.action}\n${e.observation.trim()}`).join('\n') : NONE;

export interface FlatState {
  env: EnvKind;
  taskDescription: string;
  initialObservation: string;
  /** Every step so far, oldest first (or the latest ones, with `omittedSteps` before them). */
  history: readonly HistoryEntry[];
  /** Oldest steps left out because the whole history no longer fits the model's context. */
  omittedSteps?: number;
  observation: string;
}

/** The flat (ReAct-style) baseline: the whole interaction history in every prompt, so its length grows. */
export function flatPrompt(s: FlatState): Prompt {
  const omitted = s.omittedSteps ? `(the first ${s.omittedSteps} steps are left out to fit the context)\n` : '';
  return {
    role: 'flat',
    prefix: rolePrefix('flat', s.env),
    state:
      `Task: ${s.taskDescription}\n` +
      `Initial observation:\n${s.initialObservation.trim()}\n` +
      `History:\n${omitted}${historyText(s.history)}\n` +
      `Observation:\n${s.observation}\n` +
      'Action:',
  };
}

/** The hierarchical baseline's planner: like STEP-HRL's, without any local progress. */
export function historyHighPrompt(s: Omit<HighLevelState, 'lastProgress'>): Prompt {
  const done = s.subtasks.length ? s.subtasks.map((name, i) => `${i + 1}. ${name}`).join('\n') : NONE;
  return {
    role: 'high',
    prefix: rolePrefix('historyHigh', s.env),
    state: `Task: ${s.taskDescription}\nCompleted subtasks:\n${done}\nObservation:\n${s.observation}\nNext subtask:`,
  };
}

export interface HistoryLowState {
  env: EnvKind;
  subtask: string;
  /** The steps taken inside the current subtask, oldest first. */
  history: readonly HistoryEntry[];
  observation: string;
}

/** The hierarchical baseline's actor: the history inside the subtask where STEP-HRL keeps its local progress. */
export function historyLowPrompt(s: HistoryLowState): Prompt {
  return {
    role: 'low',
    prefix: rolePrefix('historyLow', s.env),
    state: `Subtask: ${s.subtask}\nSteps in this subtask:\n${historyText(s.history)}\nObservation:\n${s.observation}\nAction:`,
  };
}

/** A subtask from the planner's output: its first non-blank line, without numbering or quotes; null if none. */
export function parseSubtask(text: string): string | null {
  const line = firstLine(text)
    .replace(/^(next subtask:|subtask:)\s*/i, '')
    .replace(/^\d+[.)]\s*/, '')
    .replace(/^["'`]+|["'`]+$/g, '')
    .trim();
  return line || null;
}

/** A flat agent's action: its first non-blank line; null if none. */
export function parseFlatAction(text: string): string | null {
  const line = firstLine(text)
    .replace(/^(action:|>)\s*/i, '')
    .trim();
  return line || null;
}

/** Local progress from the progress module's output; blank output keeps the previous progress. */
export function parseProgress(text: string, previous: string): string {
  const progress = text
    .trim()
    .replace(/^updated progress:\s*/i, '')
    .trim();
  return progress || previous;
}

const firstLine = (text: string): string =>
  text
    .split('\n')
    .find((l) => l.trim())
    ?.trim() ?? '';

/** The low-level target: `<action>; <True|False>`. */
export function lowLevelTarget(action: string, subtaskDone: boolean): string {
  return `${action}; ${subtaskDone ? 'True' : 'False'}`;
}

/** Parses a low-level output; null when it has no action. A missing or unreadable flag means "not finished". */
export function parseLowLevelOutput(text: string): { action: string; subtaskDone: boolean } | null {
  const line = firstLine(text);
  const match = /^(.*?)\s*;\s*(true|false)\b/i.exec(line);
  const action = (match ? match[1]! : line).trim().replace(/^action:\s*/i, '');
  if (!action) return null;
  return { action, subtaskDone: match?.[2]?.toLowerCase() === 'true' };
}

/**
 * The observation text a decision sees: the room first (it changes least), then the inventory, then what the last
 * step said. ScienceWorld: the free look and inventory texts, then the step's observation. ALFWorld: the room's
 * initial description (so receptacle names stay visible), then the step's observation.
 */
export function observationText(
  env: EnvKind,
  step: { observation: string; look?: string | null; inventory?: string | null },
  episode: { initialObservation: string },
): string {
  const observation = step.observation.trim();
  if (env === 'scienceworld') {
    const parts: string[] = [];
    if (step.look) parts.push(`Room: ${step.look.trim()}`);
    if (step.inventory) parts.push(`Inventory: ${step.inventory.trim()}`);
    parts.push(observation);
    return parts.join('\n');
  }
  const room = alfworldRoomDescription(episode.initialObservation);
  return room && !observation.includes(room) ? `Room: ${room}\n${observation}` : observation;
}

/**
 * What an action produced, as the local-progress module sees it: the step's observation, and (ScienceWorld) the room
 * and inventory texts only where the action changed them. The progress text carries what lasts; re-reading an
 * unchanged room description at every step would only repeat it. ALFWorld's room never changes: the step alone.
 */
export function actionResultText(
  env: EnvKind,
  step: { observation: string; look?: string | null; inventory?: string | null },
  before: { look?: string | null; inventory?: string | null },
): string {
  const parts = [step.observation.trim()];
  if (env === 'scienceworld') {
    if (step.look && step.look.trim() !== before.look?.trim()) parts.push(`Room: ${step.look.trim()}`);
    if (step.inventory && step.inventory.trim() !== before.inventory?.trim()) parts.push(`Inventory: ${step.inventory.trim()}`);
  }
  return parts.join('\n');
}

/** ALFWorld's initial observation without its banner and task line: "You are in the middle of a room. ...". */
export function alfworldRoomDescription(initialObservation: string): string {
  const start = initialObservation.indexOf('You are in the middle of a room');
  const text = start >= 0 ? initialObservation.slice(start) : initialObservation;
  return text.replace(/\n*\s*Your task is to:[\s\S]*$/, '').trim();
}
