/**
 * The JSON-lines events of the Python trainer (runtime/python/stephrl_train/events.py), one object per stdout line.
 * The runtime validates each line here before it stores metrics or checkpoints.
 */
import { z } from 'zod';
import { AgentKindSchema, MAX_PARALLEL } from './agent';
import { ENV_KINDS, GPU_CHOICES, TRANSITION_ROLES } from './vocabulary';
import { SEEDLESS_EXPERT } from './environment';

export const TRAIN_KINDS = ['bc', 'rl'] as const;
export type TrainKind = (typeof TRAIN_KINDS)[number];
export const TRAIN_PRESETS = ['paper', 'cpu-small'] as const;
export type TrainPreset = (typeof TRAIN_PRESETS)[number];

export const TrainerEvent = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('start'),
    kind: z.enum(TRAIN_KINDS),
    set_id: z.number().int(),
    device: z.string(),
    processes: z.number().int(),
    examples: z.record(z.string(), z.number().int()),
    /** Transitions of the episodes held apart for the validation loss, per role (absent without validation). */
    validation_examples: z.record(z.string(), z.number().int()).optional(),
    total_steps: z.number().int(),
    start_step: z.number().int(),
    trainable_parameters: z.number().int(),
    parameters: z.number().int(),
    config: z.record(z.string(), z.unknown()),
    resumed_from: z.string().nullable(),
    /**
     * A resumed run sends its checkpoint's step's metrics line again, next: the runtime may have been killed after
     * the trainer sent it and before it was stored. Absent: older checkpoints, which do not keep it.
     */
    replays_metrics: z.boolean().optional(),
  }),
  // null: a value that was not finite (the run diverged there).
  z.object({ event: z.literal('metrics'), step: z.number().int(), values: z.record(z.string(), z.number().nullable()) }),
  z.object({ event: z.literal('checkpoint'), step: z.number().int(), path: z.string() }),
  z.object({ event: z.literal('stopped'), step: z.number().int(), path: z.string() }),
  // With validation, the adapter is the best validated one: best_step and its val_loss.
  z.object({
    event: z.literal('done'),
    step: z.number().int(),
    path: z.string(),
    adapter: z.string(),
    best_step: z.number().int().optional(),
    best_val_loss: z.number().optional(),
  }),
  z.object({
    event: z.literal('exported'),
    path: z.string(),
    tensors: z.number().int(),
    architecture: z.string(),
    rank: z.number().int(),
    alpha: z.number(),
  }),
  z.object({ event: z.literal('error'), message: z.string() }),
  /** What the trainer is doing between steps (a long preparation such as the critics' features, their fit): logged at info. */
  z.object({ event: z.literal('note'), message: z.string() }),
]);
export type TrainerEvent = z.infer<typeof TrainerEvent>;

/** `train/run`: one training stage, as `stephrl train bc|rl` (resumable: the same out folder continues). */
export const TrainingRequest = z.object({
  db: z.string().optional(),
  kind: z.enum(TRAIN_KINDS),
  preset: z.enum(TRAIN_PRESETS).default('cpu-small'),
  /** Base model (GGUF or Hugging Face folder); default: the runtime's default model. */
  model: z.string().optional(),
  setId: z.number().int().positive().optional(),
  /**
   * Whose transitions to train on: without a set, the newest derived for this agent (STEP-HRL's when absent); with a
   * set, a check that the set is this agent's.
   */
  agent: AgentKindSchema.optional(),
  steps: z.number().int().positive().optional(),
  out: z.string().optional(),
  config: z.record(z.string(), z.unknown()).default({}),
  /** Start from this adapter: a peft folder, an adapter GGUF or a shipped adapter's name (resolved by the runtime). */
  initAdapter: z.string().optional(),
  cpu: z.boolean().default(false),
  token: z.string().optional(),
});

export const TrainingResult = z.object({
  runId: z.number().int(),
  status: z.enum(['complete', 'interrupted', 'failed']),
  out: z.string(),
  adapterDir: z.string().nullable(),
  adapterGguf: z.string().nullable(),
  steps: z.number().int(),
  totalSteps: z.number().int().nullable(),
  finalMetrics: z.record(z.string(), z.number()),
  resumed: z.boolean(),
  error: z.string().nullable(),
});
export type TrainingResult = z.infer<typeof TrainingResult>;

/** More expert trajectories per game than this add little but time (each seed replays the whole split). */
export const MAX_EXPERT_SEEDS = 10;

/** `train/pipeline`: demonstrations to offline RL, as `stephrl pipeline` (resumable stage by stage). */
export const PipelineRequest = z
  .object({
    db: z.string().optional(),
    envs: z.array(z.enum(ENV_KINDS)).min(1).default(['scienceworld', 'alfworld']),
    preset: z.enum(TRAIN_PRESETS).default('cpu-small'),
    /** quick, full, or a recipe: alfworld (with envs ['alfworld']) or scienceworld (with envs ['scienceworld']). */
    slice: z.enum(['quick', 'full', 'alfworld', 'scienceworld']).default('quick'),
    /** Evaluation episodes per task (default: the slice's). */
    evalPerTask: z.number().int().positive().optional(),
    /** Also train and evaluate the flat and history-HRL baselines at equal data. */
    baselines: z.boolean().default(false),
    /** Only these tasks of the one environment in envs (ScienceWorld names or ALFWorld task types). */
    tasks: z.array(z.string().min(1)).min(1).optional(),
    /** ALFWorld: expert trajectories per training game (expert seeds 0..n-1); ScienceWorld's expert has one. */
    expertSeeds: z.number().int().positive().max(MAX_EXPERT_SEEDS).default(1),
    model: z.string().optional(),
    gpu: z.enum(GPU_CHOICES).default('auto'),
    threads: z.number().int().positive().optional(),
    parallel: z.number().int().positive().max(MAX_PARALLEL).default(1),
    alfworldData: z.string().optional(),
    out: z.string().optional(),
    token: z.string().optional(),
  })
  .refine((r) => !r.tasks || r.envs.length === 1, { message: "tasks name one environment's tasks: give one env", path: ['tasks'] })
  .refine((r) => r.expertSeeds === 1 || !r.envs.includes('scienceworld'), { message: SEEDLESS_EXPERT, path: ['expertSeeds'] });

const Interval = z.tuple([z.number(), z.number()]);

export const PipelineRow = z.object({
  label: z.string(),
  env: z.enum(ENV_KINDS),
  split: z.string(),
  agent: z.string(),
  adapter: z.string().nullable(),
  /** Actions restricted to the environment's valid commands (grammar-constrained decoding). */
  constrained: z.boolean(),
  episodes: z.number().int(),
  meanScore: z.number(),
  /** 95% intervals: the mean score's (normal approximation), the success rate's (Wilson). */
  scoreInterval: Interval,
  successRate: z.number(),
  successInterval: Interval,
  invalidActionRate: z.number(),
  meanSteps: z.number(),
  promptTokensPerEpisode: z.number(),
  completionTokensPerEpisode: z.number(),
  perTask: z.array(z.object({ task: z.string(), episodes: z.number().int(), meanScore: z.number(), successRate: z.number() })),
  runId: z.number().int().nullable(),
});

export const PipelineResult = z.object({
  rows: z.array(PipelineRow),
  bc: TrainingResult,
  rl: TrainingResult,
  transitionSets: z.object({ bc: z.number().int(), rl: z.number().int() }),
  /** The baselines trained at equal data (with --baselines), by agent. */
  baselines: z.record(z.string(), TrainingResult).optional(),
  /** The tasks the run was restricted to (with --tasks); absent when it used every task. */
  tasks: z.array(z.string()).optional(),
  db: z.string(),
  out: z.string(),
  seconds: z.number(),
});

/** A shipped adapter's name: lower-case letters, digits and dashes (it is also a folder name). */
export const ADAPTER_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The adapter a training run started from (`--init-adapter`): its file's hash, and where it was a shipped adapter,
 * what its card said of it, so a card keeps its whole lineage even after the earlier adapter is replaced. */
export const AdapterOrigin = z.object({
  /** The shipped adapter's name, or the file's path. */
  adapter: z.string(),
  sha256: z.string(),
  title: z.string().optional(),
  data: z.string().optional(),
  command: z.string().optional(),
  steps: z.number().int().optional(),
  trainSeconds: z.number().optional(),
  machine: z.string().optional(),
});
export type AdapterOrigin = z.infer<typeof AdapterOrigin>;

/**
 * A shipped adapter's card (runtime/adapters/<name>/card.json): what it was trained on, how, and what it scores,
 * each score with its interval and the command that measured it.
 */
export const AdapterCard = z.object({
  name: z.string().regex(ADAPTER_NAME),
  title: z.string(),
  env: z.enum(ENV_KINDS),
  /** The base model's file name (the adapter only fits that model). */
  baseModel: z.string(),
  agent: z.string(),
  data: z.string(),
  command: z.string(),
  /** The training step the adapter was taken from (the best validated one where validation ran). */
  steps: z.number().int(),
  /** The steps the run went to, where that is more than `steps` (a later step validated worse). */
  runSteps: z.number().int().optional(),
  trainSeconds: z.number(),
  machine: z.string(),
  config: z.record(z.string(), z.unknown()),
  startedFrom: AdapterOrigin.optional(),
  scores: z.array(
    z.object({
      split: z.string(),
      constrained: z.boolean(),
      episodes: z.number().int(),
      successRate: z.number(),
      successInterval: z.tuple([z.number(), z.number()]),
      meanSteps: z.number(),
      command: z.string(),
    }),
  ),
  createdAt: z.string(),
});
export type AdapterCard = z.infer<typeof AdapterCard>;

/** `models/list`: base models, the adapters that ship with the runtime, and the adapters training exported. */
export const ModelList = z.object({
  shipped: z.array(AdapterCard.extend({ path: z.string(), cardPath: z.string(), sizeMb: z.number() })),
  baseModels: z.array(z.object({ path: z.string(), name: z.string(), sizeMb: z.number(), isDefault: z.boolean() })),
  adapters: z.array(
    z.object({
      path: z.string(),
      runId: z.number().int(),
      runName: z.string(),
      runStatus: z.string(),
      kind: z.enum(TRAIN_KINDS),
      baseModel: z.string().nullable(),
      createdAt: z.string(),
      metrics: z.record(z.string(), z.number()),
    }),
  ),
});
export type ModelList = z.infer<typeof ModelList>;

/** The critics' view of one transition of an episode (STEP-HRL.md, "Training": V(s), Q(s,a), A = Q - V). */
export const CriticValue = z.object({
  role: z.enum(TRANSITION_ROLES),
  subtask: z.number().int().nonnegative(),
  /** The step the low-level action or the progress update belongs to; null for a high-level (subtask) decision. */
  step: z.number().int().nonnegative().nullable(),
  v: z.number().nullable(),
  q: z.number().nullable(),
  advantage: z.number().nullable(),
});
export type CriticValue = z.infer<typeof CriticValue>;

/** An episode scored by a critic checkpoint (critics.pt of an offline-RL run), or why it could not be. */
export const EpisodeCriticValues = z.object({
  episodeId: z.number().int().positive(),
  critics: z.string().nullable(),
  baseModel: z.string().nullable(),
  reason: z.string().nullable(),
  values: z.array(CriticValue),
});
export type EpisodeCriticValues = z.infer<typeof EpisodeCriticValues>;
