/** Training a model on a transition set (`stephrl train bc|rl`, `train/run`). */
import * as path from 'node:path';
import type { TrainerEvent } from '../protocol/trainer';
import type { RequestParams } from '../protocol/rpc';

export type TrainingRequest = RequestParams<'train/run'>;
import type { DatasetStore } from '../store/dataset-store';
import { resolveAdapter } from '../llm/shipped-adapters';
import { runTraining, type TrainingResult } from '../train/training';
import type { TrainerLaunch } from '../train/trainer-process';
import { resolveModelPath } from '../util/paths';
import type { JobHooks } from './request';

export interface TrainingHooks extends JobHooks {
  onEvent?: (event: TrainerEvent, runId: number) => void;
}

/** How the trainer process is launched: the command line's business (a server's client does not choose it). */
export type LaunchSettings = Pick<TrainerLaunch, 'exportGguf' | 'accelerate'>;

export function trainModel(
  store: DatasetStore,
  request: TrainingRequest,
  hooks: TrainingHooks,
  launch: LaunchSettings = {},
): Promise<TrainingResult> {
  return runTraining(store, {
    kind: request.kind,
    preset: request.preset,
    model: resolveModelPath(request.model),
    config: request.config,
    cpu: request.cpu,
    // A set named by id says whose transitions it holds (an agent given too must match it); otherwise the agent, or
    // STEP-HRL, picks its newest set.
    ...(request.setId ? { setId: request.setId } : {}),
    ...(request.agent ? { agent: request.agent } : {}),
    ...(request.steps ? { steps: request.steps } : {}),
    ...(request.out ? { out: path.resolve(request.out) } : {}),
    // A folder, an adapter GGUF (the trainer reads it back into a folder) or a shipped adapter's name.
    ...(request.initAdapter ? { initAdapter: resolveAdapter(request.initAdapter).path } : {}),
    ...launch,
    log: hooks.log,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onEvent: (event, runId) => {
      hooks.onRun?.(runId);
      hooks.onEvent?.(event, runId);
    },
  });
}
