/**
 * What an annotator sees of an episode and what it proposes: subtask segments that cover the action sequence
 * exactly, and a local-progress text after every step.
 */
import type { EnvKind } from '../protocol/environment';

export interface AnnotatableStep {
  action: string;
  observation: string;
  /** ScienceWorld's free `look around` text after the step. */
  look?: string;
  /** ScienceWorld's free inventory text after the step. */
  inventory?: string;
  /** The engine rejected the action. */
  invalid: boolean;
  reward: number;
  score: number;
  done: boolean;
}

export interface AnnotatableEpisode {
  env: EnvKind;
  /** ScienceWorld task name (e.g. "boil"); ALFWorld task type (e.g. "pick_clean_then_place_in_recep"). */
  task: string;
  taskDescription: string;
  /** ALFWorld: traj_data.json's pddl_params (object_target, parent_target, toggle_target, mrecep_target, object_sliced). */
  taskParams?: Record<string, string | boolean>;
  initialObservation: string;
  initialLook?: string;
  initialInventory?: string;
  steps: AnnotatableStep[];
}

/** One subtask: a name a person would write, over steps firstStep..lastStep (0-based, inclusive). */
export type { AnnotationDraft, SubtaskSegment } from '../protocol/dataset';
import type { AnnotationDraft } from '../protocol/dataset';

export type Annotator = (episode: AnnotatableEpisode) => AnnotationDraft;

/** Local progress is a short summary: longer texts are cut to this many characters (about 150 tokens). */
export const MAX_PROGRESS_CHARS = 600;
