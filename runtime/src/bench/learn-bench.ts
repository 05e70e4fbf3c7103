/**
 * `stephrl bench learn` (`npm run bench -- learn`): the learning check. Behaviour cloning of a model on the first few
 * ALFWorld valid_train expert demonstrations until it has learned them, then the greedy STEP-HRL agent with the
 * exported adapter replays those same games. It passes when it wins at least `required` of them, which shows that
 * demonstrations, annotation, transitions, tokenisation, targets, adapter export and decoding agree end to end;
 * when it fails, the per-game episodes (kept in its dataset) show where the agent left the demonstration.
 *
 * Everything lives in one folder (`.stephrl/learn/` by default) and every stage resumes: running it again redoes
 * nothing finished. Run it before every change to training, prompts or export.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectDemonstrations, expertAgent } from '../collect/demos';
import { annotateStoredEpisodes } from '../annotate/run';
import { runEvaluation } from '../evaluate/evaluation';
import { openModel } from '../llm/open-model';
import { AGENT_ROLES } from '../agent/types';
import { DatasetStore } from '../store/dataset-store';
import { materializeTransitions } from '../store/transitions';
import { runTraining } from '../train/training';
import { resolveAlfworldData } from '../util/paths';
import type { Logger } from '../util/log';
import { agentTransitions } from '../agent/agent-transitions';

/**
 * What the check trains with, over the cpu-small preset: an adapter on every linear layer (attention alone learns a
 * 135M model's new behaviour far more slowly), a high learning rate, no dropout, the whole batch in one pass.
 */
export const LEARN_CONFIG: Record<string, unknown> = {
  bc_lr: 1e-3,
  micro_batch_size: 8,
  global_batch_size: 8,
  checkpoint_every: 20,
  lora: { r: 16, alpha: 32, dropout: 0.0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
};

export interface LearnCheckOptions {
  model: string;
  /** Demonstrations (the first N valid_train games), also the games replayed. */
  games: number;
  /** Games the agent must win. */
  required: number;
  steps: number;
  config: Record<string, unknown>;
  /** Where the dataset, the training run and the episodes live (resumable). */
  dir: string;
  constrained: boolean;
  maxSteps: number;
  cpu: boolean;
  log: Logger;
}

export interface LearnCheckResult {
  passed: boolean;
  won: number;
  games: number;
  required: number;
  perGame: Array<{ game: string | null; won: boolean; steps: number; demonstrationSteps: number }>;
  training: { steps: number; finalLoss: number | null; seconds: number; tokensPerSecond: number | null; adapter: string | null };
  evaluation: { seconds: number; invalidActionRate: number; promptTokensPerEpisode: number };
  dataset: string;
  config: Record<string, unknown>;
  machine: { cpus: number; cpuModel: string; memoryGb: number; platform: string };
}

export async function runLearnCheck(options: LearnCheckOptions): Promise<LearnCheckResult> {
  fs.mkdirSync(options.dir, { recursive: true });
  const dbFile = path.join(options.dir, 'learn.db');
  const store = await DatasetStore.open(dbFile);
  const log = options.log;
  const alfworldData = resolveAlfworldData();
  try {
    log('info', `learning check: ${options.games} ALFWorld valid_train demonstrations`);
    await collectDemonstrations(store, { env: 'alfworld', split: 'valid_train', limit: options.games, alfworldData });
    const demos = (
      await store.episodes.list({ env: 'alfworld', split: 'valid_train', source: 'expert', agent: expertAgent('alfworld', true), status: 'complete' })
    ).slice(0, options.games);
    await annotateStoredEpisodes(store, { filter: { ids: demos.map((d) => d.id) } });
    const name = `learn:${demos.length}`;
    const existing = await store.db.get<{ id: number }>('SELECT id FROM transition_sets WHERE name = ? ORDER BY id DESC LIMIT 1', [name]);
    const setId =
      existing?.id ??
      (await materializeTransitions(store.db, name, { ids: demos.map((d) => d.id) }, { name: 'stephrl', derive: agentTransitions('stephrl') })).setId;

    const config = { ...LEARN_CONFIG, ...options.config };
    const trainStarted = performance.now();
    let finalLoss: number | null = null;
    let tokensPerSecond: number | null = null;
    const training = await runTraining(store, {
      kind: 'bc',
      model: options.model,
      preset: 'cpu-small',
      setId,
      out: path.join(options.dir, `bc-${options.steps}`),
      steps: options.steps,
      config,
      cpu: options.cpu,
      log,
      onEvent: (event) => {
        if (event.event !== 'metrics') return;
        finalLoss = event.values.loss ?? finalLoss;
        tokensPerSecond = event.values.tokens_per_second ?? tokensPerSecond;
        log('info', `bc step ${event.step}/${options.steps}: loss ${event.values.loss?.toFixed(4)}`);
      },
    });
    const trainSeconds = (performance.now() - trainStarted) / 1000;
    if (training.status !== 'complete' || !training.adapterGguf) {
      throw new Error(`the learning check's training ${training.status}: ${training.error ?? 'no adapter was written'}`);
    }

    const model = await openModel(
      { path: options.model, adapter: training.adapterGguf, gpu: options.cpu ? 'cpu' : 'auto', prefixReuse: true, adapterMode: 'merged' },
      { sessions: 1, slotsPerSession: AGENT_ROLES.stephrl.length },
      log,
    );
    let summary;
    try {
      summary = await runEvaluation(store, {
        env: 'alfworld',
        split: 'valid_train',
        agent: 'stephrl',
        model,
        limit: options.games,
        maxSteps: options.maxSteps,
        alfworldData,
        decoding: { temperature: 0, constrained: options.constrained, keepTexts: true },
      });
    } finally {
      await model.close();
    }
    const played = await store.episodes.list({
      env: 'alfworld',
      split: 'valid_train',
      source: 'policy',
      agent: summary.agent,
      adapter: model.info.adapter,
      status: 'complete',
    });
    const perGame = demos.map((demo) => {
      const episode = played.find((p) => p.game === demo.game);
      return { game: demo.game, won: episode?.won ?? false, steps: episode?.stepCount ?? 0, demonstrationSteps: demo.stepCount };
    });
    const won = perGame.filter((g) => g.won).length;
    return {
      passed: won >= options.required,
      won,
      games: perGame.length,
      required: options.required,
      perGame,
      training: { steps: training.steps, finalLoss, seconds: trainSeconds, tokensPerSecond, adapter: training.adapterGguf },
      evaluation: { seconds: summary.seconds, invalidActionRate: summary.invalidActionRate, promptTokensPerEpisode: summary.promptTokensPerEpisode },
      dataset: dbFile,
      config,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        platform: `${os.platform()}-${os.arch()}`,
      },
    };
  } finally {
    await store.close();
  }
}
