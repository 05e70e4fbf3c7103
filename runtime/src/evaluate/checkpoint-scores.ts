/**
 * An evaluation of an adapter that a training run exported also lands on that run's curves: success rate and mean
 * score at the step the adapter was taken from (the best validated step, else the last), named by split and
 * decoding, so training loss, validation loss and evaluation success read off one chart.
 */
import type { EvaluationSummary } from '../protocol/agent';
import type { DatasetStore } from '../store/dataset-store';

/** The metric names an evaluation adds to its training run, e.g. eval/valid_seen/successRate, eval/valid_seen+grammar/successRate. */
export const checkpointMetricNames = (split: string, constrained: boolean) => {
  const tag = `eval/${split}${constrained ? '+grammar' : ''}`;
  return { success: `${tag}/successRate`, score: `${tag}/meanScore` };
};

/** Returns the training run the figures went to, or null when the adapter is not one this dataset's training exported. */
export async function recordOnTrainingRun(
  store: DatasetStore,
  adapter: string | null,
  summary: Pick<EvaluationSummary, 'split' | 'successRate' | 'meanScore' | 'episodes'>,
  constrained: boolean,
): Promise<{ runId: number; step: number } | null> {
  if (!adapter || !summary.episodes) return null;
  const exported = await store.db.get<{ run_id: number }>(
    `SELECT run_id FROM checkpoints WHERE path = ? AND kind = 'gguf-adapter' ORDER BY id DESC LIMIT 1`,
    [adapter],
  );
  if (!exported) return null;
  const taken = await store.runs.adapterStep(exported.run_id);
  const last = await store.db.get<{ step: number | null }>('SELECT max(step) AS step FROM metrics WHERE run_id = ?', [exported.run_id]);
  const step = taken ?? last?.step ?? 0;
  const names = checkpointMetricNames(summary.split, constrained);
  await store.runs.setMetrics(exported.run_id, step, { [names.success]: summary.successRate, [names.score]: summary.meanScore });
  return { runId: exported.run_id, step };
}
