/**
 * Whether a ScienceWorld subtask reached its goal, read from the engine's answers and the free look and inventory
 * texts. The names are the rule annotator's (scienceworld-names.ts), which is also what a trained planner writes;
 * only the forms whose goal the texts show are checked (moving, picking up, focusing, reading, opening a door,
 * switching a device, putting things somewhere); the others (filling, heating, mixing, wiring, waiting, measuring)
 * are left to the paper's rule.
 */
import { type ParsedAction, isChoice, parseAction } from './scienceworld-actions';
import { roomOf, inventoryItems } from './scienceworld-text';
import { sameThing } from './scienceworld-units';
import { matchingCheck } from './subtask-wording';
import type { AnnotatableStep } from './types';

/** A step as the annotator or the store has it (the store keeps a text it did not record as null). */
type Step = Pick<AnnotatableStep, 'action' | 'observation' | 'invalid'> & { look?: string | null; inventory?: string | null };
/** true or false; null where the texts the check reads were not recorded. */
type Check = (steps: readonly Step[], firstStep: number, lastStep: number, m: RegExpMatchArray) => boolean | null;

/** "the seed jar, a pot and a bowl" → ["the seed jar", "a pot", "a bowl"]. */
function things(list: string): string[] {
  return list
    .split(/, | and /)
    .map((name) => name.trim())
    .filter(Boolean);
}

/** Every listed thing is among `names`; "the wires" (how the annotator lists several wires) asks for two wires or more. */
function allAmong(list: string, names: readonly (string | undefined)[]): boolean {
  return things(list).every((wanted) =>
    /^(?:the )?wires$/.test(wanted) ? names.filter((n) => n && /\bwire$/.test(n)).length >= 2 : names.some((n) => sameThing(n, wanted)),
  );
}

/** The subtask's actions that the engine carried out, as parsed; a numbered choice reads as the action it answers. */
function doneWithin(steps: readonly Step[], firstStep: number, lastStep: number): ParsedAction[] {
  const done: ParsedAction[] = [];
  for (let i = firstStep; i <= lastStep && i < steps.length; i++) {
    const step = steps[i]!;
    const asked = i > 0 && isChoice(step.action) ? steps[i - 1]!.action : step.action;
    const action = parseAction(asked, step.observation, step.invalid);
    if (!action.failed && !action.ambiguous) done.push(action);
  }
  return done;
}

const did = (kind: ParsedAction['kind'], named: string) => (steps: readonly Step[], first: number, last: number) =>
  doneWithin(steps, first, last).some((a) => a.kind === kind && sameThing(a.object, named));

const CHECKS: { pattern: RegExp; reached: Check }[] = [
  {
    pattern: /^go to the (.+)$/,
    reached: (steps, _first, last, m) => (steps[last]?.look == null ? null : roomOf(steps[last]!.look ?? undefined) === m[1]!),
  },
  {
    pattern: /^open the door to the (.+)$/,
    reached: (steps, first, last, m) => doneWithin(steps, first, last).some((a) => a.kind === 'openDoor' && sameThing(a.target, m[1]!)),
  },
  {
    pattern: /^pick up (?!and )(.+)$/,
    reached: (steps, _first, last, m) => {
      const inventory = steps[last]?.inventory;
      return inventory == null ? null : allAmong(m[1]!, inventoryItems(inventory));
    },
  },
  {
    pattern: /^focus on (.+) and pick it up$/,
    reached: (steps, first, last, m) => {
      const inventory = steps[last]?.inventory;
      return inventory == null ? null : did('focus', m[1]!)(steps, first, last) && allAmong(m[1]!, inventoryItems(inventory));
    },
  },
  {
    pattern: /^(?:find and focus on|pick up and focus on|focus on) (.+)$/,
    reached: (steps, first, last, m) => did('focus', m[1]!)(steps, first, last),
  },
  {
    pattern: /^(?:pick up and )?read (.+)$/,
    reached: (steps, first, last, m) => did('read', m[1]!)(steps, first, last),
  },
  {
    pattern: /^turn on (.+)$/,
    reached: (steps, first, last, m) => did('activate', m[1]!)(steps, first, last),
  },
  {
    pattern: /^turn off (.+)$/,
    reached: (steps, first, last, m) => did('deactivate', m[1]!)(steps, first, last),
  },
  {
    pattern: /^put (.+) (?:in|on|into) (.+)$/,
    reached: (steps, first, last, m) => {
      const moved = doneWithin(steps, first, last).filter((a) => a.kind === 'put' && sameThing(a.target, m[2]!));
      return allAmong(
        m[1]!,
        moved.map((a) => a.object),
      );
    },
  },
];

/**
 * Whether the subtask named `name` over steps firstStep..lastStep reached its goal: true or false, or null where the
 * name is none of the checked forms (a person's own wording, or a goal the texts do not show).
 */
export function scienceworldSubtaskReached(name: string, steps: readonly Step[], firstStep: number, lastStep: number): boolean | null {
  const found = matchingCheck(CHECKS, name);
  return found ? found.check.reached(steps, firstStep, lastStep, found.match) : null;
}
