/**
 * Token measurement (the I/O side of token-replay.ts): runs an environment's expert over a split through the worker
 * pool, annotates each trajectory in memory with the rule annotator (nothing is stored), replays it through every
 * agent's prompt builders and counts the tokens with the model's own tokenizer.
 */
import * as path from 'node:path';
import type { EnvKind, ExpertTrajectory } from '../protocol/environment';
import { describeEpisode } from '../protocol/environment';
import { RULE_ANNOTATORS, annotatableTrajectory } from '../annotate/run';
import { DEFAULT_SIMPLIFICATIONS } from '../env/environment';
import { EXPERT_MAX_STEPS, runExpert } from '../env/expert';
import { WorkerPool } from '../env/pool';
import { loadTokenizer } from '../llm/embedded';
import { defaultModelPath, resolveAlfworldData } from '../util/paths';
import { listSplitItems } from '../env/split-items';
import {
  episodeTokens,
  summarizeTokens,
  tokenTargets,
  transitionEpisode,
  type AgentSummary,
  type EpisodeTokens,
  type TokenAgent,
  type TokenCounter,
  type TokenTargets,
} from './token-replay';

/** The model `npm run setup` installs. */
export const DEFAULT_TOKEN_MODEL = defaultModelPath;

/** The evaluation splits of the STEP-HRL protocol: ScienceWorld test (211), ALFWorld seen (140). */
export const DEFAULT_TOKEN_SPLITS: Record<EnvKind, string> = { scienceworld: 'test', alfworld: 'valid_seen' };

export interface TokenMeasureOptions {
  env: EnvKind;
  /** Default: DEFAULT_TOKEN_SPLITS[env]. */
  split?: string;
  tasks?: string[];
  limit?: number;
  /** Only the first N episodes of each task. */
  perTaskLimit?: number;
  parallel?: number;
  /** GGUF whose tokenizer counts the tokens; default DEFAULT_TOKEN_MODEL. */
  modelPath?: string;
  /** ALFWorld data root; default resolveAlfworldData(). */
  alfworldData?: string;
  simplifications?: string;
  seed?: number;
  /** A counter to use instead of loading the model's tokenizer (tests, or a caller that holds one already). */
  count?: TokenCounter;
  onPlan?: (plan: { total: number }) => void;
  onEpisode?: (outcome: { ok: boolean; label: string; error?: string }) => void;
  signal?: AbortSignal;
}

/** One replayed episode, labelled; its per-call token lists are kept for callers that want the distribution. */
export interface MeasuredEpisode extends EpisodeTokens {
  label: string;
}

export interface TokenReport {
  env: EnvKind;
  split: string;
  /** The GGUF whose tokenizer counted (null when a counter was passed in). */
  model: string | null;
  episodes: number;
  steps: { total: number; meanPerEpisode: number };
  subtasksPerEpisode: number;
  failed: number;
  failures: string[];
  interrupted: boolean;
  seconds: number;
  agents: Record<TokenAgent, AgentSummary>;
  targets: TokenTargets;
  /** Every replayed episode in the split's order, with its per-call token lists (left out of the CLI's JSON). */
  perEpisode: MeasuredEpisode[];
}

/** Annotates a trajectory with the rule annotator and replays it through every agent. */
export function measureTrajectory(trajectory: ExpertTrajectory, count: TokenCounter): EpisodeTokens {
  const episode = annotatableTrajectory(trajectory);
  const draft = RULE_ANNOTATORS[episode.env](episode);
  return episodeTokens(transitionEpisode(episode, draft), count);
}

export async function measureTokens(options: TokenMeasureOptions): Promise<TokenReport> {
  const started = performance.now();
  const { env } = options;
  const split = options.split ?? DEFAULT_TOKEN_SPLITS[env];
  const alfworldData = resolveAlfworldData(options.alfworldData);
  const simplifications = options.simplifications ?? DEFAULT_SIMPLIFICATIONS;
  const modelPath = options.count ? null : path.resolve(options.modelPath ?? DEFAULT_TOKEN_MODEL);
  // Load the tokenizer first: a missing model should fail before minutes of expert runs, not after.
  const tokenizer = modelPath ? await loadTokenizer(modelPath) : null;
  const count: TokenCounter = options.count ?? ((text) => tokenizer!.count(text));
  const pool = new WorkerPool(env, { size: options.parallel ?? 1 });
  const abort = () => void pool.close();
  options.signal?.addEventListener('abort', abort, { once: true });
  const measured: MeasuredEpisode[] = [];
  const failures: string[] = [];
  try {
    const specs = (
      await listSplitItems(pool, {
        env,
        split,
        simplifications,
        alfworldData,
        ...(options.tasks ? { tasks: options.tasks } : {}),
        ...(options.perTaskLimit ? { perTaskLimit: options.perTaskLimit } : {}),
        ...(options.limit ? { limit: options.limit } : {}),
      })
    ).map((item) => item.spec);
    options.onPlan?.({ total: specs.length });
    const settled = await pool.map(
      specs,
      // Counting is synchronous and happens here, inside the lease, while the other workers keep playing.
      async (environment, spec) =>
        measureTrajectory(await runExpert(environment, spec, { maxSteps: EXPERT_MAX_STEPS, seed: options.seed ?? 0 }), count),
      (spec) => spec,
      (s) => {
        const label = describeEpisode(s.item);
        if (!s.ok && options.signal?.aborted) return;
        if (!s.ok) failures.push(s.error.message);
        options.onEpisode?.(s.ok ? { ok: true, label } : { ok: false, label, error: s.error.message });
      },
    );
    // Kept in the split's order, whatever order the workers finished in.
    for (const s of settled) if (s?.ok) measured.push({ label: describeEpisode(s.item), ...s.value });
  } finally {
    options.signal?.removeEventListener('abort', abort);
    await pool.close();
    await tokenizer?.close();
  }
  const agents = summarizeTokens(measured);
  const steps = measured.reduce((n, e) => n + e.steps, 0);
  return {
    env,
    split,
    model: modelPath,
    episodes: measured.length,
    steps: { total: steps, meanPerEpisode: measured.length ? steps / measured.length : NaN },
    subtasksPerEpisode: measured.length ? measured.reduce((n, e) => n + e.subtasks, 0) / measured.length : NaN,
    failed: failures.length,
    failures,
    interrupted: Boolean(options.signal?.aborted),
    seconds: (performance.now() - started) / 1000,
    agents,
    targets: tokenTargets(agents),
    perEpisode: measured,
  };
}
