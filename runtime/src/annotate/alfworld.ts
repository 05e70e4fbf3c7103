/**
 * The local rule annotator for ALFWorld expert trajectories (TextWorld's hand-coded expert): subtasks from the
 * task type's milestones as the expert reached them, and a local progress text after every step.
 */
import { type AlfworldEvent, parseList, readStep, typeOf } from './alfworld-events';
import { type AlfworldGoal, planSegments, transformOfTask } from './alfworld-phases';
import { progressOfSegment } from './alfworld-progress';
import type { AnnotatableEpisode, Annotator } from './types';

/** The receptacles the room description lists ("you see a bed 1, a desk 1, and a drawer 1."), as types. */
function roomReceptacleTypes(initialObservation: string): Set<string> {
  const listed = initialObservation.match(/Looking quickly around you, you see ([^\n]*?)\.?\s*$/m)?.[1] ?? '';
  return new Set(parseList(listed).map(typeOf));
}

function handledObjectTypes(events: readonly AlfworldEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'take' || e.kind === 'put' || e.kind === 'transform' ? [typeOf(e.object)] : []));
}

function descriptionWords(description: string): string[] {
  return description
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((word) => word.length > 0);
}

/**
 * A pddl name in the engine's spelling: the engine lowercases ALFRED's CamelCase types ("SoapBar" → "soapbar").
 * When the trajectory never names that type, fall back on a word of the task description the trajectory uses,
 * then on what the trajectory itself handled last.
 */
function engineName(pddlName: unknown, known: readonly string[], description: string, pickFromDescription: 'first' | 'last'): string {
  const knownSet = new Set(known);
  const lowered = typeof pddlName === 'string' ? pddlName.toLowerCase() : '';
  if (lowered && knownSet.has(lowered)) return lowered;
  const words = descriptionWords(description).filter((word) => knownSet.has(word));
  const fromDescription = pickFromDescription === 'first' ? words[0] : words.at(-1);
  return fromDescription ?? (lowered || known.at(-1) || 'object');
}

function goalOf(episode: AnnotatableEpisode, events: readonly AlfworldEvent[]): AlfworldGoal {
  const params = episode.taskParams ?? {};
  const description = episode.taskDescription;
  const object = engineName(params.object_target, handledObjectTypes(events), description, 'first');
  const places = [
    ...roomReceptacleTypes(episode.initialObservation),
    ...events.flatMap((e) => (e.kind === 'put' || e.kind === 'arrive' ? [typeOf(e.place)] : [])),
  ].filter((type) => type !== object);
  const lamps = events.flatMap((e) => (e.kind === 'toggle' ? [typeOf(e.device)] : []));
  const isLookAt = episode.task === 'look_at_obj_in_light';
  return {
    taskType: episode.task,
    object,
    receptacle: isLookAt ? '' : engineName(params.parent_target, places, description, 'last'),
    lamp: isLookAt ? engineName(params.toggle_target, lamps, description, 'last') : '',
    transform: transformOfTask(episode.task),
  };
}

export const annotateAlfworld: Annotator = (episode) => {
  const events = episode.steps.map(readStep);
  const segments = planSegments(goalOf(episode, events), events);
  return {
    subtasks: segments.map(({ name, firstStep, lastStep }) => ({ name, firstStep, lastStep })),
    progress: segments.flatMap((segment) => progressOfSegment(segment, events)),
  };
};
