/**
 * The STEP-HRL reference work's raw trajectory files: one JSON file per trajectory, an array of step objects that
 * carry the step itself (obs before, next_obs after, look/inventory after, reward, score, done) and its annotation
 * (the subtask's name and action group, the local progress after the step). Pure functions: the import command
 * owns the transaction and writes nothing when a problem is reported.
 */
import { z } from 'zod';
import type { EnvKind } from '../protocol/environment';
import type { EpisodeDetail, EpisodeFields, ProgressRecord, StepRecord, SubtaskRecord } from '../protocol/dataset';
import { segmentationProblem } from '../store/annotations';
import { describeIssue, formatPath, readJsonOrProblem, type JsonLayout } from './json-positions';
import { bareTaskDescription, rawEpisodeDefaults, REJECTED_ACTION, taskFromFileName } from './steprl-names';
import { parseStepRlTrajectory } from './steprl-trajectory';
import { ImportError, type ImportedEpisode, type ImportProblem } from './types';

export { REJECTED_ACTION, STEPRL_RAW_AGENT } from './steprl-names';

/** What the reference code writes for "no progress yet". */
const NO_PROGRESS = 'None';

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
  /** Required for step lists; trajectory objects say it themselves (game_file, id or look). */
  env?: EnvKind;
  task?: string;
  split?: string | null;
}

/**
 * One raw file: the reference code's trajectory object (steprl-trajectory.ts) or a list of step objects. Either
 * way an episode, or an ImportError with every problem at its line.
 */
export function parseStepRlRaw(content: string, options: StepRlRawOptions): ImportedEpisode {
  const parsed = readJsonOrProblem(content, 3);
  if (!parsed.ok) throw new ImportError([{ file: options.file, line: parsed.line, message: parsed.message }]);
  const { value, layout } = parsed;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return parseStepRlTrajectory(value, layout, options);
  return parseStepList(value, layout, options);
}

function parseStepList(value: unknown, layout: JsonLayout, options: StepRlRawOptions): ImportedEpisode {
  const problems: ImportProblem[] = [];
  const problem: Report = (line, message, at) => problems.push({ file: options.file, line, ...(at ? { path: at } : {}), message });
  const env = options.env;
  if (!env) problem(1, 'a list of raw steps does not say its environment: pass --env');
  const steps = readSteps(value, layout, problem);
  const subtasks = steps ? subtaskRuns(steps, problem) : [];
  if (!steps || !env || problems.length) throw new ImportError(problems);
  const records = steps.map(({ raw }, idx) => stepRecord(raw, idx, env));
  return {
    fields: episodeFields(steps[0]!.raw, records.at(-1)!, { ...options, env }),
    children: { steps: records, subtasks, progress: progressRecords(steps) },
  };
}

function episodeFields(first: StepRlRawStep, last: StepRecord, options: StepRlRawOptions & { env: EnvKind }): EpisodeFields {
  const named = taskFromFileName(options.file, options.env);
  return {
    ...rawEpisodeDefaults(last),
    env: options.env,
    split: options.split ?? null,
    task: options.task ?? named.task,
    variation: options.task === undefined ? named.variation : null,
    game: null,
    taskDescription: bareTaskDescription(first.task_description),
    initialObservation: first.obs,
    initialLook: null,
    initialInventory: null,
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
function readSteps(value: unknown, layout: JsonLayout, problem: Report): LocatedStep[] | null {
  if (!Array.isArray(value)) {
    problem(
      1,
      'a raw STEP-HRL trajectory must be a JSON object of parallel lists (the reference layout) or a list of step objects, and this file holds a single value',
    );
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
    else if (item === null || typeof item !== 'object' || Array.isArray(item))
      problem(line, `step ${index + 1} must be an object with the step's fields`, formatPath([index]));
    else
      for (const issue of result.error.issues)
        problem(line, `step ${index + 1}: ${describeIssue(issue, item)}`, formatPath([index, ...(issue.path as Array<string | number>)]));
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
    problem(
      steps[unnamed]!.line,
      `step ${unnamed + 1} has no subtask name, while other steps have one: every step must belong to a named subtask`,
      formatPath([unnamed, 'subtask']),
    );
    return [];
  }
  const subtasks: SubtaskRecord[] = [];
  for (let first = 0; first < steps.length;) {
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
  return steps.flatMap(({ raw }, step) =>
    raw.local_progress === undefined ? [] : [{ step, text: raw.local_progress, provenance: 'human' as const, reviewed: false }],
  );
}
