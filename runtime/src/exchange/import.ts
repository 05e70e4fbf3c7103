/**
 * Imports parsed episodes in one transaction (all or nothing), recorded as an `import` run. The same input imported
 * again (a rerun after a crash, or two processes at once) is found by its digest inside the write transaction and
 * stored once, unless a second copy is asked for.
 */
import * as os from 'node:os';
import type { DatasetStore } from '../store/dataset-store';
import { insertChildRows, insertEpisodeRows } from '../store/episodes';
import { nowIso } from '../store/rows';
import type { ImportedEpisode } from './types';

export interface ImportOrigin {
  format: string;
  files: string[];
  /** What the episodes were read from (exchange/files.ts readImportWithDigest); absent: never matched. */
  digest?: string;
}

export interface StoredImport {
  runId: number;
  episodeIds: number[];
  /** The earlier import run that already holds this input, when nothing was stored for that reason. */
  alreadyImportedBy: number | null;
}

export async function importEpisodes(
  store: DatasetStore,
  episodes: ImportedEpisode[],
  origin: ImportOrigin,
  options: { again?: boolean } = {},
): Promise<StoredImport> {
  return store.db.write(async (tx) => {
    if (origin.digest && !options.again) {
      // An earlier import of the same input whose episodes are still here (deleting them all allows it again).
      const earlier = await tx.get<{ id: number }>(
        `SELECT id FROM runs WHERE kind = 'import' AND status = 'complete' AND json_extract(config, '$.digest') = ?
           AND EXISTS (SELECT 1 FROM episodes WHERE episodes.run_id = runs.id) ORDER BY id LIMIT 1`,
        [origin.digest],
      );
      if (earlier) return { runId: earlier.id, episodeIds: [], alreadyImportedBy: earlier.id };
    }
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
    return { runId, episodeIds, alreadyImportedBy: null };
  });
}
