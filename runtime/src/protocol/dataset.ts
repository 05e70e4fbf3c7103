/**
 * Dataset records as they cross a boundary (JSON-RPC to the extension and webview, JSONL files): episodes with
 * their steps, subtasks, local progress and model calls, and the annotation edits. Mirrors store/schema.ts.
 */
import { z } from 'zod';
import { EnvKind } from './environment';
import { EPISODE_SOURCES, MODEL_ROLES, PROVENANCES, RUN_KINDS, STATUSES } from './vocabulary';

const Status = z.enum(STATUSES);
export const Provenance = z.enum(PROVENANCES);
export type Provenance = z.infer<typeof Provenance>;

export const StepRecord = z.object({
  idx: z.number().int().nonnegative(),
  action: z.string(),
  observation: z.string(),
  look: z.string().nullable(),
  inventory: z.string().nullable(),
  reward: z.number(),
  score: z.number(),
  done: z.boolean(),
  won: z.boolean(),
  truncated: z.boolean(),
  invalid: z.boolean(),
});
export type StepRecord = z.infer<typeof StepRecord>;

/** An episode's subtasks and local progress as an annotator proposes them, before they are stored. */
export interface SubtaskSegment {
  name: string;
  firstStep: number;
  lastStep: number;
}

export interface AnnotationDraft {
  subtasks: SubtaskSegment[];
  /** progress[i]: the local progress after step i, inside the subtask holding step i. */
  progress: string[];
}

export const SubtaskRecord = z.object({
  name: z.string().trim().min(1, 'a subtask name cannot be empty'),
  firstStep: z.number().int().nonnegative(),
  lastStep: z.number().int().nonnegative(),
  provenance: Provenance,
  reviewed: z.boolean(),
});
export type SubtaskRecord = z.infer<typeof SubtaskRecord>;

export const ProgressRecord = z.object({
  step: z.number().int().nonnegative(),
  text: z.string(),
  provenance: Provenance,
  reviewed: z.boolean(),
});
export type ProgressRecord = z.infer<typeof ProgressRecord>;

export const ModelCallRecord = z.object({
  stepIdx: z.number().int().nonnegative().nullable(),
  role: z.enum(MODEL_ROLES),
  promptTokens: z.number().int().nonnegative(),
  cachedPromptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative(),
  prompt: z.string().nullable(),
  completion: z.string().nullable(),
  createdAt: z.string(),
});
export type ModelCallRecord = z.infer<typeof ModelCallRecord>;

/** An episode's own fields (everything but its id, run and children). */
export const EpisodeFields = z.object({
  env: EnvKind,
  split: z.string().nullable(),
  task: z.string().min(1),
  variation: z.number().int().nonnegative().nullable(),
  simplifications: z.string().nullable(),
  game: z.string().nullable(),
  taskParams: z.record(z.string(), z.union([z.string(), z.boolean()])).nullable(),
  source: z.enum(EPISODE_SOURCES),
  agent: z.string().min(1),
  model: z.string().nullable(),
  adapter: z.string().nullable(),
  engineName: z.string(),
  engineVersion: z.string(),
  taskDescription: z.string(),
  initialObservation: z.string(),
  initialLook: z.string().nullable(),
  initialInventory: z.string().nullable(),
  maxSteps: z.number().int().positive().nullable(),
  status: Status,
  stoppedBy: z.string().nullable(),
  error: z.string().nullable(),
  score: z.number(),
  won: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  seconds: z.number().nullable(),
});
export type EpisodeFields = z.infer<typeof EpisodeFields>;

/** Totals kept on the episode row, derived from its steps and model calls. */
export const EpisodeTotals = z.object({
  stepCount: z.number().int().nonnegative(),
  invalidCount: z.number().int().nonnegative(),
  modelCalls: z.number().int().nonnegative(),
  promptTokens: z.number().int().nonnegative(),
  cachedPromptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
});

export const EpisodeSummary = EpisodeFields.extend(EpisodeTotals.shape).extend({
  id: z.number().int().positive(),
  runId: z.number().int().nullable(),
});
export type EpisodeSummary = z.infer<typeof EpisodeSummary>;

/** An episode with everything recorded about it. */
export const EpisodeDetail = EpisodeSummary.extend({
  steps: z.array(StepRecord),
  subtasks: z.array(SubtaskRecord),
  progress: z.array(ProgressRecord),
  modelCalls: z.array(ModelCallRecord),
});
export type EpisodeDetail = z.infer<typeof EpisodeDetail>;

/** Edits of one episode's annotations (webview annotator, CLI). Steps are 0-based. */
export const AnnotationEdit = z.discriminatedUnion('op', [
  /** Cut subtask `subtask` so that a new one starts at `atStep`; the new one is called `name`. */
  z.object({ op: z.literal('split'), subtask: z.number().int().nonnegative(), atStep: z.number().int(), name: z.string() }),
  /** Merge subtask `subtask` with the one after it, keeping `name` (default: the first one's). */
  z.object({ op: z.literal('merge'), subtask: z.number().int().nonnegative(), name: z.string().optional() }),
  /** Move the boundary between subtask `subtask` and the next one so that the next one starts at `toStep`. */
  z.object({ op: z.literal('moveBoundary'), subtask: z.number().int().nonnegative(), toStep: z.number().int() }),
  z.object({ op: z.literal('rename'), subtask: z.number().int().nonnegative(), name: z.string() }),
  z.object({ op: z.literal('setProgress'), step: z.number().int().nonnegative(), text: z.string() }),
  /** Mark the whole annotation (subtasks and progress) reviewed, or not. */
  z.object({ op: z.literal('review'), reviewed: z.boolean().default(true) }),
  /** Replace the whole segmentation (e.g. the annotator's table editor). */
  z.object({
    op: z.literal('setSubtasks'),
    subtasks: z.array(z.object({ name: z.string(), firstStep: z.number().int(), lastStep: z.number().int() })),
  }),
]);
export type AnnotationEdit = z.infer<typeof AnnotationEdit>;

export const EditRecord = z.object({
  id: z.number().int(),
  episodeId: z.number().int(),
  operation: z.string(),
  actor: z.string(),
  createdAt: z.string(),
  undoneBy: z.number().int().nullable(),
  oldValue: z.unknown(),
  newValue: z.unknown(),
});
export type EditRecord = z.infer<typeof EditRecord>;

/** An episode's annotations as the annotator edits them. */
export const EpisodeAnnotations = z.object({
  episodeId: z.number().int(),
  stepCount: z.number().int().nonnegative(),
  subtasks: z.array(SubtaskRecord),
  progress: z.array(ProgressRecord),
});
export type EpisodeAnnotations = z.infer<typeof EpisodeAnnotations>;

export const EpisodeQuery = z.object({
  env: EnvKind.optional(),
  split: z.string().optional(),
  source: z.enum(EPISODE_SOURCES).optional(),
  status: Status.optional(),
  tasks: z.array(z.string()).optional(),
  ids: z.array(z.number().int().positive()).optional(),
  runId: z.number().int().positive().optional(),
  wonOnly: z.boolean().optional(),
  limit: z.number().int().positive().optional(),
});
export type EpisodeQuery = z.infer<typeof EpisodeQuery>;

const Counts = z.record(z.string(), z.number());
export const DatasetStats = z.object({
  file: z.string(),
  schemaVersion: z.number().int(),
  episodes: z.object({ total: z.number(), byEnv: Counts, bySource: Counts, byStatus: Counts, won: z.number() }),
  steps: z.number(),
  subtasks: z.number(),
  annotation: z.object({
    annotatedEpisodes: z.number(),
    completeEpisodes: z.number(),
    progressCoverage: z.number(),
    reviewedShare: z.number(),
    subtasksByProvenance: Counts,
    progressByProvenance: Counts,
    edits: z.number(),
  }),
  transitions: z.object({ high: z.number(), low: z.number(), progress: z.number() }),
  runs: Counts,
});

/** A run (collect, eval, train, annotate, import) as the Runs view lists it, with the latest value of each metric. */
export const RunSummary = z.object({
  id: z.number().int(),
  kind: z.enum(RUN_KINDS),
  name: z.string(),
  status: Status,
  error: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  metrics: z.record(z.string(), z.number()),
});
export type RunSummary = z.infer<typeof RunSummary>;

/** One logged value of a run's metric (a training loss at an optimizer step, an evaluation figure...). */
export const MetricPoint = z.object({ step: z.number().int(), name: z.string(), value: z.number() });
export type MetricPoint = z.infer<typeof MetricPoint>;

/** An annotator's proposal for an episode: subtasks covering its steps, and the local progress after each step. */
export const AnnotationSuggestion = z.object({
  subtasks: z.array(z.object({ name: z.string(), firstStep: z.number().int().nonnegative(), lastStep: z.number().int().nonnegative() })),
  progress: z.array(z.string()),
});
export type AnnotationSuggestion = z.infer<typeof AnnotationSuggestion>;

/** What `demos` did: episodes selected, already stored (skipped), stored now, failed, won. */
export const DemoReport = z.object({
  runId: z.number().int().nullable(),
  env: EnvKind,
  split: z.string(),
  selected: z.number().int(),
  skipped: z.number().int(),
  stored: z.number().int(),
  failed: z.number().int(),
  won: z.number().int(),
  steps: z.number().int(),
  failures: z.array(z.string()),
  interrupted: z.boolean(),
  seconds: z.number(),
});
export type DemoReport = z.infer<typeof DemoReport>;

/** What an annotation pass did: written, kept (already annotated, or reviewed/edited), failed. */
export const AnnotateReport = z.object({
  episodes: z.number().int(),
  written: z.number().int(),
  keptExisting: z.number().int(),
  keptReviewed: z.number().int(),
  failed: z.number().int(),
  failures: z.array(z.string()),
  seconds: z.number(),
});
export type AnnotateReport = z.infer<typeof AnnotateReport>;

/** Progress of a long job (demonstrations, annotation) started over JSON-RPC with a token. */
export const JobProgress = z.object({
  token: z.string(),
  total: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  label: z.string().optional(),
  error: z.string().optional(),
});
export type JobProgress = z.infer<typeof JobProgress>;
