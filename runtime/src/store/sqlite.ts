/**
 * A small promise API over one `sqlite3` connection. Writes go through `write()`, which serialises them (one
 * connection has one transaction at a time, and async callers would otherwise interleave their statements) and
 * wraps each in BEGIN IMMEDIATE ... COMMIT, rolling back on any error so nothing partial is ever written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import { ErrorCodes, ExitCodes, StudioError, type ErrorCode } from '../protocol/errors';

export type Params = Record<string, unknown> | unknown[];

/** The statements a transaction body may run. */
export interface Queryable {
  run(sql: string, params?: Params): Promise<{ lastID: number; changes: number }>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  all<T>(sql: string, params?: Params): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

export class StoreError extends StudioError {
  constructor(message: string, options?: { cause?: unknown }, rpcCode: ErrorCode = ErrorCodes.StoreError) {
    super(message, rpcCode, ExitCodes.Failure, options);
    this.name = 'StoreError';
  }
}

/** The disk holding the dataset is full: every later write would fail too, so the job stops at once. */
export class DiskFullError extends StoreError {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`the disk holding ${file} is full: free some space, then run the same command again (finished episodes are kept)`, { cause });
    this.name = 'DiskFullError';
  }
}

/** The DiskFullError behind an error (an episode's failure wraps its cause), or null. */
export function diskFullCause(error: unknown): DiskFullError | null {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof DiskFullError) return e;
  return null;
}

const isDiskFull = (error: unknown) => (error as { code?: string } | null)?.code === 'SQLITE_FULL';
const isBusy = (error: unknown) => (error as { code?: string } | null)?.code === 'SQLITE_BUSY';
/** Tries of a new connection's set-up while another process holds the file (about 10 s in all). */
const OPEN_BUSY_ATTEMPTS = 100;

export class SqliteDatabase implements Queryable {
  private writeQueue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly db: sqlite3.Database,
    readonly file: string,
    readonly readonly: boolean,
  ) {}

  static async open(file: string, options: { readonly?: boolean } = {}): Promise<SqliteDatabase> {
    const readonly = options.readonly ?? false;
    if (file !== ':memory:') {
      if (readonly && !fs.existsSync(file)) throw new StoreError(`no dataset at ${file}`);
      if (!readonly) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    }
    const mode = readonly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const handle: sqlite3.Database = new sqlite3.Database(file, mode, (error) =>
        error ? reject(new StoreError(`cannot open the dataset ${file}: ${error.message}`, { cause: error })) : resolve(handle),
      );
    });
    // Another process (the CLI, the trainer) may hold the write lock for a moment: wait rather than fail.
    db.configure('busyTimeout', 10_000);
    const database = new SqliteDatabase(db, file, readonly);
    for (let attempt = 1; ; attempt++) {
      try {
        // A file that is not SQLite fails here, on its first read, with SQLITE_NOTADB.
        await database.exec('PRAGMA foreign_keys = ON');
        if (!readonly) {
          await database.get('PRAGMA journal_mode = WAL');
          await database.exec('PRAGMA synchronous = NORMAL');
        }
        return database;
      } catch (error) {
        // While another process turns a new file to WAL, SQLite answers SQLITE_BUSY at once, without the busy
        // timeout (it would deadlock otherwise): wait a moment and ask again.
        if (isBusy(error) && attempt < OPEN_BUSY_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
          continue;
        }
        await database.close();
        throw new StoreError(`${file} is not a usable dataset: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  run(sql: string, params: Params = []): Promise<{ lastID: number; changes: number }> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (error) {
        if (error) reject(error);
        else resolve({ lastID: this.lastID, changes: this.changes });
      });
    });
  }

  get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(sql, params, (error, row) => (error ? reject(error) : resolve(row as T | undefined)));
    });
  }

  all<T>(sql: string, params: Params = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.db.all(sql, params, (error, rows) => (error ? reject(error) : resolve(rows as T[])));
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (error) => (error ? reject(error) : resolve())));
  }

  /** Runs `body` in one write transaction, after every write queued before it; all or nothing. */
  write<T>(body: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.readonly) return Promise.reject(new StoreError(`the dataset ${this.file} is open read-only`));
    const result = this.writeQueue.then(async () => {
      await this.exec('BEGIN IMMEDIATE');
      try {
        const value = await body(this);
        await this.exec('COMMIT');
        return value;
      } catch (error) {
        await this.exec('ROLLBACK').catch(() => undefined);
        throw isDiskFull(error) ? new DiskFullError(this.file, error) : error;
      }
    });
    this.writeQueue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeQueue;
    await new Promise<void>((resolve, reject) => this.db.close((error) => (error ? reject(error) : resolve())));
  }
}
