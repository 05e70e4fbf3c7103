/**
 * The STEP-HRL reference work's trajectory files as its own code writes them: ONE JSON object per trajectory (one
 * file each, e.g. `task3/variation17.json`) holding parallel lists.
 *
 *   task_description   text
 *   subtask [K]        subtask names
 *   group_action [K][n_k]  the actions of each subtask, in order
 *   action [T]         every action, flat (T = sum of n_k)
 *   obs [T], next_obs [T]  the observation before and after each action
 *   reward [T]         score delta / 100 (ScienceWorld), 1 on the winning step (ALFWorld)
 *   score [T]          0..1 after each action;  done [T]
 *   look [T+1], inventory [T+1]   ScienceWorld: before the first action, then after each
 *   local_progress [K][*]  per subtask "None" then the progress after each of its steps (n_k + 1 texts), except the
 *                      last subtask's list, which lacks its final update (n_k texts)
 *   id, game_file, gamefile_id   ALFWorld
 *
 * Import checks every list length against the others (as the reference code's own checks would) and reports each
 * mismatch at its line; export writes exactly this layout. Pure functions: the import command owns the transaction.
 */
import { z } from 'zod';
import type { EnvKind } from '../protocol/environment';
import type { EpisodeDetail, EpisodeFields, ProgressRecord, StepRecord, SubtaskRecord } from '../protocol/dataset';
import { segmentationProblem } from '../store/annotations';
import { describeIssue, formatPath, type JsonLayout, type JsonPath } from './json-positions';
import { ALFWORLD_TASK_TYPES, bareTaskDescription, rawEpisodeDefaults, REJECTED_ACTION, taskFromFileName } from './steprl-names';
import { ExportError, ImportError, type ImportedEpisode, type ImportProblem } from './types';

const NO_PROGRESS = 'None';

export const StepRlTrajectory = z.object({
  task_description: z.string(),
  subtask: z.array(z.string()),
  group_action: z.array(z.array(z.string())),
  action: z.array(z.string()),
  obs: z.array(z.string()),
  next_obs: z.array(z.string()),
  reward: z.array(z.number()),
  score: z.array(z.number()),
  done: z.array(z.boolean()),
  look: z.array(z.string()).optional(),
  inventory: z.array(z.string()).optional(),
  local_progress: z.array(z.array(z.string())).optional(),
  id: z.union([z.string(), z.number()]).optional(),
  game_file: z.string().optional(),
  gamefile_id: z.union([z.string(), z.number()]).optional(),
});
export type StepRlTrajectory = z.infer<typeof StepRlTrajectory>;

// ---- export ------------------------------------------------------------------------------------------------------

/** An episode as the reference code's trajectory object. Its steps must all lie in subtasks (annotate it first). */
export function episodeToStepRlTrajectory(e: EpisodeDetail): StepRlTrajectory {
  const gap = segmentationProblem(e.subtasks, e.steps.length);
  if (gap || !e.steps.length) {
    throw new ExportError(
      `episode ${e.id}`,
      `the trajectory format needs every step in a subtask, and ${gap ?? 'it has no steps'}: annotate it first (\`stephrl annotate\`)`,
    );
  }
  const progressAfter = new Map(e.progress.map((p) => [p.step, p.text]));
  const stepsOf = (s: SubtaskRecord) => e.steps.slice(s.firstStep, s.lastStep + 1);
  const trajectory: StepRlTrajectory = {
    task_description: e.taskDescription,
    subtask: e.subtasks.map((s) => s.name),
    group_action: e.subtasks.map((s) => stepsOf(s).map((step) => step.action)),
    action: e.steps.map((s) => s.action),
    obs: e.steps.map((_, i) => (i === 0 ? e.initialObservation : e.steps[i - 1]!.observation)),
    next_obs: e.steps.map((s) => s.observation),
    reward: e.steps.map((s) => s.reward),
    score: e.steps.map((s) => s.score / 100),
    done: e.steps.map((s) => s.done),
    local_progress: e.subtasks.map((s, k) => {
      let last = NO_PROGRESS;
      const texts = [NO_PROGRESS, ...stepsOf(s).map((step) => (last = progressAfter.get(step.idx) ?? last))];
      return k === e.subtasks.length - 1 ? texts.slice(0, -1) : texts;
    }),
  };
  if (e.env === 'scienceworld') {
    trajectory.look = [e.initialLook ?? '', ...e.steps.map((s) => s.look ?? '')];
    trajectory.inventory = [e.initialInventory ?? '', ...e.steps.map((s) => s.inventory ?? '')];
  } else {
    trajectory.id = `alfworld_${e.id}`;
    trajectory.game_file = e.game ? `${e.game}/game.tw-pddl` : '';
    trajectory.gamefile_id = e.id;
  }
  return trajectory;
}

// ---- import ------------------------------------------------------------------------------------------------------

export interface TrajectoryOptions {
  file: string;
  /** When absent: ALFWorld where the object has game_file or an "alfworld_" id, ScienceWorld where it has look. */
  env?: EnvKind;
  task?: string;
  split?: string | null;
}

type Report = (path: JsonPath, message: string) => void;

/** The episode of one trajectory object, or an ImportError with every problem at its line. */
export function parseStepRlTrajectory(value: unknown, layout: JsonLayout, options: TrajectoryOptions): ImportedEpisode {
  const problems: ImportProblem[] = [];
  const report: Report = (at, message) =>
    problems.push({ file: options.file, line: layout.lineAt(at), ...(at.length ? { path: formatPath(at) } : {}), message });
  const parsed = StepRlTrajectory.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) report(issue.path as Array<string | number>, describeIssue(issue, value));
    throw new ImportError(problems);
  }
  const t = parsed.data;
  const env = options.env ?? inferEnv(t);
  if (!env) report([], 'the trajectory does not say its environment (no game_file, id or look): pass --env');
  checkLengths(t, report);
  if (problems.length || !env) throw new ImportError(problems);

  const steps = t.action.map((action, i) => stepRecord(t, i, env));
  const subtasks = subtaskRecords(t);
  const invalid = segmentationProblem(subtasks, steps.length);
  if (invalid) report(['group_action'], `the subtasks do not form a valid segmentation: ${invalid}`);
  if (problems.length) throw new ImportError(problems);
  return { fields: episodeFields(t, steps.at(-1)!, env, options), children: { steps, subtasks, progress: progressRecords(t, subtasks) } };
}

function inferEnv(t: StepRlTrajectory): EnvKind | null {
  if (t.game_file !== undefined || String(t.id ?? '').startsWith('alfworld')) return 'alfworld';
  if (t.look !== undefined || t.inventory !== undefined) return 'scienceworld';
  return null;
}

/** Every length rule of the layout; each broken one is reported where the list starts. */
function checkLengths(t: StepRlTrajectory, report: Report): void {
  const T = t.action.length;
  const K = t.subtask.length;
  if (T === 0) report(['action'], 'the trajectory has no actions');
  if (K === 0) report(['subtask'], 'the trajectory has no subtasks');
  for (const key of ['obs', 'next_obs', 'reward', 'score', 'done'] as const) {
    if (t[key].length !== T) report([key], `"${key}" has ${t[key].length} entries, and "action" has ${T}: one per action`);
  }
  for (const key of ['look', 'inventory'] as const) {
    const list = t[key];
    if (list && list.length !== T + 1)
      report([key], `"${key}" has ${list.length} entries; with ${T} actions it needs ${T + 1} (before the first action, then after each)`);
  }
  if (t.group_action.length !== K)
    report(['group_action'], `"group_action" has ${t.group_action.length} groups, and "subtask" names ${K}: one group per subtask`);
  const flat = t.group_action.flat();
  if (flat.length !== T) report(['group_action'], `the groups hold ${flat.length} actions, and "action" has ${T}: the groups must split the actions`);
  else {
    const differs = flat.findIndex((a, i) => a !== t.action[i]);
    if (differs >= 0)
      report(
        ['action', differs],
        `action ${differs + 1} is "${t.action[differs]}", and the groups say "${flat[differs]}" there: the groups must hold the actions in order`,
      );
  }
  t.group_action.forEach((group, k) => {
    if (!group.length) report(['group_action', k], `subtask ${k + 1} ("${t.subtask[k] ?? ''}") has no actions`);
  });
  const progress = t.local_progress;
  if (!progress) return;
  if (progress.length !== t.group_action.length) {
    report(
      ['local_progress'],
      `"local_progress" has ${progress.length} lists, and "group_action" ${t.group_action.length} groups: one list per subtask`,
    );
    return;
  }
  progress.forEach((texts, k) => {
    const n = t.group_action[k]!.length;
    const last = k === progress.length - 1;
    // The last subtask's final update is never written; a list that has it is accepted too.
    const fits = texts.length === n + 1 || (last && texts.length === n);
    if (!fits)
      report(
        ['local_progress', k],
        `subtask ${k + 1} has ${n} actions, so its progress list needs ${last ? `${n} (or ${n + 1})` : n + 1} texts ("None", then one after each action), not ${texts.length}`,
      );
    else if (texts[0] !== NO_PROGRESS)
      report(
        ['local_progress', k, 0],
        `the progress list of subtask ${k + 1} must start with "None" (no progress before its first action), not "${texts[0]}"`,
      );
  });
}

function stepRecord(t: StepRlTrajectory, i: number, env: EnvKind): StepRecord {
  const score = Math.round(t.score[i]! * 100);
  return {
    idx: i,
    action: t.action[i]!,
    observation: t.next_obs[i]!,
    look: t.look?.[i + 1] || null,
    inventory: t.inventory?.[i + 1] || null,
    reward: t.reward[i]!,
    score,
    done: t.done[i]!,
    won: env === 'alfworld' ? t.reward[i]! >= 1 || score >= 100 : score >= 100,
    truncated: false,
    invalid: t.next_obs[i]!.trim() === REJECTED_ACTION[env],
  };
}

function subtaskRecords(t: StepRlTrajectory): SubtaskRecord[] {
  let first = 0;
  return t.group_action.map((group, k) => {
    const record: SubtaskRecord = {
      name: t.subtask[k]!.trim(),
      firstStep: first,
      lastStep: first + group.length - 1,
      provenance: 'human',
      reviewed: false,
    };
    first += group.length;
    return record;
  });
}

/** Progress after each step, as written (entry 0 of each list is the "None" before the subtask's first step). */
function progressRecords(t: StepRlTrajectory, subtasks: SubtaskRecord[]): ProgressRecord[] {
  if (!t.local_progress) return [];
  return subtasks.flatMap((s, k) =>
    t.local_progress![k]!.slice(1).map((text, j) => ({ step: s.firstStep + j, text, provenance: 'human' as const, reviewed: false })),
  );
}

function episodeFields(t: StepRlTrajectory, last: StepRecord, env: EnvKind, options: TrajectoryOptions): EpisodeFields {
  const game = env === 'alfworld' && t.game_file ? gameKey(t.game_file) : null;
  const fromGame = game ? gameParts(game) : null;
  const named = taskFromTrajectoryFile(options.file, env);
  return {
    ...rawEpisodeDefaults(last),
    env,
    split: options.split ?? fromGame?.split ?? null,
    task: options.task ?? fromGame?.task ?? named.task,
    variation: options.task === undefined && !fromGame ? named.variation : null,
    game,
    taskDescription: bareTaskDescription(t.task_description),
    initialObservation: t.obs[0]!,
    initialLook: t.look?.[0] || null,
    initialInventory: t.inventory?.[0] || null,
  };
}

/** `…/json_2.1.1/valid_train/<task>/<trial>/game.tw-pddl` -> `json_2.1.1/valid_train/<task>/<trial>`; else as given. */
function gameKey(gameFile: string): string {
  const folder = gameFile.replace(/\\/g, '/').replace(/\/game\.tw-pddl$/, '');
  const versioned = folder.search(/json_2\.1[^/]*\//);
  return versioned >= 0 ? folder.slice(versioned) : folder;
}

function gameParts(key: string): { split: string | null; task: string | null } {
  const [, split, taskFolder] = key.split('/');
  const task = ALFWORLD_TASK_TYPES.find((type) => taskFolder?.startsWith(type)) ?? null;
  return { split: key.startsWith('json_2.1') ? (split ?? null) : null, task };
}

/** `task3/variation17.json`: the folder names the task, the file the variation; other names as the step lists. */
export function taskFromTrajectoryFile(file: string, env: EnvKind): { task: string; variation: number | null } {
  const parts = file.replace(/\\/g, '/').split('/');
  const variation = /^variation[_-]?(\d+)\.json$/i.exec(parts.at(-1) ?? '');
  if (env === 'scienceworld' && variation && parts.length >= 2) return { task: parts.at(-2)!, variation: Number(variation[1]) };
  return taskFromFileName(file, env);
}
