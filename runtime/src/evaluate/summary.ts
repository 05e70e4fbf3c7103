/**
 * An evaluation's figures, computed from the store (so a resumed run reports every selected item, not only the
 * episodes it ran itself): mean score (ScienceWorld, 0..100) and success rate, per task; invalid-action rate; tokens
 * per decision and per episode; decisions per second of the episodes this run played.
 */
export type { EvaluationSummary };
import type { EnvKind } from '../protocol/environment';
import type { EpisodeTime, EvaluationSummary, GroupFigures, RunFigures } from '../protocol/agent';
import type { EpisodeSummary } from '../protocol/dataset';
import type { SplitItem } from '../env/split-items';
import type { DatasetStore } from '../store/dataset-store';
import { itemKey, type EpisodeFilter, type RepeatCycle } from '../store/episodes';
import { meanInterval, wilsonInterval } from './intervals';

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Success, score (with their 95% intervals), invalid actions, steps and tokens per episode of a set of episodes. */
export function groupFigures(episodes: EpisodeSummary[]): GroupFigures {
  const steps = episodes.reduce((a, e) => a + e.stepCount, 0);
  return {
    episodes: episodes.length,
    meanScore: round(mean(episodes.map((e) => e.score))),
    successRate: round(mean(episodes.map((e) => (e.won ? 1 : 0))), 4),
    successInterval: wilsonInterval(episodes.filter((e) => e.won).length, episodes.length).map((x) => round(x, 4)) as [number, number],
    scoreInterval: meanInterval(episodes.map((e) => e.score)).map((x) => round(x)) as [number, number],
    invalidActionRate: round(steps ? episodes.reduce((a, e) => a + e.invalidCount, 0) / steps : 0, 4),
    meanSteps: round(mean(episodes.map((e) => e.stepCount))),
    promptTokensPerEpisode: round(mean(episodes.map((e) => e.promptTokens)), 1),
    completionTokensPerEpisode: round(mean(episodes.map((e) => e.completionTokens)), 1),
  };
}

/** groupFigures, with the per-task table (tasks in order) and the tokens per decision (model call). */
export function runFigures(episodes: EpisodeSummary[]): RunFigures {
  const byTask = new Map<string, EpisodeSummary[]>();
  for (const e of episodes) byTask.set(e.task, [...(byTask.get(e.task) ?? []), e]);
  const calls = episodes.reduce((a, e) => a + e.modelCalls, 0);
  const perCall = (total: number) => round(calls ? total / calls : 0, 1);
  const prompt = episodes.reduce((a, e) => a + e.promptTokens, 0);
  const cached = episodes.reduce((a, e) => a + e.cachedPromptTokens, 0);
  return {
    ...groupFigures(episodes),
    perTask: [...byTask.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([task, list]) => ({ task, ...groupFigures(list) })),
    decisions: calls,
    promptTokensPerDecision: perCall(prompt),
    cachedPromptTokensPerDecision: perCall(cached),
    completionTokensPerDecision: perCall(episodes.reduce((a, e) => a + e.completionTokens, 0)),
    cachedPromptShare: round(prompt ? cached / prompt : 0, 4),
  };
}

/**
 * An episode that ended at a repeated state, counted as played to its step cap: the steps after the stop go round
 * the cycle (its steps again, in order), each with the same action and the same calls. Cached prompt tokens are the
 * cycle's own; the first lap's first step may have found another prompt in the cache.
 */
export function playedToCap(e: EpisodeSummary, cycle: RepeatCycle): EpisodeSummary {
  const remaining = (e.maxSteps ?? e.stepCount) - e.stepCount;
  if (remaining <= 0 || !cycle.steps.length) return e;
  const played = { ...e, stepCount: e.stepCount + remaining };
  for (let k = 0; k < remaining; k++) {
    const step = cycle.steps[k % cycle.steps.length]!;
    played.invalidCount += step.invalid ? 1 : 0;
    played.modelCalls += step.modelCalls;
    played.promptTokens += step.promptTokens;
    played.cachedPromptTokens += step.cachedPromptTokens;
    played.completionTokens += step.completionTokens;
  }
  return played;
}

/** Episodes as their figures are reported: those that ended at a repeated state counted as played to the cap. */
export async function countedToCap(store: DatasetStore, episodes: EpisodeSummary[]): Promise<{ episodes: EpisodeSummary[]; repeatStops: number }> {
  const cycles = await store.episodes.repeatCycles(episodes.filter((e) => e.stoppedBy === 'repeat').map((e) => e.id));
  return {
    episodes: episodes.map((e) => {
      const cycle = cycles.get(e.id);
      return cycle ? playedToCap(e, cycle) : e;
    }),
    repeatStops: cycles.size,
  };
}

export async function summarizeEvaluation(
  store: DatasetStore,
  run: {
    identity: EpisodeFilter & { agent: string; model: string | null; adapter: string | null; env: EnvKind };
    split: string;
    items: SplitItem[];
    runId: number | null;
    failures: string[];
    decisions: number;
    seconds: number;
    time?: EpisodeTime | undefined;
  },
): Promise<EvaluationSummary> {
  const wanted = new Set(run.items.map((i) => itemKey(i.fields)));
  // The latest complete episode of each selected item.
  const latest = new Map<string, EpisodeSummary>();
  for (const e of await store.episodes.list({ ...run.identity, status: 'complete' })) {
    const key = itemKey(e);
    if (wanted.has(key)) latest.set(key, e);
  }
  const { episodes, repeatStops } = await countedToCap(store, [...latest.values()]);
  return {
    env: run.identity.env,
    split: run.split,
    agent: run.identity.agent,
    model: run.identity.model,
    adapter: run.identity.adapter,
    runId: run.runId,
    selected: run.items.length,
    missing: run.items.length - episodes.length,
    failures: run.failures,
    repeatStops,
    ...runFigures(episodes),
    decisionsPerSecond: round(run.seconds > 0 ? run.decisions / run.seconds : 0),
    seconds: round(run.seconds, 1),
    ...(run.time ? { time: run.time } : {}),
  };
}
