/** Import as the CLI and the extension do it: read and check the files (all or nothing), store, auto-annotate. */
import * as path from 'node:path';
import type { DatasetStore } from '../store/dataset-store';
import { annotateStoredEpisodes } from '../annotate/run';
import { readImport, type ExchangeFormat, type ImportOptions } from './files';
import { importEpisodes } from './import';

export interface ImportResult {
  runId: number;
  episodeIds: number[];
  imported: number;
  annotated: number;
  annotationFailures: string[];
}

export async function importFiles(
  store: DatasetStore,
  format: ExchangeFormat,
  files: string[],
  options: ImportOptions & { annotate: boolean },
): Promise<ImportResult> {
  const { annotate, ...readOptions } = options;
  const episodes = readImport(format, files, readOptions);
  const imported = await importEpisodes(store, episodes, { format, files: files.map((f) => path.resolve(f)) });
  const annotated = annotate && imported.episodeIds.length ? await annotateStoredEpisodes(store, { filter: { ids: imported.episodeIds } }) : null;
  return { ...imported, imported: imported.episodeIds.length, annotated: annotated?.written ?? 0, annotationFailures: annotated?.failures ?? [] };
}
