/**
 * Whether an ALFWorld subtask reached its goal, read from the engine's answers. The names are the rule annotator's
 * (alfworld-phases.ts), which is also what a trained planner writes; a policy's low level ends a subtask by its own
 * flag, so this is what tells a finished subtask from one merely declared finished.
 */
import { type AlfworldEvent, type TransformVerb, heldAfterEachStep, readStep, typeOf } from './alfworld-events';
import { matchingCheck } from './subtask-wording';
import type { AnnotatableStep } from './types';

type Check = (events: readonly AlfworldEvent[], firstStep: number, lastStep: number, m: RegExpMatchArray) => boolean;

/** "first book" / "second book" / "book" → "book". */
const objectType = (phrase: string) => phrase.replace(/^(?:first|second) /, '');

function within(events: readonly AlfworldEvent[], firstStep: number, lastStep: number): AlfworldEvent[] {
  return events.slice(firstStep, lastStep + 1);
}

/** What the step showed of where the agent is: the contents of the place it arrived at, opened or examined. */
function seenAt(event: AlfworldEvent | undefined): string[] {
  if (!event) return [];
  if (event.kind === 'open') return event.contents;
  if ((event.kind === 'arrive' || event.kind === 'examine') && event.view && !event.view.closed) return event.view.contents;
  return [];
}

/** A place the name gives with its number ("sidetable 2") must be that one; a bare type ("sidetable") any of them. */
const samePlace = (place: string, named: string) => (/\s\d+$/.test(named) ? place === named : typeOf(place) === named);

const CHECKS: { pattern: RegExp; reached: Check }[] = [
  {
    pattern: /^find and take the (.+)$/,
    reached: (events, _first, last, m) => {
      const held = heldAfterEachStep(events)[last];
      return held != null && typeOf(held) === objectType(m[1]!);
    },
  },
  {
    pattern: /^find the (.+)$/,
    reached: (events, _first, last, m) => seenAt(events[last]).some((item) => typeOf(item) === m[1]!),
  },
  {
    pattern: /^go to (?:the )?(.+?)(?: at the (.+))?$/,
    reached: (events, _first, last, m) => {
      const event = events[last];
      return event?.kind === 'arrive' && samePlace(event.place, m[2] ?? m[1]!);
    },
  },
  {
    // A sampled planner varies the preposition ("in/on/at the desk", "in/on top of a garbagecan 1"): the place is
    // the name's last word, with its number where it has one.
    pattern: /^put the (.+?) in\/on\b.*?([a-z]+(?: \d+)?)$/,
    reached: (events, first, last, m) =>
      within(events, first, last).some((e) => e.kind === 'put' && typeOf(e.object) === objectType(m[1]!) && samePlace(e.place, m[2]!)),
  },
  {
    pattern: /^(clean|heat|cool) the (.+) with the (.+)$/,
    reached: (events, first, last, m) =>
      within(events, first, last).some(
        (e) => e.kind === 'transform' && e.verb === (m[1] as TransformVerb) && typeOf(e.object) === m[2]! && samePlace(e.appliance, m[3]!),
      ),
  },
  {
    pattern: /^use the (.+)$/,
    reached: (events, first, last, m) => within(events, first, last).some((e) => e.kind === 'toggle' && typeOf(e.device) === typeOf(m[1]!)),
  },
];

/**
 * Whether the subtask named `name` over steps firstStep..lastStep reached its goal: true or false, or null where
 * the name is none of the annotator's forms (a person's own wording), which nothing here can judge.
 */
export function alfworldSubtaskReached(
  name: string,
  steps: ReadonlyArray<Pick<AnnotatableStep, 'action' | 'observation' | 'invalid'>>,
  firstStep: number,
  lastStep: number,
): boolean | null {
  const found = matchingCheck(CHECKS, name);
  return found ? found.check.reached(steps.map(readStep), firstStep, lastStep, found.match) : null;
}
