/** The `agent/evaluate` request the Evaluate command sends: the user's picks over the extension's settings. */
import type { RequestInput } from '../../../runtime/src/protocol/rpc';

export interface ModelSettings {
  modelPath: string;
  adapterPath: string;
  modelEndpoint: string;
  gpu: 'auto' | 'cpu' | 'cuda' | 'vulkan' | 'metal';
  /** merged: the adapter merged into a cached copy of the model (faster); separate: applied beside it. */
  adapterMode: 'merged' | 'separate';
  threads: number;
  parallelEnvironments: number;
  databasePath: string;
  /** Environment steps per episode. */
  maxSteps: number;
  /** Tokens per prompt slot; 0: the runtime's default. */
  contextSize: number;
  scienceworldSimplifications: string;
}

export interface EvaluationPicks {
  env: 'scienceworld' | 'alfworld';
  split: string;
  agent: 'stephrl' | 'react' | 'hrl-history';
  /** Empty: the whole split. */
  limit?: number;
  constrained: boolean;
}

export function evaluationRequest(picks: EvaluationPicks, settings: ModelSettings, token: string): RequestInput<'agent/evaluate'> {
  return {
    env: picks.env,
    split: picks.split,
    agent: picks.agent,
    constrained: picks.constrained,
    parallel: Math.max(1, settings.parallelEnvironments),
    maxSteps: Math.max(1, settings.maxSteps),
    token,
    ...(picks.env === 'scienceworld' && settings.scienceworldSimplifications.trim()
      ? { simplifications: settings.scienceworldSimplifications.trim() }
      : {}),
    ...(picks.limit ? { limit: picks.limit } : {}),
    ...(settings.databasePath.trim() ? { db: settings.databasePath.trim() } : {}),
    model: {
      gpu: settings.gpu,
      prefixReuse: true,
      adapterMode: settings.adapterMode,
      ...(settings.modelEndpoint.trim() ? { endpoint: settings.modelEndpoint.trim() } : {}),
      ...(settings.modelPath.trim() && !settings.modelEndpoint.trim() ? { path: settings.modelPath.trim() } : {}),
      ...(settings.adapterPath.trim() && !settings.modelEndpoint.trim() ? { adapter: settings.adapterPath.trim() } : {}),
      ...(settings.threads > 0 ? { threads: settings.threads } : {}),
      ...(settings.contextSize > 0 && !settings.modelEndpoint.trim() ? { contextSize: settings.contextSize } : {}),
    },
  };
}

/** A one-line result for a notification. */
export function describeSummary(s: {
  env: string;
  split: string;
  agent: string;
  episodes: number;
  meanScore: number;
  successRate: number;
  promptTokensPerEpisode: number;
  missing: number;
}): string {
  const headline = s.env === 'scienceworld' ? `mean score ${s.meanScore.toFixed(1)}` : `success ${(s.successRate * 100).toFixed(1)}%`;
  const missing = s.missing ? `; ${s.missing} not finished (run it again to resume)` : '';
  return `${s.agent} on ${s.env} ${s.split}: ${headline} over ${s.episodes} episode${s.episodes === 1 ? '' : 's'}, ${Math.round(s.promptTokensPerEpisode)} prompt tokens per episode${missing}`;
}
