/** The comparison as CSV: one row per run (task empty), then one per run and task, with every figure the view shows. */
import type { GroupFigures, RunComparison } from '../../../runtime/src/protocol/agent';
import { figuresOf } from '../../../runtime/src/protocol/comparison';
import { csvField } from '../curves/csv';

export const COMPARE_CSV_HEADER = [
  'run_id',
  'run_name',
  'agent',
  'model',
  'adapter',
  'env',
  'split',
  'episodes_scope',
  'task',
  'episodes',
  'planned',
  'success_rate',
  'success_low',
  'success_high',
  'mean_score',
  'score_low',
  'score_high',
  'invalid_action_rate',
  'mean_steps',
  'prompt_tokens_per_episode',
  'prompt_tokens_per_decision',
  'cached_prompt_share',
] as const;

const groupCells = (f: GroupFigures) => [
  f.episodes,
  f.successRate,
  f.successInterval[0],
  f.successInterval[1],
  f.meanScore,
  f.scoreInterval[0],
  f.scoreInterval[1],
  f.invalidActionRate,
  f.meanSteps,
  f.promptTokensPerEpisode,
];

/** `common`: the figures over only the episodes every run played (episodes_scope "common"), else over all ("all"). */
export function comparisonCsv(comparison: RunComparison, common: boolean): string {
  const lines = [COMPARE_CSV_HEADER.join(',')];
  const row = (cells: Array<string | number>) => lines.push(cells.map(csvField).join(','));
  for (const run of comparison.runs) {
    const f = figuresOf(run, common);
    const who = [run.runId, run.name, run.agent, run.model ?? '', run.adapterName ?? '', run.env, run.split, common ? 'common' : 'all'];
    const [episodes, ...rest] = groupCells(f);
    row([...who, '', episodes!, run.planned ?? '', ...rest, f.promptTokensPerDecision, f.cachedPromptShare]);
    for (const t of f.perTask) {
      const [n, ...others] = groupCells(t);
      row([...who, t.task, n!, '', ...others, '', '']);
    }
  }
  return lines.join('\n') + '\n';
}
