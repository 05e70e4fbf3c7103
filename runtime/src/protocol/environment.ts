/**
 * What an environment episode is and what its steps return: shared by the Python workers (mirrored in
 * runtime/python/stephrl_env), the runtime, the extension and the webview.
 */
import { z } from 'zod';
import { ENV_KINDS } from './vocabulary';

export const EnvKind = z.enum(ENV_KINDS);
export type EnvKind = z.infer<typeof EnvKind>;

export const SCIENCEWORLD_SPLITS = ['train', 'dev', 'test'] as const;
/** Why expert seeds other than 0 are refused for ScienceWorld (ALFWorld's expert breaks ties at random). */
export const SEEDLESS_EXPERT = "ScienceWorld's expert (the gold path) is the same for every seed: one demonstration per variation";
export const ALFWORLD_SPLITS = ['train', 'valid_seen', 'valid_unseen', 'valid_train'] as const;

export const ScienceWorldEpisode = z.object({
  env: z.literal('scienceworld'),
  task: z.string().min(1),
  variation: z.number().int().nonnegative(),
  /** Comma-separated ScienceWorld simplifications; "easy" by default. */
  simplifications: z.string().optional(),
});
export const AlfworldEpisode = z.object({
  env: z.literal('alfworld'),
  /** Path of a game.tw-pddl file (or the trial folder holding it). */
  game: z.string().min(1),
});
export const EpisodeSpec = z.discriminatedUnion('env', [ScienceWorldEpisode, AlfworldEpisode]);
export type EpisodeSpec = z.infer<typeof EpisodeSpec>;

export const EngineInfo = z.object({ name: z.string(), version: z.string() });
export type EngineInfo = z.infer<typeof EngineInfo>;

/**
 * ALFWorld: a fingerprint of the engine's whole state (its facts, places visited included); equal keys, equal worlds.
 * ScienceWorld has none: its world changes with time.
 */
const StateKey = z.string().optional();

export const ResetResult = z.object({
  observation: z.string(),
  taskDescription: z.string(),
  /** 0..100 */
  score: z.number(),
  maxSteps: z.number().int().positive(),
  engine: EngineInfo,
  /** ScienceWorld: the free `look around` and `inventory` texts. */
  look: z.string().optional(),
  inventory: z.string().optional(),
  /** ALFWorld: the task type from traj_data.json. */
  taskType: z.string().nullable().optional(),
  /** ALFWorld: traj_data.json's pddl_params (object_target, parent_target, toggle_target, mrecep_target, object_sliced). */
  taskParams: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
  stateKey: StateKey,
});
export type ResetResult = z.infer<typeof ResetResult>;

export const StepResult = z.object({
  observation: z.string(),
  /** ScienceWorld: score delta / 100; ALFWorld: 1 on the winning step. */
  reward: z.number(),
  /** 0..100 (ScienceWorld negatives clipped to 0; ALFWorld 100 when won). */
  score: z.number(),
  /** ScienceWorld's unclipped score (negative when the task was failed). */
  rawScore: z.number().optional(),
  done: z.boolean(),
  won: z.boolean(),
  /** The episode ended at the step cap, not by the environment. */
  truncated: z.boolean(),
  /** The engine rejected the action with its own message. */
  invalid: z.boolean(),
  /** Steps taken so far in this episode. */
  steps: z.number().int().nonnegative(),
  look: z.string().optional(),
  inventory: z.string().optional(),
  stateKey: StateKey,
});
export type StepResult = z.infer<typeof StepResult>;

export const SplitEntry = z.union([
  z.object({ task: z.string(), variation: z.number().int() }),
  z.object({ game: z.string(), taskType: z.string(), name: z.string() }),
]);
export type SplitEntry = z.infer<typeof SplitEntry>;

export const TrajectoryStep = StepResult.extend({ action: z.string() });
export type TrajectoryStep = z.infer<typeof TrajectoryStep>;

export const ExpertTrajectory = z.object({
  episode: EpisodeSpec,
  engine: EngineInfo,
  taskDescription: z.string(),
  initialObservation: z.string(),
  initialLook: z.string().optional(),
  initialInventory: z.string().optional(),
  taskType: z.string().nullable().optional(),
  taskParams: ResetResult.shape.taskParams,
  steps: z.array(TrajectoryStep),
  summary: z.object({
    score: z.number(),
    won: z.boolean(),
    steps: z.number().int(),
    invalidActions: z.number().int(),
    /** Why the expert stopped: the episode ended, the expert had no next action, or the step cap. */
    stoppedBy: z.enum(['done', 'expert_exhausted', 'step_cap']),
    seconds: z.number(),
  }),
});
export type ExpertTrajectory = z.infer<typeof ExpertTrajectory>;

export function describeEpisode(spec: EpisodeSpec): string {
  return spec.env === 'scienceworld' ? `scienceworld ${spec.task} variation ${spec.variation}` : `alfworld ${spec.game}`;
}
