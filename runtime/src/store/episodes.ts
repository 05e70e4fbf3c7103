/** Episodes and their steps and model calls: written whole (experts, imports) or live, step by step (agents). */
import type { EnvKind } from '../protocol/environment';
import type { EpisodeDetail, EpisodeFields, EpisodeSummary, ModelCallRecord, ProgressRecord, StepRecord, SubtaskRecord } from '../protocol/dataset';
import type { EpisodeSource, Status } from './schema';
import type { Queryable, SqliteDatabase } from './sqlite';
import { StoreError } from './sqlite';
import {
  EPISODE_COLUMNS,
  EPISODE_SELECT,
  STEP_SELECT,
  episodeFromRow,
  episodeParams,
  modelCallFromRow,
  progressFromRow,
  stepFromRow,
  subtaskFromRow,
} from './rows';
import { writeProgressRows, writeSubtaskRows } from './annotation-rows';

export interface EpisodeChildren {
  steps: StepRecord[];
  modelCalls?: ModelCallRecord[];
  subtasks?: SubtaskRecord[];
  progress?: ProgressRecord[];
}

export interface EpisodeFilter {
  ids?: number[];
  env?: EnvKind;
  split?: string;
  source?: EpisodeSource;
  agent?: string;
  /** The model's name (GGUF file name or server model id); null selects episodes with no model. */
  model?: string | null;
  adapter?: string | null;
  status?: Status;
  runId?: number;
  tasks?: string[];
  wonOnly?: boolean;
  limit?: number;
}

interface CycleCallTotals {
  model_calls: number;
  prompt_tokens: number;
  cached_prompt_tokens: number;
  completion_tokens: number;
}

/** A cycle an episode ended in: the step count where it starts, and each of its steps' figures in order. */
export interface RepeatCycle {
  from: number;
  steps: Array<{ invalid: boolean; modelCalls: number; promptTokens: number; cachedPromptTokens: number; completionTokens: number }>;
}

/** What identifies the environment item an episode played: a ScienceWorld variation or an ALFWorld game. */
export function itemKey(e: Pick<EpisodeFields, 'env' | 'task' | 'variation' | 'simplifications' | 'game'>): string {
  return e.env === 'scienceworld' ? `scienceworld:${e.task}:${e.variation}:${e.simplifications ?? ''}` : `alfworld:${e.game}`;
}

// Steps and model calls go in as one JSON array each: one statement per episode instead of one per row.
const INSERT_STEPS = `INSERT INTO steps (episode_id, idx, action, observation, look, inventory, reward, score, done, won, truncated, invalid)
  SELECT ?1, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9, value->>10
  FROM json_each(?2)`;
const INSERT_MODEL_CALLS = `INSERT INTO model_calls (episode_id, step_idx, role, prompt_tokens, cached_prompt_tokens, completion_tokens, latency_ms, prompt, completion, created_at)
  SELECT ?1, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8
  FROM json_each(?2)`;
const UPDATE_TOTALS = `UPDATE episodes SET
  step_count = (SELECT count(*) FROM steps WHERE episode_id = ?1),
  invalid_count = (SELECT coalesce(sum(invalid), 0) FROM steps WHERE episode_id = ?1),
  model_calls = (SELECT count(*) FROM model_calls WHERE episode_id = ?1),
  prompt_tokens = (SELECT coalesce(sum(prompt_tokens), 0) FROM model_calls WHERE episode_id = ?1),
  cached_prompt_tokens = (SELECT coalesce(sum(cached_prompt_tokens), 0) FROM model_calls WHERE episode_id = ?1),
  completion_tokens = (SELECT coalesce(sum(completion_tokens), 0) FROM model_calls WHERE episode_id = ?1)
  WHERE id = ?1`;

const stepTuple = (s: StepRecord) => [s.idx, s.action, s.observation, s.look, s.inventory, s.reward, s.score, s.done, s.won, s.truncated, s.invalid];
const callTuple = (c: ModelCallRecord) => [
  c.stepIdx,
  c.role,
  c.promptTokens,
  c.cachedPromptTokens,
  c.completionTokens,
  c.latencyMs,
  c.prompt,
  c.completion,
  c.createdAt,
];

export async function insertEpisodeRows(tx: Queryable, fields: EpisodeFields, runId: number | null): Promise<number> {
  const columns = Object.values(EPISODE_COLUMNS);
  const { lastID } = await tx.run(`INSERT INTO episodes (run_id, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})`, [
    runId,
    ...episodeParams(fields),
  ]);
  return lastID;
}

export async function insertChildRows(tx: Queryable, episodeId: number, children: Partial<EpisodeChildren>): Promise<void> {
  if (children.steps?.length) await tx.run(INSERT_STEPS, [episodeId, JSON.stringify(children.steps.map(stepTuple))]);
  if (children.modelCalls?.length) {
    await tx.run(INSERT_MODEL_CALLS, [episodeId, JSON.stringify(children.modelCalls.map(callTuple))]);
  }
  if (children.subtasks?.length) await writeSubtaskRows(tx, episodeId, children.subtasks);
  if (children.progress?.length) await writeProgressRows(tx, episodeId, children.progress);
  await tx.run(UPDATE_TOTALS, [episodeId]);
}

export class EpisodeRepository {
  constructor(private readonly db: SqliteDatabase) {}

  /** Stores a whole episode (fields, steps, model calls, annotations) in one transaction; returns its id. */
  insert(fields: EpisodeFields, children: EpisodeChildren, runId: number | null = null): Promise<number> {
    return this.db.write(async (tx) => {
      const id = await insertEpisodeRows(tx, fields, runId);
      await insertChildRows(tx, id, children);
      return id;
    });
  }

  /**
   * Stores a whole episode unless the same item already has a complete episode from the same source and agent,
   * deciding inside the write transaction: two writers on one dataset (the CLI and the extension) store it once.
   * Returns the new id, or null when it was already there.
   */
  insertUnlessDone(fields: EpisodeFields, children: EpisodeChildren, runId: number | null = null): Promise<number | null> {
    return this.db.write(async (tx) => {
      const item = fields.env === 'alfworld' ? 'game IS ?' : 'task = ? AND variation IS ? AND simplifications IS ?';
      const itemParams = fields.env === 'alfworld' ? [fields.game] : [fields.task, fields.variation, fields.simplifications];
      const existing = await tx.get<{ id: number }>(
        `SELECT id FROM episodes WHERE env = ? AND source = ? AND agent IS ? AND status = 'complete' AND ${item} LIMIT 1`,
        [fields.env, fields.source, fields.agent, ...itemParams],
      );
      if (existing) return null;
      const id = await insertEpisodeRows(tx, fields, runId);
      await insertChildRows(tx, id, children);
      return id;
    });
  }

  /** Stores many whole episodes in one transaction (bulk loads, imports); returns their ids in order. */
  insertMany(episodes: Array<{ fields: EpisodeFields; children: EpisodeChildren }>, runId: number | null = null): Promise<number[]> {
    return this.db.write(async (tx) => {
      const ids: number[] = [];
      for (const e of episodes) {
        const id = await insertEpisodeRows(tx, e.fields, runId);
        await insertChildRows(tx, id, e.children);
        ids.push(id);
      }
      return ids;
    });
  }

  /** Starts a live episode (status running): steps are appended as they happen, so others can watch it. */
  begin(fields: Omit<EpisodeFields, 'status'>, runId: number | null = null): Promise<number> {
    return this.db.write((tx) => insertEpisodeRows(tx, { ...fields, status: 'running' }, runId));
  }

  append(episodeId: number, children: Partial<EpisodeChildren>): Promise<void> {
    return this.db.write((tx) => insertChildRows(tx, episodeId, children));
  }

  /** Ends a live episode; `repeatFrom`: it stopped at a repeated state first met at that step count. */
  async finish(
    episodeId: number,
    outcome: Pick<EpisodeFields, 'status' | 'score' | 'won' | 'stoppedBy' | 'error' | 'finishedAt' | 'seconds'> & { repeatFrom?: number },
  ): Promise<void> {
    await this.db.write((tx) =>
      tx.run(
        'UPDATE episodes SET status = ?, score = ?, won = ?, stopped_by = ?, error = ?, finished_at = ?, seconds = ?, repeat_from = ? WHERE id = ?',
        [
          outcome.status,
          outcome.score,
          outcome.won ? 1 : 0,
          outcome.stoppedBy,
          outcome.error,
          outcome.finishedAt,
          outcome.seconds,
          outcome.repeatFrom ?? null,
          episodeId,
        ],
      ),
    );
  }

  /**
   * The cycles of episodes that ended at a repeated state: for each, the steps from where the state was first met to
   * the end, with their low-level and progress calls' tokens (a planner call there is not part of the cycle).
   */
  async repeatCycles(episodeIds: readonly number[]): Promise<Map<number, RepeatCycle>> {
    const rows = await this.db.all<{ id: number; repeat_from: number; idx: number; invalid: number } & CycleCallTotals>(
      `SELECT e.id, e.repeat_from, s.idx, s.invalid,
         coalesce(sum(c.prompt_tokens), 0) AS prompt_tokens, coalesce(sum(c.cached_prompt_tokens), 0) AS cached_prompt_tokens,
         coalesce(sum(c.completion_tokens), 0) AS completion_tokens, count(c.id) AS model_calls
       FROM episodes e JOIN steps s ON s.episode_id = e.id AND s.idx >= e.repeat_from
       LEFT JOIN model_calls c ON c.episode_id = e.id AND c.step_idx = s.idx AND c.role IN ('low', 'progress')
       WHERE e.repeat_from IS NOT NULL AND e.id IN (SELECT value FROM json_each(?))
       GROUP BY e.id, s.idx ORDER BY e.id, s.idx`,
      [JSON.stringify(episodeIds)],
    );
    const cycles = new Map<number, RepeatCycle>();
    for (const r of rows) {
      const cycle = cycles.get(r.id) ?? { from: r.repeat_from, steps: [] };
      cycle.steps.push({
        invalid: r.invalid === 1,
        modelCalls: r.model_calls,
        promptTokens: r.prompt_tokens,
        cachedPromptTokens: r.cached_prompt_tokens,
        completionTokens: r.completion_tokens,
      });
      cycles.set(r.id, cycle);
    }
    return cycles;
  }

  async summary(episodeId: number): Promise<EpisodeSummary> {
    const row = await this.db.get<Record<string, unknown>>(`${EPISODE_SELECT} WHERE id = ?`, [episodeId]);
    if (!row) throw new StoreError(`no episode ${episodeId} in ${this.db.file}`);
    return episodeFromRow(row);
  }

  async get(episodeId: number): Promise<EpisodeDetail> {
    const summary = await this.summary(episodeId);
    const [steps, subtasks, progress, modelCalls] = await Promise.all([
      this.db.all<Record<string, unknown>>(`${STEP_SELECT} WHERE episode_id = ? ORDER BY idx`, [episodeId]),
      this.db.all<Record<string, unknown>>('SELECT * FROM subtasks WHERE episode_id = ? ORDER BY ordinal', [episodeId]),
      this.db.all<Record<string, unknown>>('SELECT * FROM local_progress WHERE episode_id = ? ORDER BY step_idx', [episodeId]),
      this.db.all<Record<string, unknown>>('SELECT * FROM model_calls WHERE episode_id = ? ORDER BY id', [episodeId]),
    ]);
    return {
      ...summary,
      steps: steps.map(stepFromRow),
      subtasks: subtasks.map(subtaskFromRow),
      progress: progress.map(progressFromRow),
      modelCalls: modelCalls.map(modelCallFromRow),
    };
  }

  /**
   * Deletes episodes with everything recorded about them (steps, model calls, annotations and their audit trail,
   * derived transitions), in one transaction. A running episode is refused: its run is still writing it.
   */
  async delete(ids: readonly number[]): Promise<number> {
    return this.db.write(async (tx) => {
      const rows = await tx.all<{ id: number; status: string }>('SELECT id, status FROM episodes WHERE id IN (SELECT value FROM json_each(?))', [
        JSON.stringify(ids),
      ]);
      const missing = ids.filter((id) => !rows.some((r) => r.id === id));
      if (missing.length) throw new StoreError(`no episode ${missing.join(', ')} in this dataset`);
      const running = rows.filter((r) => r.status === 'running').map((r) => r.id);
      if (running.length) throw new StoreError(`episode ${running.join(', ')} is still running: stop its run first`);
      await tx.run('DELETE FROM episodes WHERE id IN (SELECT value FROM json_each(?))', [JSON.stringify(ids)]);
      return rows.length;
    });
  }

  async list(filter: EpisodeFilter = {}): Promise<EpisodeSummary[]> {
    const { where, params } = episodeWhere(filter);
    const limit = filter.limit ? ` LIMIT ${Math.floor(filter.limit)}` : '';
    const rows = await this.db.all<Record<string, unknown>>(`${EPISODE_SELECT}${where} ORDER BY id${limit}`, params);
    return rows.map(episodeFromRow);
  }

  /** Item keys (see itemKey) that already have a complete episode matching the filter: what a resumed run skips. */
  async completedItems(filter: EpisodeFilter): Promise<Set<string>> {
    const { where, params } = episodeWhere({ ...filter, status: 'complete' });
    const rows = await this.db.all<EpisodeFields>(`SELECT env, task, variation, simplifications, game FROM episodes${where}`, params);
    return new Set(rows.map(itemKey));
  }

  /** Episodes still marked running whose run is no longer running (its process died): mark them interrupted. */
  async markOrphansInterrupted(): Promise<number> {
    const { changes } = await this.db.write((tx) =>
      tx.run(
        `UPDATE episodes SET status = 'interrupted', error = coalesce(error, 'its process ended before the episode finished')
         WHERE status = 'running' AND (run_id IS NULL OR run_id IN (SELECT id FROM runs WHERE status <> 'running'))`,
      ),
    );
    return changes;
  }
}

export function episodeWhere(filter: EpisodeFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    clauses.push(clause);
    params.push(...values);
  };
  if (filter.ids) add(`id IN (SELECT value FROM json_each(?))`, JSON.stringify(filter.ids));
  if (filter.env) add('env = ?', filter.env);
  if (filter.split) add('split = ?', filter.split);
  if (filter.source) add('source = ?', filter.source);
  if (filter.agent) add('agent = ?', filter.agent);
  if (filter.model !== undefined) add('model IS ?', filter.model);
  if (filter.adapter !== undefined) add('adapter IS ?', filter.adapter);
  if (filter.status) add('status = ?', filter.status);
  if (filter.runId !== undefined) add('run_id = ?', filter.runId);
  if (filter.tasks?.length) add(`task IN (SELECT value FROM json_each(?))`, JSON.stringify(filter.tasks));
  if (filter.wonOnly) add('won = 1');
  return { where: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}
