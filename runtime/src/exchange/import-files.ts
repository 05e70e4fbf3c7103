/** Import as the CLI and the extension do it: read and check the files (all or nothing), store, auto-annotate. */
import * as path from 'node:path';
import type { DatasetStore } from '../store/dataset-store';
import { annotateStoredEpisodes } from '../annotate/run';
import type { ImportFormat } from '../protocol/vocabulary';
import { readImportWithDigest, type ImportOptions } from './files';
import { importEpisodes } from './import';

export interface ImportResult {
  runId: number;
  episodeIds: number[];
  imported: number;
  annotated: number;
  annotationFailures: string[];
  /** Set when the same input was already imported (that run's id) and nothing new was stored. */
  alreadyImportedBy: number | null;
}

export async function importFiles(
  store: DatasetStore,
  format: ImportFormat,
  files: string[],
  options: ImportOptions & { annotate: boolean; again?: boolean },
): Promise<ImportResult> {
  const { annotate, again, ...readOptions } = options;
  const { episodes, digest } = readImportWithDigest(format, files, readOptions);
  const origin = { format, files: files.map((f) => path.resolve(f)), digest };
  const imported = await importEpisodes(store, episodes, origin, { again: again ?? false });
  // Already imported: a crash may have come between the import and its annotation, so finish that (annotations kept).
  const filter = imported.alreadyImportedBy !== null ? { runId: imported.alreadyImportedBy } : { ids: imported.episodeIds };
  const annotated =
    annotate && (imported.episodeIds.length || imported.alreadyImportedBy !== null) ? await annotateStoredEpisodes(store, { filter }) : null;
  return { ...imported, imported: imported.episodeIds.length, annotated: annotated?.written ?? 0, annotationFailures: annotated?.failures ?? [] };
}
