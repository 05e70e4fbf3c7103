/**
 * "Re-annotate a range": the rule annotator's proposal for the whole episode, applied to steps a..b only.
 * Outside the range the current subtasks are kept (one that straddles an end is cut there); inside it the
 * proposal's subtasks, clipped to the range; progress texts of the range's steps are the proposal's.
 */
import type { AnnotationEdit, AnnotationSuggestion } from '../../../runtime/src/protocol/dataset';

export interface Segment {
  name: string;
  firstStep: number;
  lastStep: number;
}

const clip = (segments: Segment[], from: number, to: number): Segment[] =>
  segments
    .filter((s) => s.lastStep >= from && s.firstStep <= to)
    .map((s) => ({ name: s.name, firstStep: Math.max(s.firstStep, from), lastStep: Math.min(s.lastStep, to) }));

export function reannotateRange(
  current: { subtasks: Segment[]; progress: Map<number, string> },
  suggestion: AnnotationSuggestion,
  from: number,
  to: number,
): AnnotationEdit[] {
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  const last = Math.max(...current.subtasks.map((s) => s.lastStep), suggestion.progress.length - 1);
  const subtasks = [...clip(current.subtasks, 0, lo - 1), ...clip(suggestion.subtasks, lo, hi), ...clip(current.subtasks, hi + 1, last)];
  const edits: AnnotationEdit[] = [];
  const same =
    subtasks.length === current.subtasks.length &&
    subtasks.every(
      (s, i) =>
        s.name === current.subtasks[i]!.name && s.firstStep === current.subtasks[i]!.firstStep && s.lastStep === current.subtasks[i]!.lastStep,
    );
  if (!same) edits.push({ op: 'setSubtasks', subtasks });
  for (let step = lo; step <= hi; step++) {
    const text = suggestion.progress[step];
    if (text !== undefined && text !== current.progress.get(step)) edits.push({ op: 'setProgress', step, text });
  }
  return edits;
}
