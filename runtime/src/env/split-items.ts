/** The episodes of a split as a run selects them (tasks, the first N per task, a limit), with their stored identity. */
import type { EnvKind, EpisodeSpec, SplitEntry } from '../protocol/environment';
import type { EpisodeFields } from '../protocol/dataset';
import { alfworldGameKey } from '../util/alfworld-games';
import { isWorkerLoss, type WorkerPool } from './pool';

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
  /**
   * Only these episodes, in the split's order: ALFWorld game keys (`json_2.1.1/valid_seen/<task>/<trial>`) or their
   * folders; ScienceWorld `task:variation`. One that is not in the split is an error naming it.
   */
  games?: string[];
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
  const list = () =>
    pool.use((e) =>
      e.listSplit(split, {
        ...(selection.tasks?.length ? { tasks: selection.tasks } : {}),
        ...(env === 'alfworld' ? { data: selection.alfworldData } : {}),
      }),
    );
  // Listing changes nothing: a worker lost meanwhile is replaced and asked once more instead of failing the whole job.
  const entries = await list().catch((error: unknown) => {
    if (isWorkerLoss(error)) return list();
    throw error;
  });
  const chosen = selection.games?.length ? onlyGames(entries, selection.games, selection) : entries;
  return firstPerTask(chosen, selection.perTaskLimit)
    .slice(0, selection.limit ?? chosen.length)
    .map((e) => toItem(e, env, selection.simplifications, selection.alfworldData));
}

/** The episode an explicit selection names, in the form `--games` takes. */
export function episodeName(fields: SplitItem['fields']): string {
  return fields.env === 'alfworld' ? (fields.game ?? '') : `${fields.task}:${fields.variation}`;
}

function entryName(entry: SplitEntry, dataRoot: string): string {
  return 'task' in entry ? `${entry.task}:${entry.variation}` : alfworldGameKey(entry.game, dataRoot);
}

function onlyGames(entries: SplitEntry[], games: string[], selection: SplitSelection): SplitEntry[] {
  const wanted = new Set(games.map((g) => (selection.env === 'alfworld' ? alfworldGameKey(g.trim(), selection.alfworldData) : g.trim())));
  const chosen = entries.filter((e) => wanted.delete(entryName(e, selection.alfworldData)));
  if (wanted.size) {
    const missing = [...wanted].slice(0, 5).join(', ');
    throw new Error(
      `${wanted.size} of the episodes asked for ${wanted.size === 1 ? 'is' : 'are'} not in ${selection.env} ${selection.split}: ${missing}`,
    );
  }
  return chosen;
}

/**
 * The items in the order to play them: the first of each task, then the second of each, and so on (each task's own
 * order kept), so that an evaluation stopped early holds a sample of every task rather than the first tasks whole.
 */
export function interleavedByTask<T extends Pick<SplitItem, 'fields'>>(items: readonly T[]): T[] {
  const byTask = new Map<string, T[]>();
  for (const item of items) {
    const queue = byTask.get(item.fields.task);
    if (queue) queue.push(item);
    else byTask.set(item.fields.task, [item]);
  }
  const queues = [...byTask.values()];
  const order: T[] = [];
  for (let round = 0; order.length < items.length; round++) {
    for (const queue of queues) if (round < queue.length) order.push(queue[round]!);
  }
  return order;
}
