/** The episodes of a split as a run selects them (tasks, the first N per task, a limit), with their stored identity. */
import type { EnvKind, EpisodeSpec, SplitEntry } from '../protocol/environment';
import type { EpisodeFields } from '../protocol/dataset';
import { alfworldGameKey } from '../util/alfworld-games';
import type { WorkerPool } from './pool';

export interface SplitItem {
  spec: EpisodeSpec;
  fields: Pick<EpisodeFields, 'env' | 'task' | 'variation' | 'simplifications' | 'game'>;
}

export interface SplitSelection {
  env: EnvKind;
  split: string;
  tasks?: string[];
  /** Only the first N episodes of each task (a sample from every task). */
  perTaskLimit?: number;
  limit?: number;
  simplifications: string;
  /** ALFWorld data root. */
  alfworldData: string;
}

function toItem(entry: SplitEntry, env: EnvKind, simplifications: string, dataRoot: string): SplitItem {
  if ('task' in entry) {
    return {
      spec: { env: 'scienceworld', task: entry.task, variation: entry.variation, simplifications },
      fields: { env, task: entry.task, variation: entry.variation, simplifications, game: null },
    };
  }
  return {
    spec: { env: 'alfworld', game: entry.game },
    fields: { env, task: entry.taskType, variation: null, simplifications: null, game: alfworldGameKey(entry.game, dataRoot) },
  };
}

function firstPerTask(entries: SplitEntry[], perTask?: number): SplitEntry[] {
  if (!perTask) return entries;
  const seen = new Map<string, number>();
  return entries.filter((e) => {
    const task = 'task' in e ? e.task : e.taskType;
    const n = seen.get(task) ?? 0;
    seen.set(task, n + 1);
    return n < perTask;
  });
}

/** Lists the split with one of the pool's workers and applies the selection. */
export async function listSplitItems(pool: WorkerPool, selection: SplitSelection): Promise<SplitItem[]> {
  const { env, split } = selection;
  const entries = await pool.use((e) =>
    e.listSplit(split, {
      ...(selection.tasks?.length ? { tasks: selection.tasks } : {}),
      ...(env === 'alfworld' ? { data: selection.alfworldData } : {}),
    }),
  );
  return firstPerTask(entries, selection.perTaskLimit)
    .slice(0, selection.limit ?? entries.length)
    .map((e) => toItem(e, env, selection.simplifications, selection.alfworldData));
}
