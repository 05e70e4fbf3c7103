/**
 * Messages between the extension host and its webviews (postMessage), declared once and validated on arrival
 * on both sides. The webview never trusts a message it cannot parse; the host never acts on one.
 *
 * Views: `status` (runtime health), `inspector` (one episode, or two side by side), `curves` (training curves of
 * runs), `annotator` (edit a demonstration's subtasks and local progress), `compare` (evaluation runs side by side).
 */
import { z } from 'zod';
import { Health } from './rpc';
import { AnnotationEdit, AnnotationSuggestion, EpisodeAnnotations, EpisodeDetail, RunSummary } from './dataset';
import { MetricColumns } from './metric-columns';
import { EpisodeCriticValues } from './trainer';
import { RunComparison } from './agent';

export const WEBVIEW_VIEWS = ['status', 'inspector', 'curves', 'annotator', 'compare'] as const;
export type WebviewView = (typeof WEBVIEW_VIEWS)[number];

const EpisodeId = z.number().int().positive();

/** What a view keeps across reloads (vscode.setState), and what the host reopens it with. */
export const ViewState = z.object({
  episodeIds: z.array(EpisodeId).max(2).optional(),
  runIds: z.array(z.number().int().positive()).optional(),
  metrics: z.array(z.string()).optional(),
  smoothing: z.number().min(0).max(0.999).optional(),
  logScale: z.boolean().optional(),
  filter: z.string().optional(),
  /** Compare: figures over only the episodes every run played. */
  commonOnly: z.boolean().optional(),
});
export type ViewState = z.infer<typeof ViewState>;

// ---- host -> view ----

const RuntimeStatusMessage = z.object({
  type: z.literal('runtimeStatus'),
  state: z.enum(['starting', 'ready', 'stopped', 'restricted', 'failed']),
  message: z.string(),
  health: Health.optional(),
});
/** Inspector: the episode(s) to show (two = side by side); sent again as a running episode grows. */
const EpisodesMessage = z.object({ type: z.literal('episodes'), episodes: z.array(EpisodeDetail).min(1).max(2) });
/** Inspector: the critics' V, Q and advantage for an episode shown (or why there are none). */
const CriticValuesMessage = z.object({ type: z.literal('criticValues'), values: EpisodeCriticValues, pending: z.boolean().default(false) });
/** Curves: the runs that can be plotted (newest first) and which are selected. */
const RunsMessage = z.object({ type: z.literal('runs'), runs: z.array(RunSummary), selected: z.array(z.number().int().positive()) });
/** Curves: new points of a run, in log order, as columns; `reset` drops what the view held for it first. */
const MetricPointsMessage = z.object({
  type: z.literal('metricPoints'),
  runId: z.number().int().positive(),
  columns: MetricColumns,
  reset: z.boolean(),
});
/** Annotator: the episode to edit and where it is in the queue of unreviewed demonstrations. */
const AnnotateMessage = z.object({
  type: z.literal('annotate'),
  episode: EpisodeDetail,
  queue: z.object({ unreviewed: z.number().int().nonnegative(), next: EpisodeId.nullable() }),
  canUndo: z.boolean(),
});
/** Annotator: an edit (or undo) was stored; the annotations as they now are. */
const AnnotationSavedMessage = z.object({ type: z.literal('annotationSaved'), annotations: EpisodeAnnotations, canUndo: z.boolean() });
/** Annotator: the runtime refused an edit (nothing changed); the reason, shown next to the control. */
const AnnotationRefusedMessage = z.object({ type: z.literal('annotationRefused'), message: z.string(), edit: AnnotationEdit.optional() });
/** Annotator: the rule annotator's proposal for the whole episode (the view applies the chosen range). */
const SuggestionMessage = z.object({ type: z.literal('suggestion'), episodeId: EpisodeId, suggestion: AnnotationSuggestion });

/** Compare: the runs side by side (sent again on refresh), or why they could not be compared. */
const ComparisonMessage = z.object({ type: z.literal('comparison'), comparison: RunComparison.nullable(), error: z.string().optional() });

// ---- view -> host ----

const ReadyMessage = z.object({ type: z.literal('ready') });
/** The view's state changed (the host keeps it to reopen the view after a reload). */
const StateMessage = z.object({ type: z.literal('state'), state: ViewState });
const RecheckMessage = z.object({ type: z.literal('recheck') });
const ShowLogsMessage = z.object({ type: z.literal('showLogs') });
/** Inspector: pick an episode to show beside this one. */
const CompareMessage = z.object({ type: z.literal('compare'), episodeId: EpisodeId });
/** Inspector: choose a critic checkpoint (an offline-RL training folder) to score this episode with. */
const PickCriticsMessage = z.object({ type: z.literal('pickCritics'), episodeId: EpisodeId });
/** Inspector: open this episode in the annotator. */
const OpenAnnotatorMessage = z.object({ type: z.literal('openAnnotator'), episodeId: EpisodeId });
/** Curves: plot these runs (the host streams their points). */
const SelectRunsMessage = z.object({ type: z.literal('selectRuns'), runIds: z.array(z.number().int().positive()).max(32) });
/** Curves: save an export through a save dialog (CSV text, or a PNG as a data: URL). */
const SaveFileMessage = z.object({
  type: z.literal('saveFile'),
  format: z.enum(['csv', 'png']),
  suggestedName: z.string().regex(/^[\w.-]{1,120}$/),
  data: z.string().max(50_000_000),
});
/** Compare: put this text (the table as CSV) on the clipboard. */
const CopyMessage = z.object({ type: z.literal('copy'), text: z.string().max(5_000_000) });
/** Compare: ask the runtime again (running runs grow). */
const RefreshMessage = z.object({ type: z.literal('refresh') });
/** Annotator: store one edit (through the runtime, with its audit row). */
const EditMessage = z.object({ type: z.literal('edit'), episodeId: EpisodeId, edit: AnnotationEdit });
const UndoMessage = z.object({ type: z.literal('undo'), episodeId: EpisodeId });
const SuggestMessage = z.object({ type: z.literal('suggest'), episodeId: EpisodeId });
/** Annotator: open the next unreviewed demonstration of the queue. */
const NextMessage = z.object({ type: z.literal('next') });

/**
 * What each view and its host may say to each other: a message another view would take is refused on arrival, and
 * each side's handler only sees its own view's messages.
 */
export const VIEW_MESSAGES = {
  status: {
    toView: z.discriminatedUnion('type', [RuntimeStatusMessage]),
    toHost: z.discriminatedUnion('type', [ReadyMessage, RecheckMessage, ShowLogsMessage]),
  },
  inspector: {
    toView: z.discriminatedUnion('type', [EpisodesMessage, CriticValuesMessage]),
    toHost: z.discriminatedUnion('type', [ReadyMessage, StateMessage, CompareMessage, PickCriticsMessage, OpenAnnotatorMessage]),
  },
  curves: {
    toView: z.discriminatedUnion('type', [RunsMessage, MetricPointsMessage]),
    toHost: z.discriminatedUnion('type', [ReadyMessage, StateMessage, SelectRunsMessage, SaveFileMessage]),
  },
  annotator: {
    toView: z.discriminatedUnion('type', [AnnotateMessage, AnnotationSavedMessage, AnnotationRefusedMessage, SuggestionMessage]),
    toHost: z.discriminatedUnion('type', [ReadyMessage, StateMessage, EditMessage, UndoMessage, SuggestMessage, NextMessage]),
  },
  compare: {
    toView: z.discriminatedUnion('type', [ComparisonMessage]),
    toHost: z.discriminatedUnion('type', [ReadyMessage, StateMessage, CopyMessage, RefreshMessage]),
  },
} as const satisfies Record<WebviewView, { toView: z.ZodType; toHost: z.ZodType }>;

export type ToView<V extends WebviewView> = z.infer<(typeof VIEW_MESSAGES)[V]['toView']>;
export type ToHost<V extends WebviewView> = z.infer<(typeof VIEW_MESSAGES)[V]['toHost']>;

/** Every message a host may send to any view, and every message any view may send (the views' unions together). */
export const HostToWebview = z.discriminatedUnion('type', [
  RuntimeStatusMessage,
  EpisodesMessage,
  CriticValuesMessage,
  RunsMessage,
  MetricPointsMessage,
  AnnotateMessage,
  AnnotationSavedMessage,
  AnnotationRefusedMessage,
  SuggestionMessage,
  ComparisonMessage,
]);
export type HostToWebview = z.infer<typeof HostToWebview>;

export const WebviewToHost = z.discriminatedUnion('type', [
  ReadyMessage,
  StateMessage,
  RecheckMessage,
  ShowLogsMessage,
  CompareMessage,
  PickCriticsMessage,
  OpenAnnotatorMessage,
  SelectRunsMessage,
  SaveFileMessage,
  EditMessage,
  UndoMessage,
  SuggestMessage,
  NextMessage,
  CopyMessage,
  RefreshMessage,
]);
export type WebviewToHost = z.infer<typeof WebviewToHost>;

/**
 * Checks a message on arrival. A refusal says which kind of message it was and its first problem, in a few hundred
 * characters at most: never the message itself, which may be megabytes of anything.
 */
export function checkMessage<T>(schema: z.ZodType<T>, raw: unknown): { ok: true; message: T } | { ok: false; reason: string } {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  const type = (raw as { type?: unknown } | null)?.type;
  const kind = typeof type === 'string' ? `a '${type.length > 40 ? `${type.slice(0, 40)}...` : type}' message` : 'a message without a type';
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.map(String).join('.').slice(0, 80)}` : '';
  return { ok: false, reason: `${kind}${where}: ${(issue?.message ?? 'not valid').slice(0, 200)}` };
}
