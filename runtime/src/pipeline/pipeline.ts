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
import { collectDemonstrations, expertAgent, expertSeeds } from '../collect/demos';
import { annotateStoredEpisodes } from '../annotate/run';
import { runEvaluation, agentLabel } from '../evaluate/evaluation';
import type { EvaluationSummary } from '../evaluate/summary';
import { AGENT_ROLES, type AgentKind } from '../agent/types';
import { BASELINE_CONTEXT, openModel } from '../llm/open-model';
import type { DatasetStore } from '../store/dataset-store';
import { materializeTransitions } from '../store/transitions';
import { agentTransitions } from '../agent/agent-transitions';
import { runTraining, type TrainingResult } from '../train/training';
import { silentLogger, type Logger } from '../util/log';
import { listShippedAdapters } from '../llm/shipped-adapters';
import { plural } from '../util/plural';
import { headlineLoss } from '../protocol/metrics';

/** How much of each environment a pipeline uses. */
export interface PipelineSlice {
  /** The environments the slice is for (default: any). */
  envs?: EnvKind[];
  /** The tasks it plays when the user names none (default: every task). */
  tasks?: string[];
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
  /** Settings for one training stage only (over trainerConfig), e.g. behaviour cloning's validation. */
  stageConfig?: { bc?: Record<string, unknown>; rl?: Record<string, unknown> };
  /** Evaluation splits per environment (default: ScienceWorld test, ALFWorld valid_seen); a split the data folder
   * lacks (ALFWorld valid_unseen without the official download) is skipped with a note. */
  evalSplits?: Partial<Record<EnvKind, string[]>>;
  /** Also evaluate the trained agents with grammar-constrained actions (rows marked "constrained"). */
  constrainedRows?: boolean;
}

/**
 * Offline RL's critics fitted on every transition (one forward pass for their frozen features, then 20 epochs of the
 * small heads) before the actor's first step, which then reads them: with a few critic-only steps of 8 transitions
 * instead, the critics had seen a few hundred transitions, their advantages were flat and the actor step was
 * behaviour cloning of the rollouts (README, the ScienceWorld slice). Targets follow at IQL's rate 0.005: at the
 * paper's 0.2 per step, hundreds of fitting steps drove the high level's Q to 6-10 on rewards of at most 1. awr_beta
 * is the fitted low-level advantages' spread (0.2 on the pick-and-place slice, against the default 1, under which
 * one standard deviation of advantage moves a weight by under a fifth).
 */
const CRITICS_FITTED_FIRST = { critic_fit_epochs: 20, critic_warmup_steps: 0, target_update_rate: 0.005, awr_beta_from_fit: true };

/**
 * The ALFWorld recipe (`stephrl pipeline --recipe alfworld`): tidied expert demonstrations of every valid_train game,
 * behaviour cloning with a LoRA on every linear layer (what the learning check showed the default model needs),
 * validated on held-apart valid_train episodes (the best validated adapter is kept; early stopping), one sampled
 * rollout of the BC policy per training game, step-level offline RL, and evaluation on valid_seen (and valid_unseen
 * where the data folder has it), greedy and constrained. The step counts fit about 90 minutes of training on 2 CPU
 * cores with the default 135M model (about 25 s a step); on a GPU raise them (--bc-steps, --rl-steps).
 */
export const ALFWORLD_RECIPE: PipelineSlice = {
  envs: ['alfworld'],
  demosPerTask: 1_000_000,
  demos: 1_000_000,
  evalPerTask: 1_000_000,
  evalEpisodes: 1_000_000,
  collectPerTask: 1_000_000,
  collectEpisodes: 200,
  maxSteps: 50,
  trainSteps: { bc: 120, rl: 32 },
  trainerConfig: {
    micro_batch_size: 8,
    global_batch_size: 8,
    checkpoint_every: 16,
    max_length: 1024,
    lora: { r: 16, alpha: 32, dropout: 0.0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
  },
  stageConfig: {
    bc: { bc_lr: 1e-3, lr_schedule: 'cosine', warmup_steps: 6, validation_fraction: 0.03, eval_every: 40, early_stopping_patience: 2 },
    rl: CRITICS_FITTED_FIRST,
  },
  evalSplits: { alfworld: ['valid_seen', 'valid_unseen'] },
  constrainedRows: true,
};

/**
 * The ScienceWorld slice (`stephrl pipeline --recipe scienceworld`): what a 2-core CPU affords of ScienceWorld. Eight
 * tasks whose expert sequences are short enough to train on and evaluate in a session (the find, life-span, electrical
 * and paint tasks: 1 to 38 expert actions), the first 10 train variations of each for behaviour cloning and the first
 * 2 test variations of each for evaluation, greedy and unconstrained (constrained rows would double the evaluations).
 * Training is the ALFWorld comparison's: the same LoRA, 80 steps of 8 transitions per role from lr 1e-3 (cosine), no
 * validation, so that with --baselines every agent sees the same expert actions as often. The full split is the
 * `full` slice, a GPU job.
 */
export const SCIENCEWORLD_RECIPE: PipelineSlice = {
  envs: ['scienceworld'],
  tasks: [
    'find-animal',
    'find-plant',
    'find-non-living-thing',
    'lifespan-longest-lived',
    'lifespan-shortest-lived',
    'power-component',
    'test-conductivity',
    'chemistry-mix-paint-secondary-color',
  ],
  demosPerTask: 10,
  demos: 1_000_000,
  evalPerTask: 2,
  evalEpisodes: 1_000_000,
  collectPerTask: 2,
  collectEpisodes: 1_000_000,
  maxSteps: 40,
  trainSteps: { bc: 80, rl: 32 },
  trainerConfig: ALFWORLD_RECIPE.trainerConfig!,
  stageConfig: {
    bc: { bc_lr: 1e-3, lr_schedule: 'cosine', warmup_steps: 6, validation_fraction: 0 },
    rl: CRITICS_FITTED_FIRST,
  },
};

/** `quick`: what a 2-core CPU finishes in minutes (the quickstart); `full`: the reference protocol's sizes;
 * `alfworld` and `scienceworld`: the recipes (one environment each). */
export const PIPELINE_SLICES: Record<'quick' | 'full' | 'alfworld' | 'scienceworld', PipelineSlice> = {
  // About 10 minutes on 2 CPU cores with SmolLM2-135M (training there runs at about 240 tokens/s).
  quick: {
    demosPerTask: 1,
    demos: 6,
    evalPerTask: 1,
    evalEpisodes: 2,
    collectPerTask: 1,
    collectEpisodes: 2,
    maxSteps: 15,
    trainSteps: { bc: 16, rl: 8 },
    trainerConfig: { global_batch_size: 4, checkpoint_every: 4 },
    stageConfig: { rl: CRITICS_FITTED_FIRST },
  },
  full: {
    demosPerTask: 1_000_000,
    demos: 1_000_000,
    evalPerTask: 1_000_000,
    evalEpisodes: 1_000_000,
    collectPerTask: 1_000_000,
    collectEpisodes: 3000,
    maxSteps: 50,
  },
  alfworld: ALFWORLD_RECIPE,
  scienceworld: SCIENCEWORLD_RECIPE,
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
  /** Evaluation episodes per task (default: the slice's): a CPU budget for the recipe's evaluations. */
  evalPerTask?: number;
  /** Only these tasks (ScienceWorld names or ALFWorld task types) for demonstrations, rollouts and evaluations: one
   * task type's comparison at a size a CPU affords. The transition sets' names carry them, so a run on all tasks
   * and one on a slice never share a set. */
  tasks?: string[];
  /** Also train the baselines at equal data (flat ReAct and history-HRL behaviour cloning on the same demonstrations,
   * the same steps and settings) and evaluate them on the same games: the paper's comparison. */
  baselines?: boolean;
  /** ALFWorld: expert trajectories per training game, from expert seeds 0..n-1 (default 1; ScienceWorld has one). */
  expertSeeds?: number;
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

/** The table's rows, in the order they are shown. */
const ROW_LABELS = {
  baseReact: 'base model, ReAct',
  baseStephrl: 'base model, STEP-HRL',
  flatBc: 'flat BC (ReAct)',
  flatBcConstrained: 'flat BC, constrained',
  historyBc: 'history-HRL BC',
  historyBcConstrained: 'history-HRL BC, constrained',
  bc: 'after BC',
  bcConstrained: 'after BC, constrained',
  rl: 'after BC + offline RL',
  rlConstrained: 'after BC + RL, constrained',
} as const;

const shippedRowLabel = (name: string) => `shipped adapter '${name}'`;

/** Base model rows, then the shipped adapters, then what this run trained: the baselines before STEP-HRL. */
const rowOrder = (shippedLabels: string[]): string[] => [
  ROW_LABELS.baseReact,
  ROW_LABELS.baseStephrl,
  ...shippedLabels,
  ROW_LABELS.flatBc,
  ROW_LABELS.flatBcConstrained,
  ROW_LABELS.historyBc,
  ROW_LABELS.historyBcConstrained,
  ROW_LABELS.bc,
  ROW_LABELS.bcConstrained,
  ROW_LABELS.rl,
  ROW_LABELS.rlConstrained,
];

/** The baselines trained at equal data, with their rows. The flat agent's prompts hold the whole history, so its
 * transitions need a longer max_length than STEP-HRL's (the same data, more tokens: what the comparison measures). */
const BASELINES = [
  { agent: 'react', rows: [ROW_LABELS.flatBc, ROW_LABELS.flatBcConstrained], config: { max_length: 4096 } },
  { agent: 'hrl-history', rows: [ROW_LABELS.historyBc, ROW_LABELS.historyBcConstrained], config: { max_length: 2048 } },
] as const;

/** The slice's evaluation splits of an environment that the data has (ALFWorld valid_unseen needs the official download). */
function evaluationSplits(env: EnvKind, slice: PipelineSlice, alfworldData: string, log: Logger): string[] {
  const wanted = slice.evalSplits?.[env] ?? [EVAL_SPLITS[env]];
  if (env !== 'alfworld') return wanted;
  return wanted.filter((split) => {
    const present = ['json_2.1.1', 'json_2.1.2', 'json_2.1.3'].some((v) => fs.existsSync(path.join(alfworldData, v, split)));
    if (!present) log('warn', `pipeline: ALFWorld ${split} is not in ${alfworldData}; give the official data folder (--data) to evaluate on it`);
    return present;
  });
}

class PipelineCancelled extends Error {}

/** Where a pipeline's checkpoints go unless told: one folder per base model, preset, slice and task selection. */
export function defaultPipelineOut(stateDir: string, modelPath: string, preset: string, slice: string, tasks?: string[]): string {
  const model = path.basename(modelPath).replace(/\.gguf$/i, '');
  return path.join(stateDir, 'pipeline', `${model}-${preset}-${slice}${tasks?.length ? `-${tasks.join('+')}` : ''}`);
}

export async function runPipeline(store: DatasetStore, options: PipelineOptions): Promise<PipelineResult> {
  const started = performance.now();
  const log = options.log ?? silentLogger;
  const { slice, envs } = options;
  const tasks = options.tasks?.length ? options.tasks : slice.tasks;
  const foreign = envs.filter((env) => slice.envs && !slice.envs.includes(env));
  if (foreign.length) throw new Error(`this recipe is for ${slice.envs!.join(' and ')} only, not ${foreign.join(' or ')}`);
  const evalSplits = new Map(envs.map((env) => [env, evaluationSplits(env, slice, options.alfworldData, log)]));
  const splitsOf = (env: EnvKind) => evalSplits.get(env)!;
  const seedsOf = new Map(envs.map((env) => [env, expertSeeds(env, options.expertSeeds ?? 1)]));
  // Adapters that ship for this base model join the table on the same games: the full recipe beside a few CPU minutes.
  const shipped = listShippedAdapters().filter((a) => envs.includes(a.env) && a.baseModel === path.basename(options.modelPath));
  const baselines = options.baselines ? BASELINES : [];
  const splitCount = envs.reduce((a, env) => a + splitsOf(env).length, 0);
  const rowsPerSplit = 4 + (slice.constrainedRows ? 2 : 0) + baselines.length * (slice.constrainedRows ? 2 : 1);
  const evalStages = splitCount * rowsPerSplit + shipped.reduce((a, adapter) => a + splitsOf(adapter.env).length, 0);
  // Demos and collection per environment; annotation, BC, RL, and one training stage per baseline.
  const totalStages = 2 * envs.length + 3 + baselines.length + evalStages;
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
    for (const seed of seedsOf.get(env)!) {
      await collectDemonstrations(store, {
        env,
        split,
        perTaskLimit: slice.demosPerTask,
        limit: slice.demos,
        alfworldData: options.alfworldData,
        parallel: options.parallel ?? 1,
        seed,
        ...(tasks ? { tasks } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const expert = await store.episodes.list({
        env,
        split,
        source: 'expert',
        agent: expertAgent(env, true, seed),
        status: 'complete',
        ...(tasks ? { tasks } : {}),
      });
      expertIds.push(...expert.slice(0, slice.demos).map((e) => e.id));
    }
  }
  stage('annotation (rule annotators)');
  await annotateStoredEpisodes(store, { filter: { ids: expertIds }, ...(options.signal ? { signal: options.signal } : {}) });
  const scope = [envs.join('+'), ...(tasks ? [tasks.join('+')] : [])].join(':');
  const bcSet = await transitionSet(store, `pipeline:bc:${scope}:${expertIds.length}`, expertIds);

  // 2. Behaviour cloning first: the longest stage, and nothing in it depends on the evaluations.
  stage('behaviour cloning');
  const bc = await train(store, options, 'bc', bcSet, undefined);
  const playOptions = { ...options, ...(tasks ? { tasks } : {}) };

  // 3. The BC agent, then the base model (ReAct and STEP-HRL) on the same games; rows keep the table's order.
  const rows = new Map<string, PipelineRow[]>();
  const evaluate = async (label: string, agent: AgentKind, adapter: string | null, constrained = false, only?: EnvKind) => {
    for (const env of only ? [only] : envs) {
      for (const split of splitsOf(env)) {
        stage(`evaluation: ${label} (${env} ${split})`);
        const summary = await play(store, playOptions, {
          env,
          split,
          agent,
          adapter,
          temperature: 0,
          constrained,
          runKind: 'eval',
          perTask: options.evalPerTask ?? slice.evalPerTask,
          limit: slice.evalEpisodes,
        });
        rows.set(label, [...(rows.get(label) ?? []), rowOf(label, summary, constrained)]);
      }
    }
  };
  await evaluate(ROW_LABELS.bc, 'stephrl', bc.adapterGguf);
  if (slice.constrainedRows) await evaluate(ROW_LABELS.bcConstrained, 'stephrl', bc.adapterGguf, true);
  await evaluate(ROW_LABELS.baseReact, 'react', null);
  await evaluate(ROW_LABELS.baseStephrl, 'stephrl', null);
  for (const adapter of shipped) await evaluate(shippedRowLabel(adapter.name), 'stephrl', adapter.path, false, adapter.env);

  // 3b. The baselines at equal data: the same demonstrations, steps and settings, their own prompts.
  const baselineRuns: Record<string, TrainingResult> = {};
  for (const baseline of baselines) {
    const setId = await transitionSet(store, `pipeline:bc:${baseline.agent}:${scope}:${expertIds.length}`, expertIds, baseline.agent);
    stage(`behaviour cloning of the ${baseline.agent} baseline`);
    const trained = await train(store, options, 'bc', setId, undefined, baseline.config);
    baselineRuns[baseline.agent] = trained;
    await evaluate(baseline.rows[0], baseline.agent, trained.adapterGguf);
    if (slice.constrainedRows) await evaluate(baseline.rows[1], baseline.agent, trained.adapterGguf, true);
  }

  // 4. Rollouts of the BC policy, then offline RL on expert + collected transitions.
  const collectedIds: number[] = [];
  for (const env of envs) {
    stage(`rollout collection (${env})`);
    const split = TRAIN_SPLITS[env](options.alfworldData);
    const summary = await play(store, playOptions, {
      env,
      split,
      agent: 'stephrl',
      adapter: bc.adapterGguf,
      temperature: 1,
      // Free text, as measured: constrained rollouts (`collect --constrained`) gave fewer rejected commands but an
      // actor that stopped taking objects on the pick-and-place slice (README), so the recipe keeps what it measured.
      constrained: false,
      perTask: slice.collectPerTask,
      limit: slice.collectEpisodes,
      runKind: 'collect',
    });
    const collected = await store.episodes.list({
      env,
      split,
      source: 'policy',
      agent: summary.agent,
      adapter: bc.adapterGguf,
      status: 'complete',
      ...(tasks ? { tasks } : {}),
    });
    collectedIds.push(...collected.map((e) => e.id));
  }
  const rlSet = await transitionSet(store, `pipeline:rl:${scope}:${expertIds.length}+${collectedIds.length}`, [...expertIds, ...collectedIds]);
  stage('offline RL');
  const rl = await train(store, options, 'rl', rlSet, bc.adapterDir ?? undefined);
  await evaluate(ROW_LABELS.rl, 'stephrl', rl.adapterGguf);
  if (slice.constrainedRows) await evaluate(ROW_LABELS.rlConstrained, 'stephrl', rl.adapterGguf, true);

  const result: PipelineResult = {
    rows: rowOrder(shipped.map((a) => shippedRowLabel(a.name))).flatMap((label) => rows.get(label) ?? []),
    bc,
    rl,
    transitionSets: { bc: bcSet, rl: rlSet },
    ...(baselines.length ? { baselines: baselineRuns } : {}),
    ...(tasks ? { tasks } : {}),
    db: store.file,
    out: options.out,
    seconds: (performance.now() - started) / 1000,
  };
  fs.writeFileSync(path.join(options.out, 'pipeline.json'), JSON.stringify(result, null, 2));
  return result;
}

/** One transition set per stage and episode selection: rerunning the pipeline reuses it (and so resumes training). */
async function transitionSet(store: DatasetStore, name: string, ids: number[], agent: AgentKind = 'stephrl'): Promise<number> {
  const existing = await store.db.get<{ id: number }>('SELECT id FROM transition_sets WHERE name = ? ORDER BY id DESC LIMIT 1', [name]);
  if (existing) return existing.id;
  const { setId, counts } = await materializeTransitions(store.db, name, { ids }, { name: agent, derive: agentTransitions(agent) });
  if (counts.low === 0) throw new Error(`no usable transitions for ${name}: ${JSON.stringify(counts)}`);
  return setId;
}

async function train(
  store: DatasetStore,
  options: PipelineOptions,
  kind: 'bc' | 'rl',
  setId: number,
  initAdapter: string | undefined,
  stageConfig: Record<string, unknown> = {},
): Promise<TrainingResult> {
  const result = await runTraining(store, {
    kind,
    model: options.modelPath,
    preset: options.preset,
    setId,
    out: path.join(options.out, `${kind}-set${setId}`),
    config: { ...options.slice.trainerConfig, ...options.slice.stageConfig?.[kind], ...stageConfig, ...options.trainerConfig },
    ...(initAdapter ? { initAdapter } : {}),
    ...((options.trainSteps?.[kind] ?? options.slice.trainSteps?.[kind])
      ? { steps: options.trainSteps?.[kind] ?? options.slice.trainSteps?.[kind] }
      : {}),
    cpu: options.model.gpu === 'cpu',
    log: options.log ?? silentLogger,
    ...(options.signal ? { signal: options.signal } : {}),
    onEvent: (event, runId) => {
      if (event.event === 'start') options.onRun?.(runId);
      if (event.event !== 'metrics') return;
      const loss = headlineLoss(event.values);
      options.log?.('info', `${kind} step ${event.step}${loss ? `: ${loss.name} ${loss.value.toFixed(4)}` : ''}`);
    },
  });
  if (result.status !== 'complete' || !result.adapterGguf) {
    if (result.status === 'interrupted')
      throw new PipelineCancelled(`${kind} training stopped at step ${result.steps}; run the pipeline again to resume it`);
    throw new Error(`${kind} training ${result.status}: ${result.error ?? 'no adapter was written'}`);
  }
  return result;
}

async function play(
  store: DatasetStore,
  options: PipelineOptions,
  p: {
    env: EnvKind;
    split: string;
    agent: AgentKind;
    adapter: string | null;
    temperature: number;
    constrained: boolean;
    perTask: number;
    limit: number;
    runKind: 'eval' | 'collect';
  },
): Promise<EvaluationSummary> {
  const parallel = options.parallel ?? 1;
  const model = await openModel(
    { ...options.model, path: options.modelPath, ...(p.adapter ? { adapter: p.adapter } : {}) },
    { sessions: parallel, slotsPerSession: AGENT_ROLES[p.agent].length, ...(p.agent === 'stephrl' ? {} : { defaultContextSize: BASELINE_CONTEXT }) },
    options.log,
  );
  try {
    const summary = await runEvaluation(store, {
      env: p.env,
      split: p.split,
      agent: p.agent,
      model,
      decoding: { temperature: p.temperature, constrained: p.constrained, keepTexts: true },
      perTaskLimit: p.perTask,
      limit: p.limit,
      ...(options.tasks?.length ? { tasks: options.tasks } : {}),
      parallel,
      maxSteps: options.slice.maxSteps,
      alfworldData: options.alfworldData,
      runKind: p.runKind,
      onPlan: ({ runId }) => runId !== null && options.onRun?.(runId),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (options.signal?.aborted) throw new PipelineCancelled('the pipeline was cancelled; run it again to continue');
    if (summary.missing)
      throw new Error(
        `${agentLabel(p.agent, { constrained: p.constrained, temperature: p.temperature })} on ${p.env} ${p.split}: ${plural(summary.missing, 'episode')} failed: ${summary.failures.slice(0, 3).join('; ')}`,
      );
    return summary;
  } finally {
    await model.close();
  }
}

function rowOf(label: string, s: EvaluationSummary, constrained: boolean): PipelineRow {
  return {
    label,
    env: s.env,
    split: s.split,
    agent: s.agent,
    adapter: s.adapter,
    constrained,
    episodes: s.episodes,
    meanScore: s.meanScore,
    scoreInterval: s.scoreInterval,
    successRate: s.successRate,
    successInterval: s.successInterval,
    invalidActionRate: s.invalidActionRate,
    meanSteps: s.meanSteps,
    promptTokensPerEpisode: s.promptTokensPerEpisode,
    completionTokensPerEpisode: s.completionTokensPerEpisode,
    perTask: s.perTask.map((t) => ({ task: t.task, episodes: t.episodes, meanScore: t.meanScore, successRate: t.successRate })),
    runId: s.runId,
  };
}

export function pipelineTable(result: PipelineResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const head = `${'stage'.padEnd(27)} ${'env, split'.padEnd(24)} ${'episodes'.padStart(8)} ${'score'.padStart(6)} ${'success (95% CI)'.padStart(19)} ${'invalid'.padStart(7)} ${'steps'.padStart(6)} ${'tokens/episode'.padStart(14)}`;
  const lines = result.rows.map((r) =>
    [
      r.label.padEnd(27),
      `${r.env} ${r.split}`.padEnd(24),
      String(r.episodes).padStart(8),
      r.meanScore.toFixed(1).padStart(6),
      `${pct(r.successRate)} (${pct(r.successInterval[0])}-${pct(r.successInterval[1])})`.padStart(19),
      pct(r.invalidActionRate).padStart(7),
      r.meanSteps.toFixed(1).padStart(6),
      String(Math.round(r.promptTokensPerEpisode + r.completionTokensPerEpisode)).padStart(14),
    ].join(' '),
  );
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

export { PipelineCancelled };
