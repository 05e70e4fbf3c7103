/**
 * ScienceWorld's own gold action sequences (`goldsequences-<task indices>.json`, published zipped in the ScienceWorld
 * repository's goldpaths/ folder and written by its simulator's ExampleGoldAgent.scala): an object keyed by task index,
 *
 *   { "0": { "taskIdx": 0, "taskName": "task-1-boil", "goldActionSequences": [
 *       { "variationIdx": 0, "fold": "train", "taskDescription": "Your task is to boil water. ...", "path": [
 *           { "action": "look around", "observation": "This room is called the hallway. ...", "score": "0.0",
 *             "isCompleted": "false", "freelook": "...", "inventory": "..." }, ... ] }, ... ] }, ... }
 *
 * (a single task object, as scripts save `data["0"]`, reads too). Scores are fractions and, like `isCompleted`,
 * written in quotes. The first entry is the free "look around" the simulator's reset makes: it is the first
 * observation, not a step. `freelook` and `inventory` were taken before their entry's action, so a step's look is
 * the next entry's. Gold paths are played with the "easy" simplifications; `fold` is the engine's own
 * train/dev/test fold, recorded as the split unless one is given.
 * Pure functions: the import command owns the transaction and writes nothing when a problem is reported.
 */
import type { EnvKind } from '../protocol/environment';
import type { EpisodeFields, StepRecord } from '../protocol/dataset';
import { describeJsonValue, formatPath, readJsonOrProblem, type JsonLayout, type JsonPath } from './json-positions';
import { looseBoolean, looseIndex, looseNumber, type Loose } from './loose-values';
import { REJECTED_ACTION } from './steprl-names';
import { ImportError, importedOutcome, type ImportedEpisode, type ImportProblem } from './types';

export const SCIENCEWORLD_GOLD_AGENT = 'imported-scienceworld-gold';

/** ExampleGoldAgent.scala plays every variation with these. */
const GOLD_SIMPLIFICATIONS = 'easy';

export interface ScienceWorldGoldOptions {
  file: string;
  /** Gold sequences are ScienceWorld's; any other environment is refused. */
  env?: EnvKind;
  /** Recorded as every episode's split instead of the file's `fold`. */
  split?: string;
}

/**
 * ScienceWorld's task name as the simulator knows it today: the published files use the former names
 * ("task-1-boil", "task-10-measure-melting-point-(known-substance)", "task-9-mendellian-..."), which the Python
 * package maps the same way (scienceworld/utils.py, infer_task).
 */
export function currentScienceWorldTaskName(name: string): string {
  return name
    .trim()
    .replace(/mendellian/g, 'mendelian')
    .replace(/task-(?:\d|a|b)+-|[()]/g, '');
}

type Report = (at: JsonPath, message: string) => void;

interface GoldStep {
  action: string;
  observation: string;
  /** 0..100, as the runtime records ScienceWorld scores (negative kept here; clipped on the step). */
  score: number;
  completed: boolean;
  freelook: string | null;
  inventory: string | null;
}

export function parseScienceWorldGold(content: string, options: ScienceWorldGoldOptions): ImportedEpisode[] {
  const fail = (line: number, message: string) => new ImportError([{ file: options.file, line, message }]);
  if (options.env && options.env !== 'scienceworld') throw fail(1, `gold sequences are ScienceWorld's: --env ${options.env} does not apply to them`);
  const parsed = readJsonOrProblem(content, 5);
  if (!parsed.ok) throw fail(parsed.line, parsed.message);
  const { value, layout } = parsed;
  const problems: ImportProblem[] = [];
  const report: Report = (at, message) =>
    problems.push({ file: options.file, line: layout.lineAt(at), ...(at.length ? { path: formatPath(at) } : {}), message });
  if (!isObject(value))
    throw fail(
      1,
      `a gold-sequence file must be a JSON object of tasks ({ "0": { "taskName", "goldActionSequences" }, ... }), but it is ${describeJsonValue(value)}`,
    );
  const tasks: Array<[JsonPath, unknown]> =
    'goldActionSequences' in value ? [[[], value]] : Object.entries(value).map(([key, task]) => [[key], task]);
  if (tasks.length === 0) throw fail(1, 'the file holds no tasks (the object is empty)');
  const episodes: ImportedEpisode[] = [];
  for (const [at, task] of tasks) episodes.push(...readTask(task, at, layout, options, report));
  if (problems.length) throw new ImportError(problems);
  if (episodes.length === 0) throw fail(1, 'the file holds no gold sequences (every task has an empty "goldActionSequences")');
  return episodes;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function readTask(task: unknown, at: JsonPath, layout: JsonLayout, options: ScienceWorldGoldOptions, report: Report): ImportedEpisode[] {
  const label = at.length ? `task ${JSON.stringify(at[0])}` : 'the task';
  if (!isObject(task)) {
    report(at, `${label} must be an object with "taskName" and "goldActionSequences", but it is ${describeJsonValue(task)}`);
    return [];
  }
  const { taskName, goldActionSequences: sequences } = task;
  if (typeof taskName !== 'string' || !currentScienceWorldTaskName(taskName)) {
    report(
      [...at, 'taskName'],
      `${label}: "taskName" must be the task's name (a text such as "task-1-boil"), but it is ${describeJsonValue(taskName)}`,
    );
    return [];
  }
  const name = currentScienceWorldTaskName(taskName);
  if (!Array.isArray(sequences)) {
    report([...at, 'goldActionSequences'], `${label} (${name}): "goldActionSequences" must be a list, but it is ${describeJsonValue(sequences)}`);
    return [];
  }
  const episodes: ImportedEpisode[] = [];
  sequences.forEach((sequence, i) => {
    const episode = readSequence(sequence, [...at, 'goldActionSequences', i], `${label} (${name}), sequence ${i + 1}`, name, options, report);
    if (episode) episodes.push(episode);
  });
  return episodes;
}

function readSequence(
  sequence: unknown,
  at: JsonPath,
  label: string,
  task: string,
  options: ScienceWorldGoldOptions,
  report: Report,
): ImportedEpisode | null {
  if (!isObject(sequence)) {
    report(at, `${label} must be an object with "variationIdx", "taskDescription" and "path", but it is ${describeJsonValue(sequence)}`);
    return null;
  }
  let ok = true;
  const problem = (field: string, message: string) => {
    report([...at, field], `${label}: ${message}`);
    ok = false;
  };
  const variation = loose(looseIndex(sequence.variationIdx, 'variationIdx'), (m) => problem('variationIdx', m));
  if (ok && variation === undefined) problem('variationIdx', 'the field "variationIdx" is missing (the variation it plays)');
  const { taskDescription, fold, path } = sequence;
  if (typeof taskDescription !== 'string')
    problem(
      'taskDescription',
      taskDescription === undefined
        ? 'the field "taskDescription" is missing'
        : `"taskDescription" must be a text, but it is ${describeJsonValue(taskDescription)}`,
    );
  if (fold !== undefined && fold !== null && typeof fold !== 'string')
    problem('fold', `"fold" must be a text (train, dev or test), but it is ${describeJsonValue(fold)}`);
  if (!Array.isArray(path) || path.length === 0) {
    problem('path', `"path" must be a list of the steps played, but it is ${describeJsonValue(path)}`);
    return null;
  }
  const steps: GoldStep[] = [];
  path.forEach((entry, j) => {
    const read = readStep(entry, [...at, 'path', j], `${label}, step ${j + 1}`, report);
    if (read) steps.push(read);
  });
  if (!ok || steps.length !== path.length) return null;
  // The simulator's reset plays a free "look around"; the gold file records it as its first entry.
  const opening = steps[0]!.action.trim().toLowerCase() === 'look around' ? steps[0]! : null;
  const played = opening ? steps.slice(1) : steps;
  if (played.length === 0) {
    report([...at, 'path'], `${label}: the path holds only the opening "look around": no action was played`);
    return null;
  }
  const records = played.map((s, k) => stepRecord(s, k, played, opening));
  const last = records.at(-1)!;
  const fields: EpisodeFields = {
    env: 'scienceworld',
    split: options.split ?? (typeof fold === 'string' && fold ? fold : null),
    task,
    variation: variation!,
    simplifications: GOLD_SIMPLIFICATIONS,
    game: null,
    taskParams: null,
    source: 'expert',
    agent: SCIENCEWORLD_GOLD_AGENT,
    model: null,
    adapter: null,
    engineName: 'scienceworld',
    engineVersion: 'unknown',
    taskDescription: taskDescription as string,
    initialObservation: opening?.observation ?? '',
    // Taken before the first action: the state after the opening look.
    initialLook: played[0]!.freelook ?? opening?.freelook ?? null,
    initialInventory: played[0]!.inventory ?? opening?.inventory ?? null,
    ...importedOutcome(last, played.at(-1)!.completed ? 'done' : 'expert_exhausted'),
  };
  return { fields, children: { steps: records, subtasks: [], progress: [] } };
}

function loose<T>(result: Loose<T>, onProblem: (message: string) => void): T | undefined {
  if (result.ok) return result.value;
  onProblem(result.problem);
  return undefined;
}

function readStep(entry: unknown, at: JsonPath, label: string, report: Report): GoldStep | null {
  if (!isObject(entry)) {
    report(at, `${label} must be an object with "action", "observation", "score" and "isCompleted", but it is ${describeJsonValue(entry)}`);
    return null;
  }
  let ok = true;
  const problem = (field: string, message: string) => {
    report([...at, field], `${label}: ${message}`);
    ok = false;
  };
  for (const field of ['action', 'observation'] as const) {
    if (typeof entry[field] !== 'string')
      problem(
        field,
        entry[field] === undefined ? `the field "${field}" is missing` : `"${field}" must be a text, but it is ${describeJsonValue(entry[field])}`,
      );
  }
  for (const field of ['freelook', 'inventory'] as const) {
    const v = entry[field];
    if (v !== undefined && v !== null && typeof v !== 'string') problem(field, `"${field}" must be a text, but it is ${describeJsonValue(v)}`);
  }
  const score = loose(looseNumber(entry.score, 'score'), (m) => problem('score', m));
  if (ok && score === undefined) problem('score', 'the field "score" is missing (the score after the action, 0..1)');
  const completed = loose(looseBoolean(entry.isCompleted, 'isCompleted'), (m) => problem('isCompleted', m));
  if (!ok) return null;
  return {
    action: entry.action as string,
    observation: entry.observation as string,
    score: Math.round(100 * score!),
    completed: completed ?? false,
    freelook: typeof entry.freelook === 'string' ? entry.freelook : null,
    inventory: typeof entry.inventory === 'string' ? entry.inventory : null,
  };
}

/** A step as the runtime records one: score 0..100 (negative clipped), reward the score's change / 100. */
function stepRecord(s: GoldStep, idx: number, played: GoldStep[], opening: GoldStep | null): StepRecord {
  const before = idx > 0 ? played[idx - 1]!.score : (opening?.score ?? 0);
  const last = idx === played.length - 1;
  const next = played[idx + 1];
  return {
    idx,
    action: s.action,
    observation: s.observation,
    look: next?.freelook ?? null,
    inventory: next?.inventory ?? null,
    reward: (s.score - before) / 100,
    score: Math.max(0, s.score),
    done: s.completed || last,
    won: s.completed && s.score >= 100,
    truncated: false,
    invalid: s.observation.trim() === REJECTED_ACTION.scienceworld,
  };
}
