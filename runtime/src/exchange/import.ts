/** Imports parsed episodes in one transaction (all or nothing), recorded as an `import` run. */
import * as os from 'node:os';
import type { DatasetStore } from '../store/dataset-store';
import { insertChildRows, insertEpisodeRows } from '../store/episodes';
import { nowIso } from '../store/rows';
import type { ImportedEpisode } from './types';

export async function importEpisodes(
  store: DatasetStore,
  episodes: ImportedEpisode[],
  origin: { format: string; files: string[] },
): Promise<{ runId: number; episodeIds: number[] }> {
  return store.db.write(async (tx) => {
    const now = nowIso();
    const { lastID: runId } = await tx.run(
      `INSERT INTO runs (kind, name, config, status, pid, host, started_at, updated_at, finished_at)
       VALUES ('import', ?, ?, 'complete', ?, ?, ?, ?, ?)`,
      [`import ${origin.format} (${episodes.length} episodes)`, JSON.stringify(origin), process.pid, os.hostname(), now, now, now],
    );
    const episodeIds: number[] = [];
    for (const episode of episodes) {
      const id = await insertEpisodeRows(tx, episode.fields, runId);
      await insertChildRows(tx, id, episode.children);
      episodeIds.push(id);
    }
    return { runId, episodeIds };
  });
}
