/**
 * The evaluation harness: runs an agent with a model over a split, one environment worker and one model session per
 * parallel episode, and records every episode, step, subtask, local progress and model call in the store as it
 * happens (a live episode is visible to the extension). Resumable: items that already have a complete episode of the
 * same agent, model and adapter are skipped, so a killed run loses at most the episodes in flight. Rollout collection
 * for offline RL is the same loop at temperature 1 with its own run kind.
 */
import { recordOnTrainingRun } from './checkpoint-scores';
import type { EnvKind, ResetResult } from '../protocol/environment';
import type { EpisodeFields } from '../protocol/dataset';
import { DEFAULT_MAX_STEPS, DEFAULT_SIMPLIFICATIONS } from '../env/environment';
import { WorkerPool } from '../env/pool';
import { interleavedByTask, listSplitItems, type SplitItem } from '../env/split-items';
import { AGENT_RUNNERS } from '../agent/agents';
import { AGENT_ROLES, type AgentKind, type AgentOutcome, type DecodingSettings, type EpisodeSink } from '../agent/types';
import type { LanguageModel } from '../llm/types';
import type { DatasetStore } from '../store/dataset-store';
import { itemKey } from '../store/episodes';
import { diskFullCause, type DiskFullError } from '../store/sqlite';
import { summarizeEvaluation, type EvaluationSummary } from './summary';
import { TimeAccount } from './time-account';
import { plural } from '../util/plural';

export interface EvaluationOptions {
  env: EnvKind;
  split: string;
  agent: AgentKind;
  model: LanguageModel;
  decoding: DecodingSettings;
  tasks?: string[];
  /** Only these episodes (see SplitSelection.games). */
  games?: string[];
  limit?: number;
  perTaskLimit?: number;
  /** Parallel episodes: environment workers, and model sessions (the model must allow as many). */
  parallel?: number;
  maxSteps?: number;
  simplifications?: string;
  alfworldData: string;
  /** 'collect': policy rollouts for offline RL (STEP-HRL.md, stage 2). */
  runKind?: 'eval' | 'collect';
  /** Called once the work list is known. */
  onPlan?: (plan: { total: number; skipped: number; pending: number; runId: number | null }) => void;
  /** Called as each episode ends. */
  onEpisode?: (outcome: { ok: boolean; label: string; score?: number; won?: boolean; error?: string }) => void;
  signal?: AbortSignal;
}

/** The figures an evaluation run records as metrics (step 0). */
export const EVAL_METRICS: Record<string, (s: EvaluationSummary) => number> = {
  'eval/episodes': (s) => s.episodes,
  'eval/meanScore': (s) => s.meanScore,
  'eval/successRate': (s) => s.successRate,
  'eval/invalidActionRate': (s) => s.invalidActionRate,
  'eval/promptTokensPerEpisode': (s) => s.promptTokensPerEpisode,
  'eval/promptTokensPerDecision': (s) => s.promptTokensPerDecision,
  'eval/decisionsPerSecond': (s) => s.decisionsPerSecond,
};

/**
 * What episodes record as their agent: the kind, "+grammar" when actions were constrained, "@t<T>" when sampled
 * (collected rollouts are a different agent from the greedy one, so neither run skips the other's episodes).
 */
export function agentLabel(kind: AgentKind, decoding: Pick<DecodingSettings, 'constrained'> & { temperature?: number }): string {
  return `${kind}${decoding.constrained ? '+grammar' : ''}${decoding.temperature ? `@t${decoding.temperature}` : ''}`;
}

function policyFields(
  item: SplitItem,
  reset: ResetResult,
  options: EvaluationOptions,
  label: string,
  maxSteps: number,
): Omit<EpisodeFields, 'status'> {
  return {
    ...item.fields,
    task: item.fields.env === 'alfworld' ? (reset.taskType ?? item.fields.task) : item.fields.task,
    split: options.split,
    taskParams: reset.taskParams ?? null,
    source: 'policy',
    agent: label,
    model: options.model.info.name,
    adapter: options.model.info.adapter,
    engineName: reset.engine.name,
    engineVersion: reset.engine.version,
    taskDescription: reset.taskDescription,
    initialObservation: reset.observation,
    initialLook: reset.look ?? null,
    initialInventory: reset.inventory ?? null,
    maxSteps,
    stoppedBy: null,
    error: null,
    score: 0,
    won: false,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    seconds: null,
  };
}

export async function runEvaluation(store: DatasetStore, options: EvaluationOptions): Promise<EvaluationSummary> {
  const started = performance.now();
  const { env, split, agent, model, decoding } = options;
  const label = agentLabel(agent, decoding);
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const simplifications = options.simplifications ?? DEFAULT_SIMPLIFICATIONS;
  const identity = { env, source: 'policy' as const, agent: label, model: model.info.name, adapter: model.info.adapter };
  const pool = new WorkerPool(env, { size: options.parallel ?? 1 });
  const abort = () => void pool.close();
  options.signal?.addEventListener('abort', abort, { once: true });
  let runId: number | null = null;
  const failures: string[] = [];
  let decisions = 0;
  const time = new TimeAccount();
  const fatal: { diskFull: DiskFullError | null } = { diskFull: null }; // set in a callback
  let items: SplitItem[];
  try {
    items = await listSplitItems(pool, { ...options, simplifications });
    const done = await store.episodes.completedItems(identity);
    const pending = items.filter((i) => !done.has(itemKey(i.fields)));
    if (pending.length && !options.signal?.aborted) {
      runId = await store.runs.start(options.runKind ?? 'eval', `${label} on ${env} ${split}`, {
        env,
        split,
        agent,
        label,
        model: model.info,
        decoding,
        maxSteps,
        simplifications,
        tasks: options.tasks ?? null,
        games: options.games ?? null,
        limit: options.limit ?? null,
        perTaskLimit: options.perTaskLimit ?? null,
        // Where the games came from: valid_unseen and train are not in the set-up data.
        alfworldData: env === 'alfworld' ? options.alfworldData : null,
        parallel: pool.size,
        // The items the selection holds (those earlier runs of it finished too): `runs compare` reports done / planned.
        selected: items.length,
      });
    }
    options.onPlan?.({ total: items.length, skipped: items.length - pending.length, pending: pending.length, runId });
    if (runId === null) return await summarizeEvaluation(store, { identity, split, items, runId, failures, decisions, seconds: 0 });

    const run = AGENT_RUNNERS[agent];
    await pool.map(
      interleavedByTask(pending),
      async (worker, item) => {
        const started = performance.now();
        const environment = time.timed(worker);
        const reset = await environment.reset(item.spec, { maxSteps });
        const episodeId = await store.episodes.begin(policyFields(item, reset, options, label, maxSteps), runId);
        const sink: EpisodeSink = {
          step: async ({ step, calls, progress, subtasks }) => {
            decisions += calls.length;
            time.calls(calls);
            await store.episodes.append(episodeId, {
              steps: [step],
              modelCalls: calls,
              ...(progress ? { progress: [progress] } : {}),
              ...(subtasks ? { subtasks } : {}),
            });
          },
          calls: async (calls) => {
            decisions += calls.length;
            time.calls(calls);
            await store.episodes.append(episodeId, { modelCalls: calls });
          },
        };
        const session = await model.openSession(AGENT_ROLES[agent]);
        let outcome: AgentOutcome;
        try {
          outcome = await run({ env: environment, kind: env, reset, session, decoding, sink, ...(options.signal ? { signal: options.signal } : {}) });
        } catch (error) {
          time.episode(performance.now() - started);
          const interrupted = Boolean(options.signal?.aborted);
          await store.episodes.finish(episodeId, {
            status: interrupted ? 'interrupted' : 'failed',
            score: 0,
            won: false,
            stoppedBy: interrupted ? 'cancelled' : 'error',
            error: (error as Error).message,
            finishedAt: new Date().toISOString(),
            seconds: (performance.now() - started) / 1000,
          });
          throw error;
        } finally {
          await session.close();
        }
        time.episode(performance.now() - started);
        await store.episodes.finish(episodeId, {
          status: 'complete',
          score: outcome.score,
          won: outcome.won,
          stoppedBy: outcome.stoppedBy,
          ...(outcome.repeatFrom !== undefined ? { repeatFrom: outcome.repeatFrom } : {}),
          error: null,
          finishedAt: new Date().toISOString(),
          seconds: (performance.now() - started) / 1000,
        });
        return outcome;
      },
      (item) => item.spec,
      (settled) => {
        const label = itemKey(settled.item.fields);
        if (settled.ok) {
          options.onEpisode?.({ ok: true, label, score: settled.value.score, won: settled.value.won });
          return;
        }
        fatal.diskFull ??= diskFullCause(settled.error);
        if (fatal.diskFull) {
          void pool.close(); // every later episode would fail the same way: stop now
        } else if (!options.signal?.aborted) {
          failures.push(settled.error.message);
          options.onEpisode?.({ ok: false, label, error: settled.error.message });
        }
      },
    );
    if (fatal.diskFull) {
      await store.runs.finish(runId, 'failed', fatal.diskFull.message).catch(() => undefined); // may not fit either
      throw fatal.diskFull;
    }
    const summary = await summarizeEvaluation(store, {
      identity,
      split,
      items,
      runId,
      failures,
      decisions,
      seconds: (performance.now() - started) / 1000,
      time: time.summary(),
    });
    // The run's figures, where the extension's Runs view and later pipeline stages read them.
    await store.runs.addMetrics(
      runId,
      Object.entries(EVAL_METRICS).map(([name, pick]) => ({ step: 0, name, value: pick(summary) })),
    );
    // Greedy evaluations of a trained adapter also go on its training run's curves.
    if ((options.runKind ?? 'eval') === 'eval' && !decoding.temperature)
      await recordOnTrainingRun(store, summary.adapter, summary, decoding.constrained);
    const status = options.signal?.aborted ? 'interrupted' : failures.length ? 'failed' : 'complete';
    await store.runs.finish(runId, status, failures.length ? `${plural(failures.length, 'episode')} failed; rerun to retry them` : null);
    return summary;
  } finally {
    options.signal?.removeEventListener('abort', abort);
    await pool.close();
  }
}
