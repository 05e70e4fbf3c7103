/** How a run shows in the Runs view: its name, status, key figure and duration; no VS Code types, so it is testable. */
import type { RunSummary } from '../../../runtime/src/protocol/dataset';
import { headlineLoss } from '../../../runtime/src/protocol/metrics';
import type { ItemView } from './item-view';

export type RunItemView = ItemView;

const ICONS: Record<RunSummary['status'], string> = {
  running: 'sync~spin',
  complete: 'pass',
  failed: 'error',
  interrupted: 'debug-pause',
};

function duration(run: RunSummary, now: Date): string {
  const end = run.finishedAt ? new Date(run.finishedAt) : now;
  const seconds = Math.max(0, (end.getTime() - new Date(run.startedAt).getTime()) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** The one figure that says how a run went: score or success for evaluations, the last loss for training. */
export function keyMetric(run: RunSummary): string | null {
  const m = run.metrics;
  if (run.kind === 'eval' && m['eval/episodes'] !== undefined) {
    const env = (run.config as { env?: string }).env;
    const figure = env === 'scienceworld' ? `score ${m['eval/meanScore']!.toFixed(1)}` : `success ${(100 * m['eval/successRate']!).toFixed(1)}%`;
    return `${figure} (${m['eval/episodes']} episode${m['eval/episodes'] === 1 ? '' : 's'})`;
  }
  // Behaviour cloning reports a total loss; offline RL its actor and critic terms (the low level's are the busiest).
  const namespaced = Object.keys(m).find((name) => /\/loss$/.test(name)); // e.g. "bc/loss" from other trainers' logs
  const loss = headlineLoss(m) ?? (namespaced ? { name: 'loss', value: m[namespaced]! } : null);
  return loss ? `${loss.name} ${loss.value.toFixed(4)}` : null;
}

export function runItemView(run: RunSummary, now = new Date()): RunItemView {
  const figure = keyMetric(run);
  const parts = [run.status, ...(figure ? [figure] : []), duration(run, now)];
  const metrics = Object.entries(run.metrics).map(([name, value]) => `${name}: ${Number.isInteger(value) ? value : value.toFixed(4)}`);
  return {
    label: run.name,
    description: parts.join(' · '),
    icon: ICONS[run.status],
    tooltip: [
      `${run.kind} run ${run.id}: ${run.status}`,
      `started ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}`,
      ...(run.error ? [`error: ${run.error}`] : []),
      ...metrics,
    ].join('\n'),
  };
}

/**
 * The evaluation runs a "Compare Runs" invocation names: the clicked run and the others selected with it (VS Code
 * passes both to a context-menu command of a multi-select tree), without other kinds, each once, oldest first.
 */
export function compareTargets(clicked?: RunSummary, selected?: readonly RunSummary[]): number[] {
  const runs = [...(clicked ? [clicked] : []), ...(selected ?? [])].filter((r) => r && typeof r.id === 'number' && r.kind === 'eval');
  return [...new Set(runs.map((r) => r.id))].sort((a, b) => a - b);
}
