/**
 * The local rule annotator for ScienceWorld gold paths: subtasks cut from what the actions do (movement runs,
 * collecting, filling at a sink, heating or cooling, mixing, wiring, focusing, waiting and measuring), named the
 * way a person would, and a local progress text after every step that restarts at each subtask.
 * Deterministic: the same episode always gives the same draft.
 */
import { progressTexts } from './scienceworld-progress';
import { firstStepOf, groupSteps, lastStepOf } from './scienceworld-segments';
import { nameGroups } from './scienceworld-names';
import type { AnnotationDraft, Annotator } from './types';

export const annotateScienceWorld: Annotator = (episode): AnnotationDraft => {
  if (episode.steps.length === 0) return { subtasks: [], progress: [] };
  const groups = groupSteps(episode.steps);
  // Names are lowercase lines, engine names included ("unknown substance b"): the parser ignores case.
  const names = nameGroups(groups, episode).map((name) => name.toLowerCase());
  return {
    subtasks: groups.map((group, index) => ({ name: names[index]!, firstStep: firstStepOf(group), lastStep: lastStepOf(group) })),
    progress: progressTexts(groups, names, episode),
  };
};
