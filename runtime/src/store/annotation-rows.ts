/** Reading and replacing an episode's subtask and local-progress rows inside a transaction. */
import type { ProgressRecord, SubtaskRecord } from '../protocol/dataset';
import type { Queryable } from './sqlite';
import { progressFromRow, subtaskFromRow } from './rows';

/** What an edit changed: the whole segmentation and/or some steps' progress (null: the step had none). */
export interface AnnotationSnapshot {
  subtasks?: SubtaskRecord[];
  progress?: Record<string, ProgressRecord | null>;
}

export async function readSubtasks(tx: Queryable, episodeId: number): Promise<SubtaskRecord[]> {
  const rows = await tx.all<Record<string, unknown>>('SELECT * FROM subtasks WHERE episode_id = ? ORDER BY ordinal', [episodeId]);
  return rows.map(subtaskFromRow);
}

export async function readProgress(tx: Queryable, episodeId: number): Promise<ProgressRecord[]> {
  const rows = await tx.all<Record<string, unknown>>('SELECT * FROM local_progress WHERE episode_id = ? ORDER BY step_idx', [episodeId]);
  return rows.map(progressFromRow);
}

export async function writeSubtaskRows(tx: Queryable, episodeId: number, subtasks: SubtaskRecord[]): Promise<void> {
  await tx.run('DELETE FROM subtasks WHERE episode_id = ?', [episodeId]);
  if (subtasks.length === 0) return;
  await tx.run(
    `INSERT INTO subtasks (episode_id, ordinal, name, first_step, last_step, provenance, reviewed)
     SELECT ?1, key, value->>0, value->>1, value->>2, value->>3, value->>4 FROM json_each(?2)`,
    [episodeId, JSON.stringify(subtasks.map((s) => [s.name, s.firstStep, s.lastStep, s.provenance, s.reviewed]))],
  );
}

/** Upserts the given steps' progress (a null text deletes the step's progress). */
export async function writeProgressRows(
  tx: Queryable,
  episodeId: number,
  progress: Array<ProgressRecord | { step: number; text: null }>,
): Promise<void> {
  const removed = progress.filter((p) => p.text === null).map((p) => p.step);
  const kept = progress.filter((p): p is ProgressRecord => p.text !== null);
  if (removed.length) {
    await tx.run('DELETE FROM local_progress WHERE episode_id = ? AND step_idx IN (SELECT value FROM json_each(?))', [
      episodeId,
      JSON.stringify(removed),
    ]);
  }
  if (kept.length) {
    await tx.run(
      `INSERT OR REPLACE INTO local_progress (episode_id, step_idx, text, provenance, reviewed)
       SELECT ?1, value->>0, value->>1, value->>2, value->>3 FROM json_each(?2)`,
      [episodeId, JSON.stringify(kept.map((p) => [p.step, p.text, p.provenance, p.reviewed]))],
    );
  }
}

/** Applies a snapshot (an edit's old or new value) to the episode's rows. */
export async function applySnapshot(tx: Queryable, episodeId: number, snapshot: AnnotationSnapshot): Promise<void> {
  if (snapshot.subtasks) await writeSubtaskRows(tx, episodeId, snapshot.subtasks);
  if (snapshot.progress) {
    await writeProgressRows(
      tx,
      episodeId,
      Object.entries(snapshot.progress).map(([step, record]) => record ?? { step: Number(step), text: null }),
    );
  }
}

/** The current values of what `snapshot` covers: the "old value" of an edit that will write `snapshot`. */
export async function currentValues(tx: Queryable, episodeId: number, snapshot: AnnotationSnapshot): Promise<AnnotationSnapshot> {
  const current: AnnotationSnapshot = {};
  if (snapshot.subtasks) current.subtasks = await readSubtasks(tx, episodeId);
  if (snapshot.progress) {
    const byStep = new Map((await readProgress(tx, episodeId)).map((p) => [p.step, p]));
    current.progress = Object.fromEntries(Object.keys(snapshot.progress).map((step) => [step, byStep.get(Number(step)) ?? null]));
  }
  return current;
}
