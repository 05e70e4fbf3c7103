/**
 * The dataset: one SQLite file (WAL, foreign keys on) holding episodes, annotations, runs, metrics, checkpoints
 * and derived transitions. Opening a file migrates it forward to the current schema, one transaction per version.
 */
import * as path from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION } from './schema';
import { SqliteDatabase, StoreError } from './sqlite';
import { EpisodeRepository } from './episodes';
import { AnnotationRepository } from './annotations';
import { RunRepository } from './runs';

export class DatasetStore {
  readonly episodes: EpisodeRepository;
  readonly annotations: AnnotationRepository;
  readonly runs: RunRepository;

  private constructor(readonly db: SqliteDatabase) {
    this.episodes = new EpisodeRepository(db);
    this.annotations = new AnnotationRepository(db);
    this.runs = new RunRepository(db);
  }

  get file(): string {
    return this.db.file;
  }

  static async open(file: string, options: { readonly?: boolean } = {}): Promise<DatasetStore> {
    const db = await SqliteDatabase.open(file, options);
    try {
      const version = await schemaVersion(db);
      if (version > SCHEMA_VERSION) {
        throw new StoreError(`${file} has schema version ${version}, newer than this runtime's ${SCHEMA_VERSION}: update STEP-HRL Studio`);
      }
      if (version < SCHEMA_VERSION) {
        if (options.readonly)
          throw new StoreError(`${file} has schema version ${version}; open it once read-write to migrate it to ${SCHEMA_VERSION}`);
        await migrate(db, version);
      }
      const store = new DatasetStore(db);
      if (!options.readonly) {
        await store.runs.markDeadRunsInterrupted();
        await store.episodes.markOrphansInterrupted();
      }
      return store;
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /** Runs SQLite's own consistency check; returns its problems (none: []). */
  async integrityProblems(): Promise<string[]> {
    const rows = await this.db.all<{ integrity_check: string }>('PRAGMA integrity_check');
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    const fk = await this.db.all<Record<string, unknown>>('PRAGMA foreign_key_check');
    return [...problems, ...fk.map((r) => `foreign key: ${JSON.stringify(r)}`)];
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function schemaVersion(db: SqliteDatabase): Promise<number> {
  const row = await db.get<{ user_version: number }>('PRAGMA user_version');
  return row?.user_version ?? 0;
}

/**
 * Each step reads the version again inside its own write transaction (BEGIN IMMEDIATE): two processes opening a new
 * file at the same moment take turns, and the second finds the first's work done instead of failing on it.
 */
async function migrate(db: SqliteDatabase, from: number): Promise<void> {
  for (let version = from; version < SCHEMA_VERSION;) {
    version = await db.write(async (tx) => {
      const current = (await tx.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
      if (current !== version) return current; // another process migrated meanwhile
      if (current === 0) {
        // A version-0 file must be empty: refuse to build our schema into somebody else's database.
        const tables = await tx.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`);
        if (tables.length) {
          throw new StoreError(
            `${db.file} is an SQLite database but not a STEP-HRL dataset (it has tables: ${tables
              .slice(0, 5)
              .map((t) => t.name)
              .join(', ')})`,
          );
        }
      }
      await tx.exec(MIGRATIONS[current]!);
      await tx.exec(`PRAGMA user_version = ${current + 1}`);
      return current + 1;
    });
  }
}

/** The dataset a command uses when none is given: $STEPHRL_DB, else .stephrl/stephrl.db in the working folder. */
export function defaultDatasetPath(): string {
  return path.resolve(process.env.STEPHRL_DB ?? path.join(process.cwd(), '.stephrl', 'stephrl.db'));
}
