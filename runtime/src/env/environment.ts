/** The runtime's view of one environment instance; everything above it (agents, experts, CLI) uses only this. */
import type { EngineInfo, EnvKind, EpisodeSpec, ResetResult, SplitEntry, StepResult } from '../protocol/environment';
import { EnvWorker, type WorkerOptions } from './worker-process';

export interface ResetOptions {
  /** Step cap; 50 as in the reference setup. */
  maxSteps?: number;
  /** Prepare the expert (ScienceWorld gold path, ALFWorld hand-coded expert). */
  expert?: boolean;
  /** ALFWorld expert's tie-breaking seed. */
  seed?: number;
}

export interface Environment {
  readonly kind: EnvKind;
  start(): Promise<EngineInfo>;
  reset(episode: EpisodeSpec, options?: ResetOptions): Promise<ResetResult>;
  step(action: string): Promise<StepResult>;
  /** The expert's next action in the current state, or null when it has none. */
  expertAction(): Promise<string | null>;
  validActions(): Promise<string[]>;
  listSplit(split: string, options?: { tasks?: string[]; data?: string }): Promise<SplitEntry[]>;
  close(): Promise<void>;
}

export const DEFAULT_MAX_STEPS = 50;
export const DEFAULT_SIMPLIFICATIONS = 'easy';

/** An Environment backed by its own Python worker process. */
export class WorkerEnvironment implements Environment {
  readonly worker: EnvWorker;
  /** Episodes loaded by this worker so far. */
  episodes = 0;

  constructor(
    readonly kind: EnvKind,
    options: WorkerOptions = {},
  ) {
    this.worker = new EnvWorker(kind, options);
  }

  start(): Promise<EngineInfo> {
    return this.worker.start();
  }

  reset(episode: EpisodeSpec, options: ResetOptions = {}): Promise<ResetResult> {
    if (episode.env !== this.kind) throw new Error(`a ${this.kind} environment cannot load a ${episode.env} episode`);
    const common = { maxSteps: options.maxSteps ?? DEFAULT_MAX_STEPS, expert: options.expert ?? false };
    const params =
      episode.env === 'scienceworld'
        ? {
            ...common,
            task: episode.task,
            variation: episode.variation,
            simplifications: episode.simplifications ?? DEFAULT_SIMPLIFICATIONS,
          }
        : { ...common, game: episode.game, seed: options.seed ?? 0 };
    this.episodes++;
    return this.worker.call('reset', params);
  }

  step(action: string): Promise<StepResult> {
    return this.worker.call('step', { action });
  }

  async expertAction(): Promise<string | null> {
    return (await this.worker.call('expertAction')).action;
  }

  async validActions(): Promise<string[]> {
    return (await this.worker.call('validActions')).actions;
  }

  async listSplit(split: string, options: { tasks?: string[]; data?: string } = {}): Promise<SplitEntry[]> {
    return (await this.worker.call('listSplit', { split, ...options })).episodes;
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
