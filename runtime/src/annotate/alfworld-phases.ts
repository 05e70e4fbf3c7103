/**
 * Cutting an ALFWorld expert trajectory into subtasks. Each task type is a chain of milestones (take the object,
 * clean/heat/cool it, turn on the lamp, put it down); the milestones the expert reached are found in its steps,
 * and the steps between two milestones become a navigation subtask (up to the last `go to`) and an interaction
 * subtask (the rest, ending with the milestone). Steps after the last reached milestone are named for what the
 * expert was doing next.
 */
import { type AlfworldEvent, type TransformVerb, heldAfterEachStep, typeOf } from './alfworld-events';

/** What the task asks for, in the engine's own (lowercase) names. */
export interface AlfworldGoal {
  taskType: string;
  object: string;
  /** Where the object goes ('' for look_at_obj_in_light). */
  receptacle: string;
  /** The lamp for look_at_obj_in_light ('' otherwise). */
  lamp: string;
  transform: TransformVerb | null;
}

export type Milestone =
  | { kind: 'take'; ordinal: Ordinal }
  | { kind: 'transform'; verb: TransformVerb; appliance: string }
  | { kind: 'toggle'; lamp: string }
  | { kind: 'put'; ordinal: Ordinal };

/** pick_two names its two objects "first" and "second"; the other tasks have one object. */
export type Ordinal = 'only' | 'first' | 'second';

/** search: find and take an object; locate: find a place or device without taking it (the expert looking for the lamp). */
export type SegmentKind = 'search' | 'locate' | 'navigate' | 'transform' | 'toggle' | 'put';

/** A subtask with what the progress writer needs to know about it. */
export interface PlannedSegment {
  kind: SegmentKind;
  name: string;
  firstStep: number;
  lastStep: number;
  /** The object type searched for / handled, the place type navigated to. */
  object: string;
  target: string;
  ordinal: Ordinal;
  /** Object types whose sightings the progress keeps: the one searched for, and the lamp the task will need. */
  noted: string[];
}

const APPLIANCE: Record<TransformVerb, string> = { clean: 'sinkbasin', heat: 'microwave', cool: 'fridge' };
const TRANSFORM_OF_TASK: Record<string, TransformVerb> = {
  pick_clean_then_place_in_recep: 'clean',
  pick_heat_then_place_in_recep: 'heat',
  pick_cool_then_place_in_recep: 'cool',
};

export function transformOfTask(taskType: string): TransformVerb | null {
  return TRANSFORM_OF_TASK[taskType] ?? null;
}

/** The milestones of a task type, in order. */
function milestonesOf(goal: AlfworldGoal): Milestone[] {
  if (goal.taskType === 'look_at_obj_in_light')
    return [
      { kind: 'take', ordinal: 'only' },
      { kind: 'toggle', lamp: goal.lamp },
    ];
  if (goal.taskType === 'pick_two_obj_and_place') {
    return [
      { kind: 'take', ordinal: 'first' },
      { kind: 'put', ordinal: 'first' },
      { kind: 'take', ordinal: 'second' },
      { kind: 'put', ordinal: 'second' },
    ];
  }
  const chain: Milestone[] = [{ kind: 'take', ordinal: 'only' }];
  if (goal.transform) chain.push({ kind: 'transform', verb: goal.transform, appliance: APPLIANCE[goal.transform] });
  chain.push({ kind: 'put', ordinal: 'only' });
  return chain;
}

/**
 * Object instances bound while matching backward: the one the later milestones handle, and (pick_two, before the
 * second take) the second object, which the first put must not be.
 */
interface Binding {
  current?: string;
  other?: string;
}

interface MatchContext {
  goal: AlfworldGoal;
  events: readonly AlfworldEvent[];
  held: readonly (string | null)[];
}

/** Whether step `index` reaches `milestone` given what the later milestones bound, and the binding for the earlier ones. */
function reaches(milestone: Milestone, index: number, binding: Binding, context: MatchContext): Binding | null {
  const event = context.events[index];
  if (!event) return null;
  const { goal } = context;
  const isBound = (object: string) =>
    typeOf(object) === goal.object && (binding.current === undefined || binding.current === object) && binding.other !== object;
  switch (milestone.kind) {
    case 'take':
      if (event.kind !== 'take' || !isBound(event.object)) return null;
      return milestone.ordinal === 'second' ? { other: event.object } : { ...binding, current: event.object };
    case 'put':
      if (event.kind !== 'put' || !isBound(event.object) || typeOf(event.place) !== goal.receptacle) return null;
      return { ...binding, current: event.object };
    case 'transform':
      if (event.kind !== 'transform' || event.verb !== milestone.verb || !isBound(event.object)) return null;
      return { ...binding, current: event.object };
    case 'toggle': {
      const holding = context.held[index];
      if (event.kind !== 'toggle' || typeOf(event.device) !== milestone.lamp || !holding || !isBound(holding)) return null;
      return { ...binding, current: holding };
    }
  }
}

/**
 * The steps where milestones 0..count-1 were reached, each the latest one that the later milestones allow
 * (so fumbles such as taking an object and putting it back stay inside the subtask they happened in).
 */
function matchChain(chain: readonly Milestone[], count: number, context: MatchContext): number[] | null {
  // A milestone that cannot be placed before step b (with a binding) cannot be placed before any earlier step either:
  // remembering the largest such b keeps the backtracking linear in the trajectory's length.
  const failedBefore = new Map<string, number>();
  const place = (milestoneIndex: number, before: number, binding: Binding): number[] | null => {
    const key = `${milestoneIndex}|${binding.current ?? ''}|${binding.other ?? ''}`;
    if ((failedBefore.get(key) ?? -1) >= before) return null;
    const milestone = chain[milestoneIndex]!;
    for (let index = before - 1; index >= milestoneIndex; index--) {
      const bound = reaches(milestone, index, binding, context);
      if (!bound) continue;
      if (milestoneIndex === 0) return [index];
      const earlier = place(milestoneIndex - 1, index, bound);
      if (earlier) return [...earlier, index];
    }
    failedBefore.set(key, before);
    return null;
  };
  return count === 0 ? [] : place(count - 1, context.events.length, {});
}

/** The longest prefix of the task's milestones that the trajectory reaches, with the step of each. */
function reachedMilestones(goal: AlfworldGoal, events: readonly AlfworldEvent[]): { chain: Milestone[]; steps: number[] } {
  const chain = milestonesOf(goal);
  const context: MatchContext = { goal, events, held: heldAfterEachStep(events) };
  for (let count = chain.length; count > 0; count--) {
    const steps = matchChain(chain, count, context);
    if (steps) return { chain, steps };
  }
  return { chain, steps: [] };
}

function objectPhrase(goal: AlfworldGoal, ordinal: Ordinal): string {
  return ordinal === 'only' ? `the ${goal.object}` : `the ${ordinal} ${goal.object}`;
}

/** Where the expert goes before a milestone, in generic terms ("sinkbasin", "desklamp"). */
function destinationOf(milestone: Milestone, goal: AlfworldGoal): string {
  if (milestone.kind === 'transform') return milestone.appliance;
  if (milestone.kind === 'toggle') return milestone.lamp;
  return goal.receptacle;
}

function interactionName(milestone: Milestone, goal: AlfworldGoal): string {
  switch (milestone.kind) {
    case 'take':
      return `find and take ${objectPhrase(goal, milestone.ordinal)}`;
    case 'transform':
      return `${milestone.verb} the ${goal.object} with the ${milestone.appliance}`;
    case 'toggle':
      return `use the ${milestone.lamp}`;
    case 'put':
      return `put ${objectPhrase(goal, milestone.ordinal)} in/on the ${goal.receptacle}`;
  }
}

function interactionKind(milestone: Milestone): SegmentKind {
  return milestone.kind === 'take' ? 'search' : milestone.kind;
}

function ordinalOf(milestone: Milestone): Ordinal {
  return milestone.kind === 'take' || milestone.kind === 'put' ? milestone.ordinal : 'only';
}

/** Where an object of `type` was last seen before step `before` (the place's name), or null when it never was. */
export function lastSeen(type: string, before: number, events: readonly AlfworldEvent[]): string | null {
  let place: string | null = null;
  for (const event of events.slice(0, before)) {
    if (event.kind !== 'open' && event.kind !== 'arrive' && event.kind !== 'examine') continue;
    const contents = event.kind === 'open' ? event.contents : event.view && !event.view.closed ? event.view.contents : [];
    if (contents.some((name) => typeOf(name) === type)) place = event.place;
  }
  return place;
}

/**
 * The steps first..last heading for `milestone`: a search, or a navigation then the interaction. An unfinished
 * tail that has not moved yet is still on its way.
 */
function segmentsToward(
  milestone: Milestone,
  first: number,
  last: number,
  goal: AlfworldGoal,
  events: readonly AlfworldEvent[],
  reached = true,
): PlannedSegment[] {
  const ordinal = ordinalOf(milestone);
  const interaction = (from: number): PlannedSegment => ({
    kind: interactionKind(milestone),
    name: interactionName(milestone, goal),
    firstStep: from,
    lastStep: last,
    object: goal.object,
    target: destinationOf(milestone, goal),
    ordinal,
    noted: goal.lamp ? [goal.object, goal.lamp] : [goal.object],
  });
  if (milestone.kind === 'take') return [interaction(first)];
  let lastMove = -1;
  for (let index = first; index <= last; index++) if (events[index]?.kind === 'arrive') lastMove = index;
  // The milestone step itself is never a move, so a navigation leaves at least the milestone to the interaction;
  // an unfinished tail may be a navigation only.
  if (lastMove < 0 && reached) return [interaction(first)];
  if (lastMove < 0) lastMove = last;
  const target = destinationOf(milestone, goal);
  // A lamp is an object on some receptacle: where it was seen, the plan names that place (the last subtask's progress
  // says it); where it was not, reaching it is a search. Appliances and goal receptacles are in the room's list.
  const lampAt = milestone.kind === 'toggle' ? lastSeen(target, first, events) : null;
  const navigation: PlannedSegment =
    milestone.kind === 'toggle' && !lampAt
      ? { kind: 'locate', name: `find the ${target}`, firstStep: first, lastStep: lastMove, object: target, target, ordinal, noted: [target] }
      : {
          kind: 'navigate',
          name: lampAt ? `go to the ${target} at the ${lampAt}` : `go to the ${target}`,
          firstStep: first,
          lastStep: lastMove,
          object: goal.object,
          target,
          ordinal,
          noted: [],
        };
  return lastMove === last ? [navigation] : [navigation, interaction(lastMove + 1)];
}

/** Consecutive subtasks covering steps 0..n-1 exactly. */
export function planSegments(goal: AlfworldGoal, events: readonly AlfworldEvent[]): PlannedSegment[] {
  if (events.length === 0) return [];
  const { chain, steps } = reachedMilestones(goal, events);
  const segments: PlannedSegment[] = [];
  let next = 0;
  steps.forEach((step, index) => {
    segments.push(...segmentsToward(chain[index]!, next, step, goal, events));
    next = step + 1;
  });
  if (next <= events.length - 1) {
    // Unfinished: the expert was heading for the next milestone (or, past the last one, it kept going).
    const upcoming = chain[steps.length] ?? chain.at(-1)!;
    segments.push(...segmentsToward(upcoming, next, events.length - 1, goal, events, false));
  }
  return segments;
}
