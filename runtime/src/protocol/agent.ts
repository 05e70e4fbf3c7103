/** What crosses a boundary for agent runs: the evaluation request's options and its summary. */
import { z } from 'zod';
import { EnvKind } from './environment';
import { ADAPTER_MODES, AGENT_KINDS, GPU_CHOICES, MODEL_ROLES, STATUSES } from './vocabulary';

/** The most episodes (environment workers and model sessions) one request or command runs at once. */
export const MAX_PARALLEL = 64;

export const AgentKindSchema = z.enum(AGENT_KINDS);

/** Which model runs the agent: an embedded GGUF (default: the one set up) or an OpenAI-compatible server. */
export const ModelChoice = z.object({
  path: z.string().optional(),
  adapter: z.string().optional(),
  endpoint: z.string().url().optional(),
  serverModel: z.string().optional(),
  gpu: z.enum(GPU_CHOICES).default('auto'),
  threads: z.number().int().positive().optional(),
  contextSize: z.number().int().positive().optional(),
  prefixReuse: z.boolean().default(true),
  /** Greedy answers with a draft (the progress role's previous progress) checked several tokens per decode; false:
   * one token per decode, for comparison. Absent: on. */
  drafts: z.boolean().optional(),
  /** An adapter merged into a Q8_0 copy of the model (faster on a CPU) or applied beside it as llama.cpp loads it. */
  adapterMode: z.enum(ADAPTER_MODES).default('merged'),
});
export type ModelChoice = z.infer<typeof ModelChoice>;

export const EvaluationRequest = z.object({
  env: EnvKind,
  split: z.string().min(1),
  agent: AgentKindSchema.default('stephrl'),
  model: ModelChoice.default({ gpu: 'auto', prefixReuse: true, adapterMode: 'merged' }),
  tasks: z.array(z.string()).optional(),
  /** Only these episodes: ALFWorld game keys (json_2.1.1/<split>/<task>/<trial>) or ScienceWorld task:variation. */
  games: z.array(z.string().min(1)).max(100_000).optional(),
  limit: z.number().int().positive().optional(),
  perTask: z.number().int().positive().optional(),
  parallel: z.number().int().positive().max(MAX_PARALLEL).default(1),
  maxSteps: z.number().int().positive().max(1000).default(50),
  temperature: z.number().min(0).max(5).default(0),
  seed: z.number().int().nonnegative().optional(),
  constrained: z.boolean().default(false),
  keepTexts: z.boolean().default(true),
  /** End a greedy episode at a repeated state, where the engine names its state (ALFWorld); false: play it out. */
  repeatStop: z.boolean().default(true),
  alfworldData: z.string().optional(),
  /** ScienceWorld's simplifications ("easy", or a comma-separated list such as "teleportAction,openDoors"). */
  simplifications: z.string().min(1).optional(),
});
export type EvaluationRequest = z.infer<typeof EvaluationRequest>;

export const GroupFigures = z.object({
  episodes: z.number().int(),
  meanScore: z.number(),
  successRate: z.number(),
  /** 95% Wilson interval of the success rate. */
  successInterval: z.tuple([z.number(), z.number()]),
  /** 95% interval of the mean score (normal approximation, within 0..100). */
  scoreInterval: z.tuple([z.number(), z.number()]),
  invalidActionRate: z.number(),
  meanSteps: z.number(),
  promptTokensPerEpisode: z.number(),
  completionTokensPerEpisode: z.number(),
});
export type GroupFigures = z.infer<typeof GroupFigures>;

/** A set of episodes' figures with the per-task table and the token figures per decision (runs side by side). */
export const RunFigures = GroupFigures.extend({
  perTask: z.array(GroupFigures.extend({ task: z.string() })),
  /** Model calls over these episodes. */
  decisions: z.number().int(),
  promptTokensPerDecision: z.number(),
  cachedPromptTokensPerDecision: z.number(),
  completionTokensPerDecision: z.number(),
  /** Share of the prompt tokens served from the KV cache (0..1). */
  cachedPromptShare: z.number(),
});
export type RunFigures = z.infer<typeof RunFigures>;

/**
 * Where the episodes a run played spent their time, summed over them (parallel episodes overlap in wall time, so these
 * are shares of episode time, not of the run's): the model calls by role (their own latencies), the environment's
 * steps and valid-action lists, its resets, and the rest (prompts, grammars, store writes).
 */
export const EpisodeTime = z.object({
  episodes: z.number().int().nonnegative(),
  episodeSeconds: z.number().nonnegative(),
  modelSeconds: z.partialRecord(z.enum(MODEL_ROLES), z.number().nonnegative()),
  environmentSeconds: z.number().nonnegative(),
  resetSeconds: z.number().nonnegative(),
  otherSeconds: z.number(),
});
export type EpisodeTime = z.infer<typeof EpisodeTime>;

/** An evaluation's figures (a run's, over every selected item) and what the run itself did. */
export const EvaluationSummary = RunFigures.extend({
  env: EnvKind,
  split: z.string(),
  agent: z.string(),
  model: z.string().nullable(),
  adapter: z.string().nullable(),
  runId: z.number().int().nullable(),
  selected: z.number().int(),
  /** Selected items with no complete episode (failed or not yet run). */
  missing: z.number().int(),
  failures: z.array(z.string()),
  /**
   * Episodes that ended at a repeated state (a cycle; lost). Their steps, invalid actions and tokens are counted as
   * played round the cycle to the step cap, as a run without the repeat stop would have played them.
   */
  repeatStops: z.number().int().nonnegative(),
  /** Model calls per second of wall time in this run (0 when it ran nothing). */
  decisionsPerSecond: z.number(),
  seconds: z.number(),
  /** Where the time of the episodes this run played went; absent when it played none. */
  time: EpisodeTime.optional(),
});
export type EvaluationSummary = z.infer<typeof EvaluationSummary>;

/** The most runs one comparison takes. */
export const MAX_COMPARED_RUNS = 32;

/** One evaluation run of a comparison: who played (agent, model, adapter), where, and its figures. */
export const ComparedRun = z.object({
  runId: z.number().int(),
  name: z.string(),
  status: z.enum(STATUSES),
  env: EnvKind,
  split: z.string(),
  /** The agent as its episodes record it: the kind, "+grammar" when constrained, "@t<T>" when sampled. */
  agent: z.string(),
  model: z.string().nullable(),
  /** The adapter file, or null for the base model. */
  adapter: z.string().nullable(),
  /** What to call it: a shipped adapter's name, the training run that exported it ("BC run 4"), else the file's name. */
  adapterName: z.string().nullable(),
  /** Items the evaluation selected (null for runs recorded before it was kept). */
  planned: z.number().int().nullable(),
  /** Earlier runs of the same evaluation this one resumed: their episodes count as this run's. */
  resumed: z.array(z.number().int()),
  /** Every complete episode of the run (the latest of each game or variation). */
  all: RunFigures,
  /** Only the episodes every compared run has played. */
  common: RunFigures,
});
export type ComparedRun = z.infer<typeof ComparedRun>;

/** Evaluation runs side by side, with the games (ALFWorld) or variations (ScienceWorld) they all played. */
export const RunComparison = z.object({
  runs: z.array(ComparedRun),
  common: z.object({
    episodes: z.number().int(),
    /** Item keys: "alfworld:<game>" or "scienceworld:<task>:<variation>:<simplifications>". */
    items: z.array(z.string()),
  }),
  /** What a reader should know: different environments or splits, runs still running, no episodes in common. */
  notes: z.array(z.string()),
});
export type RunComparison = z.infer<typeof RunComparison>;

export const EvaluationProgress = z.object({
  token: z.string(),
  runId: z.number().int().nullable(),
  total: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  /** The episode that just ended. */
  label: z.string().optional(),
  score: z.number().optional(),
  won: z.boolean().optional(),
  error: z.string().optional(),
});
export type EvaluationProgress = z.infer<typeof EvaluationProgress>;
