/** Expert demonstrations over a split (`stephrl demos`, `dataset/collectDemonstrations`). */
import type { RequestParams } from '../protocol/rpc';
import type { DatasetStore } from '../store/dataset-store';
import { collectDemonstrations, type DemoOptions, type DemoReport } from '../collect/demos';
import { resolveAlfworldData } from '../util/paths';
import type { JobHooks } from './request';

export type DemonstrationsRequest = RequestParams<'dataset/collectDemonstrations'>;

export function collectDemos(
  store: DatasetStore,
  request: DemonstrationsRequest,
  hooks: Omit<JobHooks, 'log'> & Pick<DemoOptions, 'onPlan' | 'onEpisode'>,
): Promise<DemoReport> {
  return collectDemonstrations(store, {
    env: request.env,
    split: request.split,
    parallel: request.parallel,
    alfworldData: resolveAlfworldData(request.alfworldData),
    ...(request.simplifications ? { simplifications: request.simplifications } : {}),
    ...(request.tidy !== undefined ? { tidy: request.tidy } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.tasks ? { tasks: request.tasks } : {}),
    ...(request.limit ? { limit: request.limit } : {}),
    ...(request.perTask ? { perTaskLimit: request.perTask } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onPlan ? { onPlan: hooks.onPlan } : {}),
    ...(hooks.onEpisode ? { onEpisode: hooks.onEpisode } : {}),
  });
}
