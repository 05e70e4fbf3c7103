/** `dataset stats`: what a dataset holds, how much of it is annotated and reviewed, and its transition counts. */
import type { SqliteDatabase } from './sqlite';
import type { EpisodeFilter } from './episodes';
import { episodeWhere } from './episodes';
import { loadTransitionEpisodes, transitionProblem } from './transitions';
import { SCHEMA_VERSION } from './schema';

export interface DatasetStats {
  file: string;
  schemaVersion: number;
  episodes: { total: number; byEnv: Record<string, number>; bySource: Record<string, number>; byStatus: Record<string, number>; won: number };
  steps: number;
  subtasks: number;
  annotation: {
    /** Complete episodes with a valid segmentation and progress on every step. */
    annotatedEpisodes: number;
    completeEpisodes: number;
    /** Share of the complete episodes' steps that have local progress. */
    progressCoverage: number;
    /** Share of subtasks and progress texts a person marked reviewed. */
    reviewedShare: number;
    subtasksByProvenance: Record<string, number>;
    progressByProvenance: Record<string, number>;
    edits: number;
  };
  transitions: { high: number; low: number; progress: number };
  runs: Record<string, number>;
}

export async function datasetStats(db: SqliteDatabase, filter: EpisodeFilter = {}): Promise<DatasetStats> {
  const { where, params } = episodeWhere(filter);
  const selected = `episode_id IN (SELECT id FROM episodes${where})`;
  const group = async (column: string, table = `episodes${where}`, tableParams = params) =>
    Object.fromEntries(
      (
        await db.all<{ k: string; n: number }>(
          `SELECT ${column} AS k, count(*) AS n FROM ${table} GROUP BY ${column} ORDER BY ${column}`,
          tableParams,
        )
      ).map((r) => [r.k, r.n]),
    );
  const count = async (sql: string, sqlParams: unknown[] = params) => (await db.get<{ n: number }>(sql, sqlParams))?.n ?? 0;

  const byStatus = await group('status');
  const completeSteps = await count(`SELECT coalesce(sum(step_count), 0) AS n FROM episodes${where ? `${where} AND` : ' WHERE'} status = 'complete'`);
  const completeProgress = await count(
    `SELECT count(*) AS n FROM local_progress WHERE episode_id IN (SELECT id FROM episodes${where ? `${where} AND` : ' WHERE'} status = 'complete')`,
  );
  const subtasks = await count(`SELECT count(*) AS n FROM subtasks WHERE ${selected}`);
  const progressRows = await count(`SELECT count(*) AS n FROM local_progress WHERE ${selected}`);
  const reviewed =
    (await count(`SELECT count(*) AS n FROM subtasks WHERE reviewed = 1 AND ${selected}`)) +
    (await count(`SELECT count(*) AS n FROM local_progress WHERE reviewed = 1 AND ${selected}`));

  const episodes = await loadTransitionEpisodes(db, filter);
  const annotated = episodes.filter((e) => !transitionProblem(e));
  const annotatedSteps = annotated.reduce((n, e) => n + e.steps.length, 0);

  return {
    file: db.file,
    schemaVersion: SCHEMA_VERSION,
    episodes: {
      total: await count(`SELECT count(*) AS n FROM episodes${where}`),
      byEnv: await group('env'),
      bySource: await group('source'),
      byStatus,
      won: await count(`SELECT count(*) AS n FROM episodes${where ? `${where} AND` : ' WHERE'} won = 1`),
    },
    steps: await count(`SELECT count(*) AS n FROM steps WHERE ${selected}`),
    subtasks,
    annotation: {
      annotatedEpisodes: annotated.length,
      completeEpisodes: byStatus.complete ?? 0,
      progressCoverage: completeSteps ? completeProgress / completeSteps : 0,
      reviewedShare: subtasks + progressRows ? reviewed / (subtasks + progressRows) : 0,
      subtasksByProvenance: await group('provenance', `subtasks WHERE ${selected}`),
      progressByProvenance: await group('provenance', `local_progress WHERE ${selected}`),
      edits: await count(`SELECT count(*) AS n FROM annotation_edits WHERE ${selected}`),
    },
    transitions: {
      high: annotated.reduce((n, e) => n + e.subtasks.length, 0),
      low: annotatedSteps,
      progress: annotatedSteps,
    },
    runs: await group(`kind || ':' || status`, 'runs', []),
  };
}
