/**
 * Annotates stored episodes: with the local rule annotators (deterministic, no model, no network) by default, or
 * with any other annotator (the model annotator) that returns the same draft.
 */
import type { EnvKind, ExpertTrajectory } from '../protocol/environment';
import type { EpisodeDetail } from '../protocol/dataset';
import type { DatasetStore } from '../store/dataset-store';
import type { EpisodeFilter } from '../store/episodes';
import type { AnnotateReport, Provenance } from '../protocol/dataset';
import type { AnnotatableEpisode, AnnotationDraft, Annotator } from './types';
import { annotateAlfworld } from './alfworld';
import { annotateScienceWorld } from './scienceworld';

export const RULE_ANNOTATORS: Record<EnvKind, Annotator> = {
  scienceworld: annotateScienceWorld,
  alfworld: annotateAlfworld,
};

export const RULE_ANNOTATOR_ACTOR = 'rule-annotator';

export function annotatable(e: EpisodeDetail): AnnotatableEpisode {
  return {
    env: e.env,
    task: e.task,
    taskDescription: e.taskDescription,
    ...(e.taskParams ? { taskParams: e.taskParams } : {}),
    initialObservation: e.initialObservation,
    ...(e.initialLook !== null ? { initialLook: e.initialLook } : {}),
    ...(e.initialInventory !== null ? { initialInventory: e.initialInventory } : {}),
    steps: e.steps.map((s) => ({
      action: s.action,
      observation: s.observation,
      ...(s.look !== null ? { look: s.look } : {}),
      ...(s.inventory !== null ? { inventory: s.inventory } : {}),
      invalid: s.invalid,
      reward: s.reward,
      score: s.score,
      done: s.done,
    })),
  };
}

/** An expert trajectory straight from an environment (not yet stored), as an annotator sees it. */
export function annotatableTrajectory(
  t: Pick<
    ExpertTrajectory,
    'episode' | 'taskDescription' | 'taskType' | 'taskParams' | 'initialObservation' | 'initialLook' | 'initialInventory' | 'steps'
  >,
): AnnotatableEpisode {
  return {
    env: t.episode.env,
    task: t.episode.env === 'scienceworld' ? t.episode.task : (t.taskType ?? ''),
    taskDescription: t.taskDescription,
    ...(t.taskParams ? { taskParams: t.taskParams } : {}),
    initialObservation: t.initialObservation,
    ...(t.initialLook !== undefined ? { initialLook: t.initialLook } : {}),
    ...(t.initialInventory !== undefined ? { initialInventory: t.initialInventory } : {}),
    steps: t.steps.map((s) => ({
      action: s.action,
      observation: s.observation,
      ...(s.look !== undefined ? { look: s.look } : {}),
      ...(s.inventory !== undefined ? { inventory: s.inventory } : {}),
      invalid: s.invalid,
      reward: s.reward,
      score: s.score,
      done: s.done,
    })),
  };
}

export type { AnnotateReport };

/** Who annotates: a function from an episode to a draft, with the provenance and actor its records carry. */
export interface AnnotatorChoice {
  annotate: (episode: AnnotatableEpisode) => AnnotationDraft | Promise<AnnotationDraft>;
  provenance: Provenance;
  actor: string;
}

export const RULE_ANNOTATOR: AnnotatorChoice = {
  annotate: (episode) => RULE_ANNOTATORS[episode.env](episode),
  provenance: 'rule',
  actor: RULE_ANNOTATOR_ACTOR,
};

/** Annotates complete episodes that lack annotations (or, with overwriteUnreviewed, replaces unreviewed ones). */
export async function annotateStoredEpisodes(
  store: DatasetStore,
  options: {
    filter?: EpisodeFilter;
    overwriteUnreviewed?: boolean;
    annotator?: AnnotatorChoice;
    onEpisode?: (ok: boolean) => void;
    signal?: AbortSignal;
  } = {},
): Promise<AnnotateReport> {
  const annotator = options.annotator ?? RULE_ANNOTATOR;
  const started = performance.now();
  const report: AnnotateReport = { episodes: 0, written: 0, keptExisting: 0, keptReviewed: 0, failed: 0, failures: [], seconds: 0 };
  const episodes = await store.episodes.list({ status: 'complete', ...options.filter });
  for (const summary of episodes) {
    if (options.signal?.aborted) break;
    report.episodes++;
    try {
      const episode = await store.episodes.get(summary.id);
      const draft = await annotator.annotate(annotatable(episode));
      const outcome = await store.annotations.applyDraft(episode.id, draft, {
        provenance: annotator.provenance,
        actor: annotator.actor,
        overwriteUnreviewed: options.overwriteUnreviewed ?? false,
      });
      if (outcome === 'written') report.written++;
      else if (outcome === 'kept-existing') report.keptExisting++;
      else report.keptReviewed++;
      options.onEpisode?.(true);
    } catch (error) {
      report.failed++;
      report.failures.push(`episode ${summary.id} (${summary.env} ${summary.task}): ${(error as Error).message}`);
      options.onEpisode?.(false);
    }
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
