/** Evaluating an agent over a split (`stephrl eval`, `stephrl collect`, `agent/evaluate`). */
import type { EvaluationRequest } from '../protocol/agent';
import type { ModelInfo } from '../llm/types';
import type { DatasetStore } from '../store/dataset-store';
import { AGENT_ROLES } from '../agent/types';
import { BASELINE_CONTEXT, openModel } from '../llm/open-model';
import { runEvaluation, type EvaluationOptions } from '../evaluate/evaluation';
import type { EvaluationSummary } from '../evaluate/summary';
import { resolveAlfworldData } from '../util/paths';
import type { JobHooks } from './request';

export interface EvaluationHooks extends JobHooks, Pick<EvaluationOptions, 'onPlan' | 'onEpisode'> {
  /** The model is open: what it is (the CLI prints it). */
  onModel?: (info: ModelInfo) => void;
}

export async function evaluateAgent(
  store: DatasetStore,
  request: EvaluationRequest,
  hooks: EvaluationHooks,
  runKind: 'eval' | 'collect' = 'eval',
): Promise<EvaluationSummary> {
  const model = await openModel(
    request.model,
    {
      sessions: request.parallel,
      slotsPerSession: AGENT_ROLES[request.agent].length,
      ...(request.agent === 'stephrl' ? {} : { defaultContextSize: BASELINE_CONTEXT }),
    },
    hooks.log,
  );
  try {
    hooks.onModel?.(model.info);
    return await runEvaluation(store, {
      env: request.env,
      split: request.split,
      agent: request.agent,
      model,
      decoding: {
        temperature: request.temperature,
        constrained: request.constrained,
        keepTexts: request.keepTexts,
        repeatStop: request.repeatStop,
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
      },
      parallel: request.parallel,
      maxSteps: request.maxSteps,
      ...(request.simplifications ? { simplifications: request.simplifications } : {}),
      alfworldData: resolveAlfworldData(request.alfworldData),
      ...(request.tasks ? { tasks: request.tasks } : {}),
      ...(request.games ? { games: request.games } : {}),
      ...(request.limit ? { limit: request.limit } : {}),
      ...(request.perTask ? { perTaskLimit: request.perTask } : {}),
      runKind,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onPlan: (plan) => {
        hooks.onRun?.(plan.runId);
        hooks.onPlan?.(plan);
      },
      ...(hooks.onEpisode ? { onEpisode: hooks.onEpisode } : {}),
    });
  } finally {
    await model.close();
  }
}
