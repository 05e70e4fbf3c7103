/**
 * The full STEP-HRL pipeline (STEP-HRL.md): expert demonstrations, annotation, behaviour cloning, evaluation,
 * rollout collection, offline RL, evaluation, plus the base model with the ReAct and STEP-HRL agents for comparison.
 * Every stage is recorded in the store (its runs, checkpoints, episodes and metrics) and is resumable, so running
 * the pipeline again continues where it stopped and redoes nothing finished.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvKind } from '../protocol/environment';
import type { ModelChoice } from '../protocol/agent';
import type { z } from 'zod';
import type { TrainPreset, PipelineRow as PipelineRowSchema, PipelineResult as PipelineResultSchema } from '../protocol/trainer';
import { collectDemonstrations, expertAgent } from '../collect/demos';
import { annotateStoredEpisodes } from '../annotate/run';
import { runEvaluation, agentLabel } from '../evaluate/evaluation';
import type { EvaluationSummary } from '../evaluate/summary';
import { AGENT_ROLES, type AgentKind } from '../agent/types';
import { BASELINE_CONTEXT, openModel } from '../llm/open-model';
import type { DatasetStore } from '../store/dataset-store';
import { materializeTransitions } from '../store/transitions';
import { runTraining, type TrainingResult } from '../train/training';
import { silentLogger, type Logger } from '../util/log';

/** How much of each environment a pipeline uses. */
export interface PipelineSlice {
  /** Expert episodes for behaviour cloning (first N of each task, at most `demos` in all). */
  demosPerTask: number;
  demos: number;
  /** Evaluation episodes (ScienceWorld test, ALFWorld valid_seen). */
  evalPerTask: number;
  evalEpisodes: number;
  /** Sampled rollouts of the BC policy for offline RL. */
  collectPerTask: number;
  collectEpisodes: number;
  maxSteps: number;
  /** Optimizer steps of each training stage (default: the preset's epochs) and settings over the preset. */
  trainSteps?: { bc: number; rl: number };
  trainerConfig?: Record<string, unknown>;
}

/** `quick`: what a 2-core CPU finishes in minutes (the quickstart); `full`: the reference protocol's sizes. */
export const PIPELINE_SLICES: Record<'quick' | 'full', PipelineSlice> = {
  // About 10 minutes on 2 CPU cores with SmolLM2-135M (training there runs at about 240 tokens/s).
  quick: {
    demosPerTask: 1, demos: 6, evalPerTask: 1, evalEpisodes: 2, collectPerTask: 1, collectEpisodes: 2, maxSteps: 15,
    trainSteps: { bc: 16, rl: 8 }, trainerConfig: { global_batch_size: 4, critic_warmup_steps: 4, checkpoint_every: 4 },
  },
  full: { demosPerTask: 1_000_000, demos: 1_000_000, evalPerTask: 1_000_000, evalEpisodes: 1_000_000, collectPerTask: 1_000_000, collectEpisodes: 3000, maxSteps: 50 },
};

export interface PipelineOptions {
  envs: EnvKind[];
  preset: TrainPreset;
  slice: PipelineSlice;
  /** The base model (GGUF): inference runs it in llama.cpp, the trainer reads the same file. */
  modelPath: string;
  model: Omit<ModelChoice, 'path' | 'adapter'>;
  /** Where checkpoints go; training stages resume from here. */
  out: string;
  alfworldData: string;
  parallel?: number;
  /** Settings over the preset and the slice's, for both training stages. */
  trainerConfig?: Record<string, unknown>;
  /** Optimizer steps per training stage (default: the slice's, else the preset's epochs). */
  trainSteps?: { bc?: number; rl?: number };
  log?: Logger;
  signal?: AbortSignal;
  onStage?: (stage: string, index: number, total: number) => void;
  /** Each run a stage starts (evaluations, collections, training), as it starts. */
  onRun?: (runId: number) => void;
}

export type PipelineRow = z.infer<typeof PipelineRowSchema>;
export type PipelineResult = z.infer<typeof PipelineResultSchema>;

const TRAIN_SPLITS: Record<EnvKind, (alfworldData: string) => string> = {
  scienceworld: () => 'train',
  // The official ALFWorld download has `train`; a folder with only the validation splits uses valid_train.
  alfworld: (data) => (['json_2.1.1', 'json_2.1.2', 'json_2.1.3'].some((v) => fs.existsSync(path.join(data, v, 'train'))) ? 'train' : 'valid_train'),
};
const EVAL_SPLITS: Record<EnvKind, string> = { scienceworld: 'test', alfworld: 'valid_seen' };

class PipelineCancelled extends Error {}

export async function runPipeline(store: DatasetStore, options: PipelineOptions): Promise<PipelineResult> {
  const started = performance.now();
  const log = options.log ?? silentLogger;
  const { slice, envs } = options;
  const totalStages = 6 * envs.length + 3; // demos, evaluations x4 and collection per environment; annotation, BC, RL
  let stageIndex = 0;
  const stage = (name: string) => {
    if (options.signal?.aborted) throw new PipelineCancelled('the pipeline was cancelled; run it again to continue');
    log('info', `pipeline: ${name}`);
    options.onStage?.(name, stageIndex++, totalStages);
  };
  fs.mkdirSync(options.out, { recursive: true });

  // 1. Expert demonstrations and their annotation.
  const expertIds: number[] = [];
  for (const env of envs) {
    stage(`expert demonstrations (${env})`);
    const split = TRAIN_SPLITS[env](options.alfworldData);
    await collectDemonstrations(store, {
      env, split, perTaskLimit: slice.demosPerTask, limit: slice.demos, alfworldData: options.alfworldData, parallel: options.parallel ?? 1,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const expert = await store.episodes.list({ env, split, source: 'expert', agent: expertAgent(env, true), status: 'complete' });
    expertIds.push(...expert.slice(0, slice.demos).map((e) => e.id));
  }
  stage('annotation (rule annotators)');
  await annotateStoredEpisodes(store, { filter: { ids: expertIds }, ...(options.signal ? { signal: options.signal } : {}) });
  const bcSet = await transitionSet(store, `pipeline:bc:${envs.join('+')}:${expertIds.length}`, expertIds);

  // 2. The base model, ReAct and STEP-HRL.
  const rows: PipelineRow[] = [];
  const evaluate = async (label: string, agent: AgentKind, adapter: string | null) => {
    for (const env of envs) {
      stage(`evaluation: ${label} (${env})`);
      const summary = await play(store, options, { env, split: EVAL_SPLITS[env], agent, adapter, temperature: 0, perTask: slice.evalPerTask, limit: slice.evalEpisodes, runKind: 'eval' });
      rows.push(rowOf(label, summary));
    }
  };
  await evaluate('base model, ReAct', 'react', null);
  await evaluate('base model, STEP-HRL', 'stephrl', null);

  // 3. Behaviour cloning.
  stage('behaviour cloning');
  const bc = await train(store, options, 'bc', bcSet, undefined);
  await evaluate('after BC', 'stephrl', bc.adapterGguf);

  // 4. Rollouts of the BC policy, then offline RL on expert + collected transitions.
  const collectedIds: number[] = [];
  for (const env of envs) {
    stage(`rollout collection (${env})`);
    const split = TRAIN_SPLITS[env](options.alfworldData);
    const summary = await play(store, options, { env, split, agent: 'stephrl', adapter: bc.adapterGguf, temperature: 1, perTask: slice.collectPerTask, limit: slice.collectEpisodes, runKind: 'collect' });
    const collected = await store.episodes.list({ env, split, source: 'policy', agent: summary.agent, adapter: bc.adapterGguf, status: 'complete' });
    collectedIds.push(...collected.map((e) => e.id));
  }
  const rlSet = await transitionSet(store, `pipeline:rl:${envs.join('+')}:${expertIds.length}+${collectedIds.length}`, [...expertIds, ...collectedIds]);
  stage('offline RL');
  const rl = await train(store, options, 'rl', rlSet, bc.adapterDir ?? undefined);
  await evaluate('after BC + offline RL', 'stephrl', rl.adapterGguf);

  const result: PipelineResult = {
    rows, bc, rl, transitionSets: { bc: bcSet, rl: rlSet }, db: store.file, out: options.out, seconds: (performance.now() - started) / 1000,
  };
  fs.writeFileSync(path.join(options.out, 'pipeline.json'), JSON.stringify(result, null, 2));
  return result;
}

/** One transition set per stage and episode selection: rerunning the pipeline reuses it (and so resumes training). */
async function transitionSet(store: DatasetStore, name: string, ids: number[]): Promise<number> {
  const existing = await store.db.get<{ id: number }>('SELECT id FROM transition_sets WHERE name = ? ORDER BY id DESC LIMIT 1', [name]);
  if (existing) return existing.id;
  const { setId, counts } = await materializeTransitions(store.db, name, { ids });
  if (counts.low === 0) throw new Error(`no usable transitions for ${name}: ${JSON.stringify(counts)}`);
  return setId;
}

async function train(store: DatasetStore, options: PipelineOptions, kind: 'bc' | 'rl', setId: number, initAdapter: string | undefined): Promise<TrainingResult> {
  const result = await runTraining(store, {
    kind, model: options.modelPath, preset: options.preset, setId, out: path.join(options.out, `${kind}-set${setId}`),
    config: { ...options.slice.trainerConfig, ...options.trainerConfig }, ...(initAdapter ? { initAdapter } : {}),
    ...((options.trainSteps?.[kind] ?? options.slice.trainSteps?.[kind]) ? { steps: options.trainSteps?.[kind] ?? options.slice.trainSteps?.[kind] } : {}),
    cpu: options.model.gpu === 'cpu', log: options.log ?? silentLogger, ...(options.signal ? { signal: options.signal } : {}),
    onEvent: (event, runId) => {
      if (event.event === 'start') options.onRun?.(runId);
      if (event.event !== 'metrics') return;
      const loss = event.values.loss ?? event.values.loss_actor_low ?? event.values.loss_q_low;
      options.log?.('info', `${kind} step ${event.step}${loss != null ? `: loss ${loss.toFixed(4)}` : ''}`);
    },
  });
  if (result.status !== 'complete' || !result.adapterGguf) {
    if (result.status === 'interrupted') throw new PipelineCancelled(`${kind} training stopped at step ${result.steps}; run the pipeline again to resume it`);
    throw new Error(`${kind} training ${result.status}: ${result.error ?? 'no adapter was written'}`);
  }
  return result;
}

async function play(
  store: DatasetStore,
  options: PipelineOptions,
  p: { env: EnvKind; split: string; agent: AgentKind; adapter: string | null; temperature: number; perTask: number; limit: number; runKind: 'eval' | 'collect' },
): Promise<EvaluationSummary> {
  const parallel = options.parallel ?? 1;
  const model = await openModel(
    { ...options.model, path: options.modelPath, ...(p.adapter ? { adapter: p.adapter } : {}) },
    { sessions: parallel, slotsPerSession: AGENT_ROLES[p.agent].length, ...(p.agent === 'stephrl' ? {} : { defaultContextSize: BASELINE_CONTEXT }) },
    options.log,
  );
  try {
    const summary = await runEvaluation(store, {
      env: p.env, split: p.split, agent: p.agent, model, decoding: { temperature: p.temperature, constrained: false, keepTexts: true },
      perTaskLimit: p.perTask, limit: p.limit, parallel, maxSteps: options.slice.maxSteps, alfworldData: options.alfworldData, runKind: p.runKind,
      onPlan: ({ runId }) => runId !== null && options.onRun?.(runId),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (options.signal?.aborted) throw new PipelineCancelled('the pipeline was cancelled; run it again to continue');
    if (summary.missing) throw new Error(`${agentLabel(p.agent, { constrained: false, temperature: p.temperature })} on ${p.env} ${p.split}: ${summary.missing} episodes failed: ${summary.failures.slice(0, 3).join('; ')}`);
    return summary;
  } finally {
    await model.close();
  }
}

function rowOf(label: string, s: EvaluationSummary): PipelineRow {
  return {
    label, env: s.env, agent: s.agent, adapter: s.adapter, episodes: s.episodes, meanScore: s.meanScore, successRate: s.successRate,
    promptTokensPerEpisode: s.promptTokensPerEpisode, completionTokensPerEpisode: s.completionTokensPerEpisode, runId: s.runId,
  };
}

export function pipelineTable(result: PipelineResult): string {
  const head = `${'stage'.padEnd(24)} ${'env'.padEnd(13)} ${'episodes'.padStart(8)} ${'score'.padStart(7)} ${'success'.padStart(8)} ${'tokens/episode'.padStart(15)}`;
  const lines = result.rows.map((r) =>
    `${r.label.padEnd(24)} ${r.env.padEnd(13)} ${String(r.episodes).padStart(8)} ${r.meanScore.toFixed(1).padStart(7)} ${`${(r.successRate * 100).toFixed(0)}%`.padStart(8)} ${String(Math.round(r.promptTokensPerEpisode + r.completionTokensPerEpisode)).padStart(15)}`,
  );
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

export { PipelineCancelled };
