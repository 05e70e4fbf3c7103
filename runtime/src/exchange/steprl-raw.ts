/**
 * The STEP-HRL reference work's raw trajectory files: one JSON file per trajectory, an array of step objects that
 * carry the step itself (obs before, next_obs after, look/inventory after, reward, score, done) and its annotation
 * (the subtask's name and action group, the local progress after the step). Pure functions: the import command
 * owns the transaction and writes nothing when a problem is reported.
 */
import * as path from 'node:path';
import { z } from 'zod';
import type { EnvKind } from '../protocol/environment';
import type { EpisodeDetail, EpisodeFields, ProgressRecord, StepRecord, SubtaskRecord } from '../protocol/dataset';
import { segmentationProblem } from '../store/annotations';
import { describeIssue, formatPath, readJsonOrProblem } from './json-positions';
import { ImportError, type ImportedEpisode, type ImportProblem } from './types';

export const STEPRL_RAW_AGENT = 'imported-steprl-raw';

/** What the reference code writes for "no progress yet". */
const NO_PROGRESS = 'None';

/** The engines' own words for a rejected action; the raw format has no flag for it. */
export const REJECTED_ACTION: Record<EnvKind, string> = {
  scienceworld: 'No known action matches that input.',
  alfworld: 'Nothing happens.',
};

/** One step object as the reference code writes it. look, inventory, group_action and local_progress may be absent. */
export const StepRlRawStep = z.object({
  task_description: z.string(),
  subtask: z.string(),
  action: z.string(),
  group_action: z.array(z.string()).optional(),
  obs: z.string(),
  next_obs: z.string(),
  look: z.string().nullable().optional(),
  inventory: z.string().nullable().optional(),
  reward: z.number(),
  score: z.number(),
  done: z.boolean(),
  local_progress: z.string().optional(),
});
export type StepRlRawStep = z.infer<typeof StepRlRawStep>;

// ---- export ------------------------------------------------------------------------------------------------------

export function episodeToStepRlRaw(e: EpisodeDetail): StepRlRawStep[] {
  const progressByStep = new Map(e.progress.map((p) => [p.step, p.text]));
  return e.steps.map((step, i) => {
    const subtask = e.subtasks.find((s) => s.firstStep <= step.idx && step.idx <= s.lastStep);
    const group = subtask ? e.steps.filter((s) => s.idx >= subtask.firstStep && s.idx <= subtask.lastStep).map((s) => s.action) : [];
    return {
      task_description: e.taskDescription,
      subtask: subtask?.name ?? '',
      action: step.action,
      group_action: group,
      obs: i === 0 ? e.initialObservation : (e.steps[i - 1]?.observation ?? ''),
      next_obs: step.observation,
      look: step.look ?? '',
      inventory: step.inventory ?? '',
      reward: step.reward,
      score: step.score,
      done: step.done,
      local_progress: progressByStep.get(step.idx) ?? NO_PROGRESS,
    };
  });
}

// ---- import ------------------------------------------------------------------------------------------------------

export interface StepRlRawOptions {
  /** The file's name, for problems and for the task name when `task` is not given. */
  file: string;
  env: EnvKind;
  task?: string;
  split?: string | null;
}

export function parseStepRlRaw(content: string, options: StepRlRawOptions): ImportedEpisode {
  const problems: ImportProblem[] = [];
  const problem: Report = (line, message, at) => problems.push({ file: options.file, line, ...(at ? { path: at } : {}), message });
  const steps = readSteps(content, problem);
  const subtasks = steps ? subtaskRuns(steps, problem) : [];
  if (!steps || problems.length) throw new ImportError(problems);
  const records = steps.map(({ raw }, idx) => stepRecord(raw, idx, options.env));
  return { fields: episodeFields(steps[0]!.raw, records.at(-1)!, options), children: { steps: records, subtasks, progress: progressRecords(steps) } };
}

function episodeFields(first: StepRlRawStep, last: StepRecord, options: StepRlRawOptions): EpisodeFields {
  const named = taskFromFileName(options.file, options.env);
  return {
    env: options.env,
    split: options.split ?? null,
    task: options.task ?? named.task,
    variation: options.task === undefined ? named.variation : null,
    simplifications: null,
    game: null,
    taskParams: null,
    source: 'expert',
    agent: STEPRL_RAW_AGENT,
    model: null,
    adapter: null,
    engineName: 'unknown',
    engineVersion: 'unknown',
    taskDescription: bareTaskDescription(first.task_description),
    initialObservation: first.obs,
    initialLook: null,
    initialInventory: null,
    maxSteps: null,
    status: 'complete',
    stoppedBy: last.done ? 'done' : null,
    error: null,
    score: last.score,
    won: last.won,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    seconds: null,
  };
}

/** Every file's episode, or one ImportError holding the problems of every bad file. */
export function parseStepRlRawMany(files: Array<{ file: string; text: string }>, options: Omit<StepRlRawOptions, 'file'>): ImportedEpisode[] {
  const episodes: ImportedEpisode[] = [];
  const problems: ImportProblem[] = [];
  for (const { file, text: content } of files) {
    try {
      episodes.push(parseStepRlRaw(content, { ...options, file }));
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length) throw new ImportError(problems);
  return episodes;
}

interface LocatedStep {
  raw: StepRlRawStep;
  /** Line where the step object starts. */
  line: number;
}

type Report = (line: number, message: string, at?: string) => void;

/** The validated step objects with their lines, or null after reporting why the file cannot be read. */
function readSteps(content: string, problem: Report): LocatedStep[] | null {
  const parsed = readJsonOrProblem(content, 1);
  if (!parsed.ok) {
    problem(parsed.line, parsed.message);
    return null;
  }
  const { value, layout } = parsed;
  if (!Array.isArray(value)) {
    problem(1, 'a raw STEP-HRL trajectory must be a JSON list of step objects, and this file holds ' + (value === null || typeof value !== 'object' ? 'a single value' : 'an object'));
    return null;
  }
  if (value.length === 0) {
    problem(1, 'the trajectory has no steps (the list is empty)');
    return null;
  }
  const steps: LocatedStep[] = [];
  value.forEach((item, index) => {
    const line = layout.lineAt([index]);
    const result = StepRlRawStep.safeParse(item);
    if (result.success) steps.push({ raw: result.data, line });
    else if (item === null || typeof item !== 'object' || Array.isArray(item)) problem(line, `step ${index + 1} must be an object with the step's fields`, formatPath([index]));
    else for (const issue of result.error.issues) problem(line, `step ${index + 1}: ${describeIssue(issue, item)}`, formatPath([index, ...(issue.path as Array<string | number>)]));
  });
  return steps.length === value.length ? steps : null;
}

function stepRecord(raw: StepRlRawStep, idx: number, env: EnvKind): StepRecord {
  return {
    idx,
    action: raw.action,
    observation: raw.next_obs,
    look: raw.look || null,
    inventory: raw.inventory || null,
    reward: raw.reward,
    score: raw.score,
    done: raw.done,
    won: env === 'alfworld' ? raw.reward >= 1 || raw.score >= 100 : raw.score >= 100,
    truncated: false,
    invalid: raw.next_obs.trim() === REJECTED_ACTION[env],
  };
}

/**
 * Subtasks from consecutive steps that share a `subtask` name. A run longer than its steps' `group_action` is cut
 * where the group ends, so that two adjacent subtasks with the same name stay two. No subtasks when every name is empty.
 */
function subtaskRuns(steps: LocatedStep[], problem: Report): SubtaskRecord[] {
  if (steps.every((s) => !s.raw.subtask.trim())) return [];
  const unnamed = steps.findIndex((s) => !s.raw.subtask.trim());
  if (unnamed >= 0) {
    problem(steps[unnamed]!.line, `step ${unnamed + 1} has no subtask name, while other steps have one: every step must belong to a named subtask`, formatPath([unnamed, 'subtask']));
    return [];
  }
  const subtasks: SubtaskRecord[] = [];
  for (let first = 0; first < steps.length; ) {
    const last = lastStepOfSubtask(steps, first);
    subtasks.push({ name: steps[first]!.raw.subtask.trim(), firstStep: first, lastStep: last, provenance: 'human', reviewed: false });
    first = last + 1;
  }
  // Runs cover the steps by construction; the store's own rule is the final word.
  const invalid = segmentationProblem(subtasks, steps.length);
  if (invalid) problem(steps[0]!.line, `the subtasks do not form a valid segmentation: ${invalid}`);
  return subtasks;
}

function lastStepOfSubtask(steps: LocatedStep[], first: number): number {
  const name = steps[first]!.raw.subtask;
  let last = first;
  while (steps[last + 1]?.raw.subtask === name) last++;
  const group = steps[first]!.raw.group_action ?? [];
  const groupEnd = first + group.length - 1;
  const groupMatches = group.length > 0 && groupEnd < last && group.every((action, k) => steps[first + k]?.raw.action === action);
  return groupMatches ? groupEnd : last;
}

/** Progress as written, "None" included: it is what the annotator wrote. Absent fields give no record. */
function progressRecords(steps: LocatedStep[]): ProgressRecord[] {
  return steps.flatMap(({ raw }, step) => (raw.local_progress === undefined ? [] : [{ step, text: raw.local_progress, provenance: 'human' as const, reviewed: false }]));
}

/** The reference code keeps the environment's labels ("Task Description:", "Your task is to:"); the store does not. */
function bareTaskDescription(description: string): string {
  return description.replace(/^\s*Task Description:\s*/i, '').replace(/^\s*Your task is to:\s*/i, '').trim();
}

/** ALFWorld's six task types, the `task` of its episodes. */
const ALFWORLD_TASK_TYPES = [
  'pick_and_place_simple', 'look_at_obj_in_light', 'pick_clean_then_place_in_recep',
  'pick_heat_then_place_in_recep', 'pick_cool_then_place_in_recep', 'pick_two_obj_and_place',
];

/**
 * The task (and ScienceWorld variation) a file name suggests: `boil_3.json`, `boil-variation3.json` and this
 * project's own export names (`000012_scienceworld_boil_3.json`) give boil, 3; ALFWorld names give the task type
 * they start with (`pick_and_place_simple-Book-None-Desk-302.json`, `000013_alfworld_look_at_obj_in_light_trial_….json`).
 */
export function taskFromFileName(file: string, env: EnvKind): { task: string; variation: number | null } {
  const stem = path.basename(file).replace(/\.[^.]*$/, '').replace(/^\d+_(?:scienceworld|alfworld)_/, '') || 'unknown';
  if (env === 'alfworld') return { task: ALFWORLD_TASK_TYPES.find((type) => stem.startsWith(type)) ?? (stem.split('-')[0] || stem), variation: null };
  const numbered = /^(.+?)[_-](?:var(?:iation)?[_-]?)?(\d+)$/i.exec(stem);
  return numbered ? { task: numbered[1]!, variation: Number(numbered[2]) } : { task: stem, variation: null };
}
