/**
 * How runs side by side read, wherever they are shown (`stephrl runs compare`, the extension's comparison view): the
 * columns, how each value is written ("44.4% (25–66%)"), which way is better, and the per-task cells. Pure, so that
 * the CLI and the webview show the same table.
 */
import type { ComparedRun, GroupFigures, RunComparison, RunFigures } from './agent';
import type { EnvKind } from './environment';

/** ALFWorld reports the success rate; ScienceWorld the mean score (0..100). */
export const headlineOf = (env: EnvKind): 'success' | 'score' => (env === 'scienceworld' ? 'score' : 'success');

const percent = (x: number, digits: number) => `${(x * 100).toFixed(digits)}%`;

/** "44.4% (25–66%)" for a success rate, "41.2 (30–52)" for a mean score: the figure with its 95% interval. */
export function formatHeadline(env: EnvKind, f: GroupFigures): string {
  if (!f.episodes) return '–';
  if (headlineOf(env) === 'score') return `${f.meanScore.toFixed(1)} (${f.scoreInterval[0].toFixed(0)}–${f.scoreInterval[1].toFixed(0)})`;
  return `${percent(f.successRate, 1)} (${(f.successInterval[0] * 100).toFixed(0)}–${percent(f.successInterval[1], 0)})`;
}

/** A per-task cell: "2/3" (won of episodes) for ALFWorld, "41.2 (n=3)" (mean score of episodes) for ScienceWorld. */
export function formatTaskCell(env: EnvKind, f: GroupFigures): string {
  if (!f.episodes) return '–';
  return headlineOf(env) === 'score' ? `${f.meanScore.toFixed(1)} (n=${f.episodes})` : `${Math.round(f.successRate * f.episodes)}/${f.episodes}`;
}

/** "stephrl+grammar · BC run 4", "react · base model". */
export const runLabel = (run: Pick<ComparedRun, 'agent' | 'adapterName'>): string => `${run.agent} · ${run.adapterName ?? 'base model'}`;

/** The run's figures: over all its episodes, or only those every compared run played. */
export const figuresOf = (run: ComparedRun, common: boolean): RunFigures => (common ? run.common : run.all);

export interface ComparisonColumn {
  key: 'headline' | 'invalid' | 'steps' | 'promptPerEpisode' | 'promptPerDecision' | 'cached';
  label: string;
  /** Which way is better (null: neither, nothing is marked). */
  better: 'higher' | 'lower' | null;
  value: (run: ComparedRun, f: RunFigures) => number;
  text: (run: ComparedRun, f: RunFigures) => string;
}

export const COMPARISON_COLUMNS: readonly ComparisonColumn[] = [
  {
    key: 'headline',
    label: 'success / score (95% CI)',
    better: 'higher',
    value: (r, f) => (headlineOf(r.env) === 'score' ? f.meanScore : f.successRate),
    text: (r, f) => formatHeadline(r.env, f),
  },
  { key: 'invalid', label: 'invalid', better: 'lower', value: (_, f) => f.invalidActionRate, text: (_, f) => percent(f.invalidActionRate, 1) },
  { key: 'steps', label: 'steps', better: 'lower', value: (_, f) => f.meanSteps, text: (_, f) => f.meanSteps.toFixed(1) },
  {
    key: 'promptPerEpisode',
    label: 'prompt tokens / episode',
    better: 'lower',
    value: (_, f) => f.promptTokensPerEpisode,
    text: (_, f) => Math.round(f.promptTokensPerEpisode).toLocaleString('en-US'),
  },
  {
    key: 'promptPerDecision',
    label: 'prompt tokens / decision',
    better: 'lower',
    value: (_, f) => f.promptTokensPerDecision,
    text: (_, f) => Math.round(f.promptTokensPerDecision).toLocaleString('en-US'),
  },
  { key: 'cached', label: 'cached', better: null, value: (_, f) => f.cachedPromptShare, text: (_, f) => percent(f.cachedPromptShare, 0) },
];

/**
 * The runs holding a column's best value: only among runs with episodes, only when at least two have some and they
 * differ, and for the headline only when all runs report the same figure (one environment).
 */
export function bestRuns(runs: readonly ComparedRun[], column: ComparisonColumn, common: boolean): Set<number> {
  const measured = runs.filter((r) => figuresOf(r, common).episodes > 0);
  if (!column.better || measured.length < 2) return new Set();
  if (column.key === 'headline' && new Set(measured.map((r) => headlineOf(r.env))).size > 1) return new Set();
  const values = measured.map((r) => column.value(r, figuresOf(r, common)));
  const best = column.better === 'higher' ? Math.max(...values) : Math.min(...values);
  if (values.every((v) => v === best)) return new Set();
  return new Set(measured.filter((_, i) => values[i] === best).map((r) => r.runId));
}

export interface TaskRow {
  task: string;
  /** One cell per run, in the runs' order (null: the run played no episode of this task). */
  cells: Array<{ runId: number; text: string; best: boolean } | null>;
}

/** Per task (all runs' tasks, in order): each run's wins of episodes or mean score, the best marked. */
export function taskRows(comparison: RunComparison, common: boolean): TaskRow[] {
  const { runs } = comparison;
  const tasks = [...new Set(runs.flatMap((r) => figuresOf(r, common).perTask.map((t) => t.task)))].sort((a, b) => a.localeCompare(b));
  const oneHeadline = new Set(runs.map((r) => headlineOf(r.env))).size === 1;
  return tasks.map((task) => {
    const found = runs.map((r) => figuresOf(r, common).perTask.find((t) => t.task === task) ?? null);
    const value = (r: ComparedRun, f: GroupFigures) => (headlineOf(r.env) === 'score' ? f.meanScore : f.successRate);
    const values = found.map((f, i) => (f && f.episodes ? value(runs[i]!, f) : null));
    const present = values.filter((v): v is number => v !== null);
    const best = oneHeadline && present.length > 1 && new Set(present).size > 1 ? Math.max(...present) : null;
    return {
      task,
      cells: found.map((f, i) =>
        f ? { runId: runs[i]!.runId, text: formatTaskCell(runs[i]!.env, f), best: best !== null && values[i] === best } : null,
      ),
    };
  });
}
