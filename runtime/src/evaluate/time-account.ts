/**
 * Where an evaluation's episodes spend their time: model calls by role (each call's own latency), the environment
 * (timed around the worker's answers: steps and valid-action lists, resets apart), and the rest (prompts, grammars,
 * store writes). Summed over the episodes a run plays, so a reader sees which part to make faster.
 */
import type { Environment } from '../env/environment';
import type { ModelCallRecord } from '../protocol/dataset';
import type { EpisodeTime } from '../protocol/agent';
import type { ModelRole } from '../protocol/vocabulary';

const seconds = (ms: number) => Number((ms / 1000).toFixed(2));

export class TimeAccount {
  private episodes = 0;
  private episodeMs = 0;
  private resetMs = 0;
  private environmentMs = 0;
  private readonly modelMs = new Map<ModelRole, number>();

  /** The environment as the agent uses it, every answer from its worker timed. */
  timed(env: Environment): Environment {
    const time = async <T>(part: 'resetMs' | 'environmentMs', work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await work();
      } finally {
        this[part] += performance.now() - started;
      }
    };
    return {
      kind: env.kind,
      start: () => env.start(),
      reset: (episode, options) => time('resetMs', () => env.reset(episode, options)),
      step: (action) => time('environmentMs', () => env.step(action)),
      expertAction: () => time('environmentMs', () => env.expertAction()),
      validActions: () => time('environmentMs', () => env.validActions()),
      listSplit: (split, options) => env.listSplit(split, options),
      close: () => env.close(),
    };
  }

  calls(calls: readonly ModelCallRecord[]): void {
    for (const call of calls) this.modelMs.set(call.role, (this.modelMs.get(call.role) ?? 0) + call.latencyMs);
  }

  /** An episode ended (complete or not) after `ms` of wall time, its reset included. */
  episode(ms: number): void {
    this.episodes++;
    this.episodeMs += ms;
  }

  summary(): EpisodeTime | undefined {
    if (!this.episodes) return undefined;
    const modelMs = [...this.modelMs.values()].reduce((a, b) => a + b, 0);
    return {
      episodes: this.episodes,
      episodeSeconds: seconds(this.episodeMs),
      modelSeconds: Object.fromEntries([...this.modelMs].map(([role, ms]) => [role, seconds(ms)])),
      environmentSeconds: seconds(this.environmentMs),
      resetSeconds: seconds(this.resetMs),
      otherSeconds: seconds(this.episodeMs - modelMs - this.environmentMs - this.resetMs),
    };
  }
}
