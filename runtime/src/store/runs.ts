/** Runs (collect, eval, train, annotate, import), their metrics and checkpoints. */
import * as os from 'node:os';
import type { RunKind, Status } from './schema';
import type { SqliteDatabase } from './sqlite';
import { nowIso } from './rows';

export interface RunRecord {
  id: number;
  kind: RunKind;
  name: string;
  config: Record<string, unknown>;
  status: Status;
  error: string | null;
  pid: number | null;
  host: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

import { StoreError } from './sqlite';

export interface MetricPoint {
  step: number;
  name: string;
  value: number;
  time: string;
}

function runFromRow(r: Record<string, unknown>): RunRecord {
  return {
    id: r.id as number,
    kind: r.kind as RunKind,
    name: r.name as string,
    config: JSON.parse(r.config as string),
    status: r.status as Status,
    error: (r.error as string | null) ?? null,
    pid: (r.pid as number | null) ?? null,
    host: (r.host as string | null) ?? null,
    startedAt: r.started_at as string,
    updatedAt: r.updated_at as string,
    finishedAt: (r.finished_at as string | null) ?? null,
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RunRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async start(kind: RunKind, name: string, config: Record<string, unknown>): Promise<number> {
    const now = nowIso();
    const { lastID } = await this.db.write((tx) =>
      tx.run(`INSERT INTO runs (kind, name, config, status, pid, host, started_at, updated_at) VALUES (?, ?, ?, 'running', ?, ?, ?, ?)`, [
        kind,
        name,
        JSON.stringify(config),
        process.pid,
        os.hostname(),
        now,
        now,
      ]),
    );
    return lastID;
  }

  async finish(runId: number, status: Exclude<Status, 'running'>, error: string | null = null): Promise<void> {
    const now = nowIso();
    await this.db.write(async (tx) => {
      await tx.run('UPDATE runs SET status = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?', [status, error, now, now, runId]);
      // Live episodes of a run that ends are over too.
      await tx.run(
        `UPDATE episodes SET status = 'interrupted', error = coalesce(error, ?), finished_at = coalesce(finished_at, ?)
         WHERE run_id = ? AND status = 'running'`,
        [`the run ended (${status}) before the episode finished`, now, runId],
      );
    });
  }

  /** A resumed run: running again, owned by this process (with a new configuration where it was extended). */
  async reopen(runId: number, config?: Record<string, unknown>): Promise<void> {
    const now = nowIso();
    await this.db.write((tx) =>
      tx.run(
        `UPDATE runs SET status = 'running', error = NULL, finished_at = NULL, pid = ?, host = ?, updated_at = ?, config = COALESCE(?, config) WHERE id = ?`,
        [process.pid, os.hostname(), now, config ? JSON.stringify(config) : null, runId],
      ),
    );
  }

  async updateConfig(runId: number, config: Record<string, unknown>): Promise<void> {
    await this.db.write((tx) => tx.run('UPDATE runs SET config = ?, updated_at = ? WHERE id = ?', [JSON.stringify(config), nowIso(), runId]));
  }

  /** Drops metrics logged at `firstStep` and after: a run resumed from a checkpoint logs those steps again. */
  async deleteMetricsFrom(runId: number, firstStep: number): Promise<void> {
    await this.db.write((tx) => tx.run('DELETE FROM metrics WHERE run_id = ? AND step >= ?', [runId, firstStep]));
  }

  async checkpoints(runId: number): Promise<Array<{ id: number; step: number; kind: string; path: string; metrics: Record<string, number> }>> {
    const rows = await this.db.all<{ id: number; step: number; kind: string; path: string; metrics: string }>(
      'SELECT id, step, kind, path, metrics FROM checkpoints WHERE run_id = ? ORDER BY step, id',
      [runId],
    );
    return rows.map((r) => ({ ...r, metrics: JSON.parse(r.metrics) }));
  }

  /**
   * Deletes a run with its metrics and checkpoint records, and its episodes too when asked (else they stay, without
   * a run). Files it wrote (adapters, checkpoints) stay on disk: returned so the caller can say where. A running run
   * is refused.
   */
  async delete(runId: number, options: { episodes: boolean }): Promise<{ episodes: number; files: string[] }> {
    return this.db.write(async (tx) => {
      const run = await tx.get<{ status: string }>('SELECT status FROM runs WHERE id = ?', [runId]);
      if (!run) throw new StoreError(`no run ${runId} in this dataset`);
      if (run.status === 'running') throw new StoreError(`run ${runId} is running: stop it first`);
      const files = (await tx.all<{ path: string }>('SELECT DISTINCT path FROM checkpoints WHERE run_id = ? ORDER BY path', [runId])).map(
        (r) => r.path,
      );
      const episodes = options.episodes ? (await tx.run('DELETE FROM episodes WHERE run_id = ?', [runId])).changes : 0;
      await tx.run('DELETE FROM runs WHERE id = ?', [runId]);
      return { episodes, files };
    });
  }

  async get(runId: number): Promise<RunRecord | undefined> {
    const row = await this.db.get<Record<string, unknown>>('SELECT * FROM runs WHERE id = ?', [runId]);
    return row ? runFromRow(row) : undefined;
  }

  async list(kind?: RunKind): Promise<RunRecord[]> {
    const rows = await this.db.all<Record<string, unknown>>(`SELECT * FROM runs${kind ? ' WHERE kind = ?' : ''} ORDER BY id`, kind ? [kind] : []);
    return rows.map(runFromRow);
  }

  /**
   * Runs marked running whose process on this host is gone (killed with -9, machine lost power) are marked
   * interrupted, with their live episodes. Runs of other hosts are left alone: we cannot tell.
   */
  async markDeadRunsInterrupted(): Promise<number> {
    const running = (await this.db.all<Record<string, unknown>>(`SELECT * FROM runs WHERE status = 'running'`)).map(runFromRow);
    const dead = running.filter((r) => r.host === os.hostname() && r.pid !== null && r.pid !== process.pid && !processAlive(r.pid));
    for (const run of dead) await this.finish(run.id, 'interrupted', `process ${run.pid} ended without finishing the run`);
    return dead.length;
  }

  async addMetrics(runId: number, points: Array<Omit<MetricPoint, 'time'> & { time?: string }>): Promise<void> {
    if (points.length === 0) return;
    const now = nowIso();
    await this.db.write(async (tx) => {
      await tx.run(`INSERT INTO metrics (run_id, step, name, value, time) SELECT ?1, value->>0, value->>1, value->>2, value->>3 FROM json_each(?2)`, [
        runId,
        JSON.stringify(points.map((p) => [p.step, p.name, p.value, p.time ?? now])),
      ]);
      await tx.run('UPDATE runs SET updated_at = ? WHERE id = ?', [now, runId]);
    });
  }

  /** Sets metrics at one step, replacing what that step held under the same names (a measurement taken again). */
  async setMetrics(runId: number, step: number, values: Record<string, number>): Promise<void> {
    const now = nowIso();
    await this.db.write(async (tx) => {
      for (const [name, value] of Object.entries(values)) {
        await tx.run('DELETE FROM metrics WHERE run_id = ? AND step = ? AND name = ?', [runId, step, name]);
        await tx.run('INSERT INTO metrics (run_id, step, name, value, time) VALUES (?, ?, ?, ?, ?)', [runId, step, name, value, now]);
      }
      await tx.run('UPDATE runs SET updated_at = ? WHERE id = ?', [now, runId]);
    });
  }

  /** Each of a run's metrics at its latest step, or at its latest step up to `upToStep`. */
  async latestMetrics(runId: number, upToStep = Number.MAX_SAFE_INTEGER): Promise<Record<string, number>> {
    // SQLite takes the bare column `value` from the row where max(step) is found.
    const rows = await this.db.all<{ name: string; value: number }>(
      'SELECT name, value, max(step) FROM metrics WHERE run_id = ? AND step <= ? GROUP BY name ORDER BY name',
      [runId, upToStep],
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  async metrics(runId: number, sinceStep = -1): Promise<MetricPoint[]> {
    return this.db.all<MetricPoint>('SELECT step, name, value, time FROM metrics WHERE run_id = ? AND step > ? ORDER BY step, name', [
      runId,
      sinceStep,
    ]);
  }

  /** Points logged after rowid `after`, in log order, and the cursor to ask from next time. */
  async metricsAfter(
    runId: number,
    after: number,
    limit: number,
  ): Promise<{ points: Array<{ step: number; name: string; value: number }>; cursor: number }> {
    const rows = await this.db.all<{ id: number; step: number; name: string; value: number }>(
      'SELECT rowid AS id, step, name, value FROM metrics WHERE run_id = ? AND rowid > ? ORDER BY rowid LIMIT ?',
      [runId, after, limit],
    );
    return { points: rows.map(({ step, name, value }) => ({ step, name, value })), cursor: rows.length ? rows[rows.length - 1]!.id : after };
  }

  /** The step a run's latest final adapter was taken from (the best validated step, else the last); undefined before one. */
  async adapterStep(runId: number): Promise<number | undefined> {
    const row = await this.db.get<{ step: number }>(`SELECT step FROM checkpoints WHERE run_id = ? AND kind = 'adapter' ORDER BY id DESC LIMIT 1`, [
      runId,
    ]);
    return row?.step;
  }

  async addCheckpoint(runId: number, checkpoint: { step: number; kind: string; path: string; metrics?: Record<string, number> }): Promise<number> {
    const { lastID } = await this.db.write((tx) =>
      tx.run('INSERT INTO checkpoints (run_id, step, kind, path, metrics, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
        runId,
        checkpoint.step,
        checkpoint.kind,
        checkpoint.path,
        JSON.stringify(checkpoint.metrics ?? {}),
        nowIso(),
      ]),
    );
    return lastID;
  }
}
