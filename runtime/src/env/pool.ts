/**
 * A pool of environment workers of one kind. Workers start lazily (up to `size`), are reused across episodes,
 * and a worker that died or hung is dropped and replaced on the next lease. A failed episode is reported with
 * the episode it was running and the reason, and never takes the pool down.
 */
import { describeEpisode, type EnvKind, type EpisodeSpec } from '../protocol/environment';
import { WorkerFailure, type WorkerOptions } from './worker-process';
import { WorkerEnvironment } from './environment';
import { ErrorCodes, ExitCodes, StudioError } from '../protocol/errors';

export interface PoolOptions extends WorkerOptions {
  /** Number of worker processes (parallel episodes). */
  size?: number;
  /**
   * Replace a worker after this many episodes. A TextWorld process keeps a few MB per loaded game alive and its
   * steps slow down as it does, so ALFWorld workers are recycled; ScienceWorld reuses one JVM indefinitely.
   */
  maxEpisodesPerWorker?: number;
}

const DEFAULT_MAX_EPISODES: Record<EnvKind, number> = { scienceworld: Infinity, alfworld: 50 };

/** An episode that failed: answers with its cause's codes (a worker that died, a model that cannot be used...). */
export class EpisodeFailure extends StudioError {
  constructor(
    readonly episode: EpisodeSpec | undefined,
    override readonly cause: Error,
  ) {
    super(
      `${episode ? describeEpisode(episode) : 'episode'} failed: ${cause.message}`,
      cause instanceof StudioError ? cause.rpcCode : ErrorCodes.Internal,
      cause instanceof StudioError ? cause.exitCode : ExitCodes.Failure,
    );
    this.name = 'EpisodeFailure';
  }
}

/** A failure because the worker itself was lost (killed, crashed, hung), not because of what it was asked. */
export function isWorkerLoss(error: unknown): boolean {
  const cause = error instanceof EpisodeFailure ? error.cause : error;
  return cause instanceof WorkerFailure && (cause.code === 'worker_died' || cause.code === 'timeout');
}

export type Settled<I, T> = { item: I; ok: true; value: T } | { item: I; ok: false; error: EpisodeFailure };

export class WorkerPool {
  readonly size: number;
  private readonly idle: WorkerEnvironment[] = [];
  private readonly all = new Set<WorkerEnvironment>();
  private readonly waiters: Array<(env: WorkerEnvironment) => void> = [];
  private closed = false;
  /** Workers started over the pool's life (restarts included), for reports and tests. */
  started = 0;

  constructor(
    readonly kind: EnvKind,
    private readonly options: PoolOptions = {},
  ) {
    this.size = Math.max(1, options.size ?? 1);
  }

  private async acquire(): Promise<WorkerEnvironment> {
    if (this.closed) throw new Error('the worker pool is closed');
    while (this.idle.length > 0) {
      const env = this.idle.pop()!;
      if (env.worker.alive) return env;
      this.all.delete(env); // died while idle: replace it
    }
    if (this.all.size < this.size) {
      const env = new WorkerEnvironment(this.kind, this.options);
      this.all.add(env);
      this.started++;
      return env;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(env: WorkerEnvironment): void {
    const limit = this.options.maxEpisodesPerWorker ?? DEFAULT_MAX_EPISODES[this.kind];
    if (!env.worker.alive || this.closed || env.episodes >= limit) {
      this.all.delete(env);
      void env.close();
      // A slot is free again: let a waiter start a fresh worker.
      const waiter = this.waiters.shift();
      if (waiter && !this.closed) {
        const fresh = new WorkerEnvironment(this.kind, this.options);
        this.all.add(fresh);
        this.started++;
        waiter(fresh);
      }
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(env);
    else this.idle.push(env);
  }

  /** Runs `fn` with an environment leased from the pool. */
  async use<T>(fn: (env: WorkerEnvironment) => Promise<T>, episode?: EpisodeSpec): Promise<T> {
    const env = await this.acquire();
    try {
      await env.start();
      return await fn(env);
    } catch (error) {
      throw error instanceof EpisodeFailure ? error : new EpisodeFailure(episode, asError(error));
    } finally {
      this.release(env);
    }
  }

  /** Runs every item with at most `size` in flight; failures are collected, not thrown. */
  async map<I, T>(
    items: readonly I[],
    fn: (env: WorkerEnvironment, item: I) => Promise<T>,
    episodeOf?: (item: I) => EpisodeSpec,
    onSettled?: (settled: Settled<I, T>, index: number) => void,
  ): Promise<Array<Settled<I, T>>> {
    const results: Array<Settled<I, T>> = new Array(items.length);
    let next = 0;
    const lane = async () => {
      while (next < items.length && !this.closed) {
        const index = next++;
        const item = items[index]!;
        let settled: Settled<I, T>;
        try {
          settled = { item, ok: true, value: await this.use((env) => fn(env, item), episodeOf?.(item)) };
        } catch (error) {
          settled = { item, ok: false, error: error as EpisodeFailure };
        }
        results[index] = settled;
        onSettled?.(settled, index);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.size, items.length) }, lane));
    return results;
  }

  /** Process ids of live workers (for tests and diagnostics). */
  pids(): number[] {
    return [...this.all].map((env) => env.worker.pid).filter((pid): pid is number => pid !== undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const envs = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(envs.map((env) => env.close()));
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
