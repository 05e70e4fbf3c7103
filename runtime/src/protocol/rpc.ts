/**
 * The JSON-RPC protocol between the extension (client) and the runtime (`stephrl serve`, server), over stdio.
 * Each request and notification is declared once, with zod schemas for its params and result; both sides
 * validate what they receive (see protocol/jsonrpc.ts).
 */
import { z } from 'zod';
import { EnvKind, EpisodeSpec, ExpertTrajectory, SEEDLESS_EXPERT, SplitEntry, TrajectoryStep } from './environment';
import {
  AgentKindSchema,
  EvaluationProgress,
  EvaluationRequest,
  EvaluationSummary,
  MAX_COMPARED_RUNS,
  MAX_PARALLEL,
  ModelChoice,
  RunComparison,
} from './agent';
import { EpisodeCriticValues, ModelList, PipelineRequest, PipelineResult, TrainingRequest, TrainingResult } from './trainer';
import { EXPORT_FORMATS, IMPORT_FORMATS } from './vocabulary';
import {
  AnnotationEdit,
  DatasetStats,
  EditRecord,
  EpisodeAnnotations,
  EpisodeDetail,
  EpisodeQuery,
  EpisodeSummary,
  RunSummary,
  DemoReport,
  MetricPoint,
  AnnotationSuggestion,
  AnnotateReport,
  JobProgress,
} from './dataset';

/** Dataset requests name the SQLite file; without one the runtime uses its default (STEPHRL_DB or ./.stephrl). */
const OnDataset = z.object({ db: z.string().optional() });
export const AnnotationStatus = z.object({
  episodeId: z.number().int(),
  subtasks: z.number().int(),
  /** Who wrote the subtasks: rule, model, human, policy (several when edited). */
  provenance: z.array(z.string()),
  reviewed: z.boolean(),
});
export type AnnotationStatus = z.infer<typeof AnnotationStatus>;
const OnEpisode = OnDataset.extend({ episodeId: z.number().int().positive() });
/** Who edits, kept in the audit trail (e.g. "user:alice"). */
const Actor = z.string().min(1).max(200);

export const ToolCheck = z.object({
  ok: z.boolean(),
  /** What was found (path and version), or what is wrong. */
  detail: z.string(),
  /** How to fix it, when not ok. */
  fix: z.string().optional(),
});
export type ToolCheck = z.infer<typeof ToolCheck>;

export const Health = z.object({
  runtimeVersion: z.string(),
  node: ToolCheck,
  python: ToolCheck,
  java: ToolCheck,
  alfworldData: ToolCheck,
  /** The default model (setup's, or $STEPHRL_MODEL). */
  model: ToolCheck,
  /** PyTorch, transformers, peft, accelerate and gguf in the Python environment. */
  trainer: ToolCheck,
  /** Where the embedded model runs with gpu 'auto' (llama.cpp's choice: CUDA, Vulkan, Metal, else the CPU). */
  device: ToolCheck,
});
export type Health = z.infer<typeof Health>;

export const requests = {
  'runtime/health': { params: z.object({}), result: Health },
  'env/listSplit': {
    params: z.object({
      env: EnvKind,
      split: z.string(),
      tasks: z.array(z.string()).optional(),
      data: z.string().optional(),
    }),
    result: z.object({ count: z.number().int(), episodes: z.array(SplitEntry) }),
  },
  /** Runs the expert through one episode; steps stream as `env/expertStep` notifications with the same token. */
  'env/runExpert': {
    params: z.object({ episode: EpisodeSpec, maxSteps: z.number().int().positive().optional(), token: z.string().optional() }),
    result: ExpertTrajectory,
  },
  'dataset/stats': { params: OnDataset.extend({ filter: EpisodeQuery.optional() }), result: DatasetStats },
  'dataset/listEpisodes': {
    params: OnDataset.extend({ filter: EpisodeQuery.optional() }),
    result: z.object({ episodes: z.array(EpisodeSummary) }),
  },
  /** Per episode of the filter that has subtasks: how many, who wrote them, and whether all are reviewed. */
  'dataset/annotationStatus': {
    params: OnDataset.extend({ filter: EpisodeQuery.optional() }),
    result: z.object({ episodes: z.array(AnnotationStatus) }),
  },
  'dataset/getEpisode': { params: OnEpisode, result: EpisodeDetail },
  /** One annotation edit, validated; refused edits change nothing and answer ErrorCodes.InvalidEdit. */
  'dataset/editAnnotation': {
    params: OnEpisode.extend({ edit: AnnotationEdit, actor: Actor.optional() }),
    result: EpisodeAnnotations,
  },
  'dataset/undoAnnotation': { params: OnEpisode.extend({ actor: Actor.optional() }), result: EpisodeAnnotations },
  'dataset/annotationHistory': { params: OnEpisode, result: z.object({ edits: z.array(EditRecord) }) },
  /** What the rule annotator proposes for a stored episode, stored nowhere (the annotator's "re-annotate a range"). */
  'dataset/suggestAnnotation': { params: OnEpisode, result: AnnotationSuggestion },
  /**
   * Runs an environment's expert over a split and stores the episodes (as `stephrl demos`; resumable); progress as
   * `job/progress` with the token; cancelling stops it, keeping every stored episode.
   */
  'dataset/collectDemonstrations': {
    params: OnDataset.extend({
      env: EnvKind,
      split: z.string().min(1),
      tasks: z.array(z.string()).optional(),
      limit: z.number().int().positive().optional(),
      perTask: z.number().int().positive().optional(),
      parallel: z.number().int().positive().max(MAX_PARALLEL).default(1),
      alfworldData: z.string().optional(),
      simplifications: z.string().min(1).optional(),
      /** ALFWorld: store tidied trajectories (default) or the expert's own. */
      tidy: z.boolean().optional(),
      /** ALFWorld: the expert's random seed; another seed than 0 stores another trajectory per game beside seed 0's. */
      seed: z.number().int().min(0).optional(),
      token: z.string().optional(),
    }).refine((r) => !r.seed || r.env !== 'scienceworld', { message: SEEDLESS_EXPERT, path: ['seed'] }),
    result: DemoReport,
  },
  /** Annotates stored episodes that lack annotations (as `stephrl annotate`), with the rule or the model annotator. */
  'dataset/annotate': {
    params: OnDataset.extend({
      filter: EpisodeQuery.optional(),
      annotator: z.enum(['rule', 'model']).default('rule'),
      model: ModelChoice.default({ gpu: 'auto', prefixReuse: true, adapterMode: 'merged' }),
      overwriteUnreviewed: z.boolean().default(false),
      token: z.string().optional(),
    }),
    result: AnnotateReport,
  },
  /**
   * Exports the episodes of a filter (as `stephrl dataset export`): steprl-raw to a folder, the others to a file;
   * sharegpt and openai-chat write the samples `agent` is trained on (one per decision, a conversation for react).
   */
  'dataset/export': {
    params: OnDataset.extend({
      filter: EpisodeQuery.optional(),
      format: z.enum(EXPORT_FORMATS),
      out: z.string().min(1),
      agent: AgentKindSchema.default('stephrl'),
    }),
    result: z.object({ episodes: z.number().int(), out: z.string() }),
  },
  /** Imports files (as `stephrl dataset import`): all or nothing, line-numbered errors; then auto-annotates. */
  'dataset/import': {
    params: OnDataset.extend({
      format: z.enum(IMPORT_FORMATS),
      files: z.array(z.string().min(1)).min(1),
      env: EnvKind.optional(),
      task: z.string().optional(),
      split: z.string().optional(),
      annotate: z.boolean().default(true),
      /** Store a second copy of input the dataset already holds (same bytes, same options); by default it is stored once. */
      again: z.boolean().default(false),
    }),
    result: z.object({
      runId: z.number().int(),
      imported: z.number().int(),
      annotated: z.number().int(),
      annotationFailures: z.array(z.string()),
      /** The import run that already holds this input, when nothing new was stored. */
      alreadyImportedBy: z.number().int().nullable(),
    }),
  },
  /** Deletes episodes with their steps, model calls, annotations and transitions (one transaction; running ones refused). */
  'dataset/deleteEpisodes': {
    params: OnDataset.extend({ ids: z.array(z.number().int().positive()).min(1).max(100_000) }),
    result: z.object({ deleted: z.number().int() }),
  },
  /** Runs, newest first, with the latest value of each metric. */
  'dataset/listRuns': {
    params: OnDataset.extend({ kind: RunSummary.shape.kind.optional(), limit: z.number().int().positive().max(1000).default(100) }),
    result: z.object({ runs: z.array(RunSummary) }),
  },
  /**
   * A run's metric points logged after `after` (a cursor from an earlier answer; 0 = from the start), in log order:
   * live curves poll with the cursor they were given and receive only what is new.
   */
  'dataset/metrics': {
    params: OnDataset.extend({
      runId: z.number().int().positive(),
      after: z.number().int().nonnegative().default(0),
      limit: z.number().int().positive().max(1_000_000).default(200_000),
    }),
    result: z.object({ points: z.array(MetricPoint), cursor: z.number().int().nonnegative() }),
  },
  /**
   * Runs an agent over a split (as `stephrl eval`), recording everything in the dataset as it happens; progress comes
   * as `agent/evaluationProgress` notifications with the same token. Cancelling the request stops the run: finished
   * episodes stay, the ones in flight are marked interrupted, and the same request later resumes it.
   */
  'agent/evaluate': { params: OnDataset.extend(EvaluationRequest.shape).extend({ token: z.string().optional() }), result: EvaluationSummary },
  /**
   * Trains with the Python trainer (as `stephrl train`); metrics land in the store as they come (live curves) and
   * steps as `job/progress`. Cancelling stops after the current step with a checkpoint; the same request resumes.
   */
  'train/run': { params: TrainingRequest, result: TrainingResult },
  /** The whole pipeline (as `stephrl pipeline`); stages as `job/progress`; cancel, then the same request resumes. */
  'train/pipeline': { params: PipelineRequest, result: PipelineResult },
  /**
   * V, Q and advantage of each decision of an episode under a critic checkpoint (critics.pt of an offline-RL run):
   * the one named, else the one beside the adapter the episode ran with. No checkpoint: empty values and the reason.
   */
  'train/criticValues': {
    params: OnDataset.extend({ episodeId: z.number().int().positive(), checkpoint: z.string().optional(), python: z.string().optional() }),
    result: EpisodeCriticValues,
  },
  /** Base models (the models folder, $STEPHRL_MODEL and `extra`) and the adapters training runs exported. */
  'models/list': { params: OnDataset.extend({ extra: z.array(z.string()).default([]) }), result: ModelList },
  /**
   * Stops a running run: one this runtime is running is cancelled as its request would be; one of another process on
   * this machine (a CLI run) gets SIGTERM, which it handles the same way (finish the step, keep everything).
   */
  'runs/stop': {
    params: OnDataset.extend({ runId: z.number().int().positive() }),
    result: z.object({ how: z.enum(['cancelled', 'signalled']) }),
  },
  /**
   * Evaluation runs side by side (as `stephrl runs compare`): per run its agent, model, adapter, episodes done and
   * planned, success or score with the 95% interval, per task, invalid actions, steps and prompt tokens, over all its
   * episodes and over the games or variations every run played (`common`).
   */
  'runs/compare': {
    params: OnDataset.extend({ runIds: z.array(z.number().int().positive()).min(1).max(MAX_COMPARED_RUNS) }),
    result: RunComparison,
  },
  /** Deletes a finished run with its metrics and checkpoint records (and its episodes when asked); files stay on disk. */
  'runs/delete': {
    params: OnDataset.extend({ runId: z.number().int().positive(), episodes: z.boolean().default(false) }),
    result: z.object({ episodes: z.number().int(), files: z.array(z.string()) }),
  },
} as const;

export const notifications = {
  'runtime/log': z.object({ level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() }),
  'env/expertStep': z.object({ token: z.string(), step: TrajectoryStep }),
  'agent/evaluationProgress': EvaluationProgress,
  'job/progress': JobProgress,
} as const;

export type RequestName = keyof typeof requests;
/** Params as a handler sees them (defaults filled in) and as a caller may send them (defaults optional). */
export type RequestParams<N extends RequestName> = z.infer<(typeof requests)[N]['params']>;
export type RequestInput<N extends RequestName> = z.input<(typeof requests)[N]['params']>;
export type RequestResult<N extends RequestName> = z.infer<(typeof requests)[N]['result']>;
export type NotificationName = keyof typeof notifications;
export type NotificationParams<N extends NotificationName> = z.infer<(typeof notifications)[N]>;
