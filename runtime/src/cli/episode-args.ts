/** Turns CLI options into a validated episode spec, with messages that say which option is missing. */
import { EnvKind, EpisodeSpec } from '../protocol/environment';
import { MAX_PARALLEL } from '../protocol/agent';

export interface EpisodeOptions {
  env: string;
  task?: string;
  variation?: string;
  game?: string;
  simplifications?: string;
}

import { UsageError } from '../protocol/errors';
import { ENV_KINDS, listed } from '../protocol/vocabulary';
export { UsageError };

import { AGENT_KINDS, type AgentKind } from '../agent/types';

export function parseEnvKind(value: string): EnvKind {
  const parsed = EnvKind.safeParse(value);
  if (!parsed.success) throw new UsageError(`--env must be ${listed(ENV_KINDS)}, not '${value}'`);
  return parsed.data;
}

export function parseEpisode(options: EpisodeOptions): EpisodeSpec {
  const env = parseEnvKind(options.env);
  if (env === 'scienceworld') {
    if (!options.task) throw new UsageError('ScienceWorld needs --task NAME (and --variation N, default 0)');
    const variation = Number(options.variation ?? '0');
    if (!Number.isInteger(variation) || variation < 0) {
      throw new UsageError(`--variation must be a non-negative integer, not '${options.variation}'`);
    }
    return EpisodeSpec.parse({ env, task: options.task, variation, simplifications: options.simplifications });
  }
  if (!options.game) throw new UsageError('ALFWorld needs --game PATH (a game.tw-pddl file or its folder)');
  return EpisodeSpec.parse({ env, game: options.game });
}

export function parsePositiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, not '${value}'`);
  return n;
}

/** --parallel: 1 to MAX_PARALLEL (each parallel episode starts a Python worker and holds its own model slots). */
export function parseParallel(value: string): number {
  const n = parsePositiveInt(value, '--parallel');
  if (n > MAX_PARALLEL) throw new UsageError(`--parallel is at most ${MAX_PARALLEL} (each parallel episode starts an environment worker), not ${n}`);
  return n;
}

export function parseAgent(value: string): AgentKind {
  if (!(AGENT_KINDS as readonly string[]).includes(value)) throw new UsageError(`--agent must be ${listed(AGENT_KINDS)}, not '${value}'`);
  return value as AgentKind;
}
