/**
 * Annotation editing: subtask segmentations and local progress, with validation (a segmentation must cover the
 * episode's steps exactly), an audit trail of every change, and undo. Every edit is one transaction: a refused
 * edit writes nothing.
 */
import type { AnnotationEdit, EditRecord, ProgressRecord, Provenance, SubtaskRecord } from '../protocol/dataset';
import type { AnnotationDraft } from '../protocol/dataset';
import type { Queryable, SqliteDatabase } from './sqlite';
import { StoreError } from './sqlite';
import { applySnapshot, currentValues, readProgress, readSubtasks, type AnnotationSnapshot } from './annotation-rows';
import { nowIso } from './rows';
import { episodeWhere, type EpisodeFilter } from './episodes';
import { ErrorCodes } from '../protocol/errors';

/** A person may write more than the annotators' ~150 tokens, but not pages. */
export const MAX_PROGRESS_TEXT = 4000;

export class InvalidEdit extends StoreError {
  constructor(message: string) {
    super(message, undefined, ErrorCodes.InvalidEdit);
    this.name = 'InvalidEdit';
  }
}

export interface EpisodeAnnotations {
  episodeId: number;
  stepCount: number;
  subtasks: SubtaskRecord[];
  progress: ProgressRecord[];
}

/** Why a segmentation is invalid for an episode of `stepCount` steps, or null when it is valid. */
export function segmentationProblem(
  subtasks: ReadonlyArray<Pick<SubtaskRecord, 'name' | 'firstStep' | 'lastStep'>>,
  stepCount: number,
): string | null {
  if (stepCount === 0) return subtasks.length ? 'the episode has no steps, so it can have no subtasks' : null;
  if (subtasks.length === 0) return `the subtasks must cover steps 0-${stepCount - 1}, and there are none`;
  let expectedFirst = 0;
  for (const [i, s] of subtasks.entries()) {
    const label = `subtask ${i + 1}${s.name.trim() ? ` ("${s.name.trim()}")` : ''}`;
    if (!s.name.trim()) return `${label} has an empty name`;
    if (!Number.isInteger(s.firstStep) || !Number.isInteger(s.lastStep)) return `${label} has a step that is not a whole number`;
    if (s.lastStep < s.firstStep) return `${label} ends (step ${s.lastStep}) before it starts (step ${s.firstStep})`;
    if (s.firstStep > expectedFirst) return `steps ${expectedFirst}-${s.firstStep - 1} belong to no subtask (gap before ${label})`;
    if (s.firstStep < expectedFirst)
      return `${label} starts at step ${s.firstStep}, overlapping the previous subtask, which ends at step ${expectedFirst - 1}`;
    if (s.lastStep >= stepCount) return `${label} ends at step ${s.lastStep}, but the episode's last step is ${stepCount - 1}`;
    expectedFirst = s.lastStep + 1;
  }
  if (expectedFirst < stepCount) return `steps ${expectedFirst}-${stepCount - 1} belong to no subtask (after the last one)`;
  return null;
}

type Segment = Pick<SubtaskRecord, 'name' | 'firstStep' | 'lastStep'>;

/** The segmentation after a structural edit, or an InvalidEdit saying why the edit cannot apply. */
function editedSegmentation(current: SubtaskRecord[], edit: AnnotationEdit): SubtaskRecord[] {
  const at = (k: number): SubtaskRecord => {
    const s = current[k];
    if (!s) throw new InvalidEdit(`there is no subtask ${k + 1} (the episode has ${current.length})`);
    return s;
  };
  const human = (s: Segment): SubtaskRecord => ({ ...s, name: s.name.trim(), provenance: 'human', reviewed: false });
  const next = [...current];
  switch (edit.op) {
    case 'split': {
      const s = at(edit.subtask);
      if (edit.atStep <= s.firstStep || edit.atStep > s.lastStep) {
        throw new InvalidEdit(
          `subtask ${edit.subtask + 1} spans steps ${s.firstStep}-${s.lastStep}: a split must start the new subtask at step ${s.firstStep + 1}-${s.lastStep}, not ${edit.atStep}`,
        );
      }
      next.splice(edit.subtask, 1, { ...s, lastStep: edit.atStep - 1 }, human({ name: edit.name, firstStep: edit.atStep, lastStep: s.lastStep }));
      return next;
    }
    case 'merge': {
      const a = at(edit.subtask);
      if (!current[edit.subtask + 1]) throw new InvalidEdit(`subtask ${edit.subtask + 1} is the last one: there is nothing after it to merge with`);
      const b = at(edit.subtask + 1);
      next.splice(edit.subtask, 2, human({ name: edit.name ?? a.name, firstStep: a.firstStep, lastStep: b.lastStep }));
      return next;
    }
    case 'moveBoundary': {
      const a = at(edit.subtask);
      if (!current[edit.subtask + 1]) throw new InvalidEdit(`subtask ${edit.subtask + 1} is the last one: it has no boundary with a next subtask`);
      const b = at(edit.subtask + 1);
      if (edit.toStep <= a.firstStep || edit.toStep > b.lastStep) {
        throw new InvalidEdit(
          `the boundary between subtasks ${edit.subtask + 1} and ${edit.subtask + 2} can move to steps ${a.firstStep + 1}-${b.lastStep}, not ${edit.toStep} (neither subtask may become empty)`,
        );
      }
      next.splice(edit.subtask, 2, human({ ...a, lastStep: edit.toStep - 1 }), human({ ...b, firstStep: edit.toStep }));
      return next;
    }
    case 'rename': {
      const s = at(edit.subtask);
      next[edit.subtask] = human({ ...s, name: edit.name });
      return next;
    }
    case 'setSubtasks':
      return edit.subtasks.map(human);
    default:
      throw new Error(`not a segmentation edit: ${edit.op}`);
  }
}

export class AnnotationRepository {
  constructor(private readonly db: SqliteDatabase) {}

  get(episodeId: number): Promise<EpisodeAnnotations> {
    return readAnnotations(this.db, episodeId);
  }

  /** Annotation status of the annotated episodes among those the filter selects (the Datasets view). */
  async status(filter: EpisodeFilter = {}): Promise<Array<{ episodeId: number; subtasks: number; provenance: string[]; reviewed: boolean }>> {
    const { where, params } = episodeWhere(filter);
    const rows = await this.db.all<{ episode_id: number; n: number; provenance: string; reviewed: number }>(
      `SELECT episode_id, count(*) AS n, group_concat(DISTINCT provenance) AS provenance, min(reviewed) AS reviewed FROM subtasks
       WHERE episode_id IN (SELECT id FROM episodes${where}) GROUP BY episode_id ORDER BY episode_id`,
      params,
    );
    return rows.map((r) => ({ episodeId: r.episode_id, subtasks: r.n, provenance: r.provenance.split(',').sort(), reviewed: r.reviewed === 1 }));
  }

  /**
   * Writes an annotator's draft. Skips an episode that already has annotations unless `overwriteUnreviewed`, and
   * never replaces an annotation a person reviewed or wrote.
   */
  applyDraft(
    episodeId: number,
    draft: AnnotationDraft,
    options: { provenance: Provenance; actor: string; overwriteUnreviewed?: boolean },
  ): Promise<'written' | 'kept-existing' | 'kept-reviewed'> {
    return this.db.write(async (tx) => {
      const current = await readAnnotations(tx, episodeId);
      const existing = [...current.subtasks, ...current.progress];
      if (existing.some((a) => a.reviewed || a.provenance === 'human')) return 'kept-reviewed';
      if (existing.length && !options.overwriteUnreviewed) return 'kept-existing';
      const problem = segmentationProblem(draft.subtasks, current.stepCount);
      if (problem) throw new InvalidEdit(`the ${options.actor} draft for episode ${episodeId} is invalid: ${problem}`);
      if (draft.progress.length !== current.stepCount) {
        throw new InvalidEdit(
          `the ${options.actor} draft for episode ${episodeId} has ${draft.progress.length} progress texts for ${current.stepCount} steps`,
        );
      }
      const { provenance } = options;
      const snapshot: AnnotationSnapshot = {
        subtasks: draft.subtasks.map((s) => ({ ...s, provenance, reviewed: false })),
        progress: Object.fromEntries(draft.progress.map((text, step) => [step, { step, text, provenance, reviewed: false }])),
      };
      // Steps that had progress but get none now (cannot happen with a full draft, kept for symmetry).
      for (const p of current.progress) if (!(p.step in snapshot.progress!)) snapshot.progress![p.step] = null;
      await recordAndApply(tx, episodeId, existing.length ? 'reannotate' : 'annotate', snapshot, options.actor);
      return 'written';
    });
  }

  /** Applies one edit, validated against the episode; returns the annotations after it. */
  edit(episodeId: number, edit: AnnotationEdit, actor: string): Promise<EpisodeAnnotations> {
    return this.db.write(async (tx) => {
      const current = await readAnnotations(tx, episodeId);
      const snapshot = snapshotForEdit(current, edit);
      await recordAndApply(tx, episodeId, edit.op, snapshot, actor);
      return readAnnotations(tx, episodeId);
    });
  }

  /** Undoes the episode's latest edit that is not undone yet (undos themselves are not undone: redo is an edit). */
  undo(episodeId: number, actor: string): Promise<EpisodeAnnotations> {
    return this.db.write(async (tx) => {
      const last = await tx.get<{ id: number; operation: string; old_value: string }>(
        `SELECT id, operation, old_value FROM annotation_edits
         WHERE episode_id = ? AND undone_by IS NULL AND operation <> 'undo' ORDER BY id DESC LIMIT 1`,
        [episodeId],
      );
      if (!last) throw new InvalidEdit(`episode ${episodeId} has no edit to undo`);
      const undoId = await recordAndApply(tx, episodeId, 'undo', JSON.parse(last.old_value) as AnnotationSnapshot, actor);
      await tx.run('UPDATE annotation_edits SET undone_by = ? WHERE id = ?', [undoId, last.id]);
      return readAnnotations(tx, episodeId);
    });
  }

  async history(episodeId: number): Promise<EditRecord[]> {
    const rows = await this.db.all<Record<string, unknown>>('SELECT * FROM annotation_edits WHERE episode_id = ? ORDER BY id', [episodeId]);
    return rows.map((r) => ({
      id: r.id as number,
      episodeId: r.episode_id as number,
      operation: r.operation as string,
      actor: r.actor as string,
      createdAt: r.created_at as string,
      undoneBy: (r.undone_by as number | null) ?? null,
      oldValue: JSON.parse(r.old_value as string),
      newValue: JSON.parse(r.new_value as string),
    }));
  }
}

async function readAnnotations(tx: Queryable, episodeId: number): Promise<EpisodeAnnotations> {
  const episode = await tx.get<{ step_count: number }>('SELECT step_count FROM episodes WHERE id = ?', [episodeId]);
  if (!episode) throw new InvalidEdit(`there is no episode ${episodeId}`);
  const [subtasks, progress] = await Promise.all([readSubtasks(tx, episodeId), readProgress(tx, episodeId)]);
  return { episodeId, stepCount: episode.step_count, subtasks, progress };
}

function snapshotForEdit(current: EpisodeAnnotations, edit: AnnotationEdit): AnnotationSnapshot {
  if (edit.op === 'setProgress') {
    const text = edit.text.trim();
    if (edit.step >= current.stepCount) {
      throw new InvalidEdit(`step ${edit.step} is out of range: the episode's steps are 0-${current.stepCount - 1}`);
    }
    if (!text) throw new InvalidEdit('a local progress text cannot be empty (write "None" for nothing yet)');
    if (text.length > MAX_PROGRESS_TEXT)
      throw new InvalidEdit(`a local progress text is limited to ${MAX_PROGRESS_TEXT} characters (this one has ${text.length})`);
    return { progress: { [edit.step]: { step: edit.step, text, provenance: 'human', reviewed: false } } };
  }
  if (edit.op === 'review') {
    return {
      subtasks: current.subtasks.map((s) => ({ ...s, reviewed: edit.reviewed })),
      progress: Object.fromEntries(current.progress.map((p) => [p.step, { ...p, reviewed: edit.reviewed }])),
    };
  }
  const subtasks = editedSegmentation(current.subtasks, edit);
  const problem = segmentationProblem(subtasks, current.stepCount);
  if (problem) throw new InvalidEdit(`${edit.op} refused: ${problem}`);
  return { subtasks };
}

/** Writes `snapshot` and its audit row (old and new values); returns the edit's id. */
async function recordAndApply(tx: Queryable, episodeId: number, operation: string, snapshot: AnnotationSnapshot, actor: string): Promise<number> {
  const old = await currentValues(tx, episodeId, snapshot);
  await applySnapshot(tx, episodeId, snapshot);
  const { lastID } = await tx.run(
    'INSERT INTO annotation_edits (episode_id, operation, old_value, new_value, actor, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    [episodeId, operation, JSON.stringify(old), JSON.stringify(snapshot), actor, nowIso()],
  );
  return lastID;
}
