/**
 * What both layouts of the reference work's raw files share: the agent name imports get, the engines' words for a
 * rejected action, and the task a file's name or description gives.
 */
import * as path from 'node:path';
import type { EnvKind } from '../protocol/environment';
import type { EpisodeFields, StepRecord } from '../protocol/dataset';
import { importedOutcome } from './types';

export const STEPRL_RAW_AGENT = 'imported-steprl-raw';

/** What a raw file never says, the same for both layouts: an expert episode from an unknown engine, complete, with
 * the outcome of its last step. */
export function rawEpisodeDefaults(
  last: StepRecord,
): Omit<
  EpisodeFields,
  'env' | 'split' | 'task' | 'variation' | 'game' | 'taskDescription' | 'initialObservation' | 'initialLook' | 'initialInventory'
> {
  return {
    simplifications: null,
    taskParams: null,
    source: 'expert',
    agent: STEPRL_RAW_AGENT,
    model: null,
    adapter: null,
    engineName: 'unknown',
    engineVersion: 'unknown',
    ...importedOutcome(last, last.done ? 'done' : null),
  };
}

/** The engines' own words for a rejected action; the raw formats have no flag for it. */
export const REJECTED_ACTION: Record<EnvKind, string> = {
  scienceworld: 'No known action matches that input.',
  alfworld: 'Nothing happens.',
};

/** The reference code keeps the environment's labels ("Task Description:", "Your task is to:"); the store does not. */
export function bareTaskDescription(description: string): string {
  return description
    .replace(/^\s*Task Description:\s*/i, '')
    .replace(/^\s*Your task is to:\s*/i, '')
    .trim();
}

/** ALFWorld's six task types, the `task` of its episodes. */
export const ALFWORLD_TASK_TYPES = [
  'pick_and_place_simple',
  'look_at_obj_in_light',
  'pick_clean_then_place_in_recep',
  'pick_heat_then_place_in_recep',
  'pick_cool_then_place_in_recep',
  'pick_two_obj_and_place',
];

/**
 * The task (and ScienceWorld variation) a file name suggests: `boil_3.json`, `boil-variation3.json` and this
 * project's own export names (`000012_scienceworld_boil_3.json`) give boil, 3; ALFWorld names give the task type
 * they start with (`pick_and_place_simple-Book-None-Desk-302.json`, `000013_alfworld_look_at_obj_in_light_trial_….json`).
 */
export function taskFromFileName(file: string, env: EnvKind): { task: string; variation: number | null } {
  const stem =
    path
      .basename(file)
      .replace(/\.[^.]*$/, '')
      .replace(/^\d+_(?:scienceworld|alfworld)_/, '') || 'unknown';
  if (env === 'alfworld') return { task: ALFWORLD_TASK_TYPES.find((type) => stem.startsWith(type)) ?? (stem.split('-')[0] || stem), variation: null };
  const numbered = /^(.+?)[_-](?:var(?:iation)?[_-]?)?(\d+)$/i.exec(stem);
  return numbered ? { task: numbered[1]!, variation: Number(numbered[2]) } : { task: stem, variation: null };
}
