/**
 * The building blocks of a ScienceWorld segmentation: units (one action, or an ambiguous action together with the
 * numbered choice that settled it) and what kind of subtask each unit starts or continues.
 */
import type { AnnotatableStep } from './types';
import { type ParsedAction, isChoice, parseAction } from './scienceworld-actions';
import { findWord, withoutArticle } from './scienceworld-text';

export interface Unit {
  /** First and last step (inclusive) of the unit. */
  first: number;
  last: number;
  action: ParsedAction;
  /** nav: movement; filler: context actions and refusals that go with a neighbour; core: the rest. */
  role: 'nav' | 'filler' | 'core';
}

export type GroupKind =
  | 'navigate'
  | 'collect'
  | 'drop'
  | 'place'
  | 'plant'
  | 'heat'
  | 'water'
  | 'mixing'
  | 'focus'
  | 'circuit'
  | 'device'
  | 'monitor'
  | 'use'
  | 'read'
  | 'other'
  | 'idle';

const WATER_SOURCES = /\b(?:sink|bathtub|toilet|tap|faucet)$/;
const HEATERS = /\b(?:stove|oven|fire pit|blast furnace|furnace|hot plate|campfire)$/;
const COOLERS = /\b(?:freezer|fridge|refrigerator|ice box)$/;
const THERMOMETER = /\bthermometer$/;

export const isWaterSource = (name?: string): boolean => !!name && WATER_SOURCES.test(name);
export const isHeater = (name?: string): boolean => !!name && HEATERS.test(name);
export const isCooler = (name?: string): boolean => !!name && COOLERS.test(name);
export const isThermalDevice = (name?: string): boolean => isHeater(name) || isCooler(name);
export const isFlowerPot = (name?: string): boolean => !!name && /\bpot \d+$/.test(name) && /flower/.test(name);
export const isWire = (name: string): boolean => /\bwire$/.test(name);

/** Splits the trajectory into units; a numbered choice joins the ambiguous action it answers. */
export function buildUnits(steps: readonly AnnotatableStep[]): Unit[] {
  const units: Unit[] = [];
  steps.forEach((step, index) => {
    const previous = units.at(-1);
    if (isChoice(step.action) && previous?.action.ambiguous && previous.last === index - 1) {
      previous.last = index;
      previous.action = parseAction(previous.action.text, step.observation);
      previous.role = roleOf(previous.action);
      return;
    }
    const action = parseAction(step.action, step.observation, step.invalid);
    units.push({ first: index, last: index, action, role: roleOf(action) });
  });
  return units;
}

function roleOf(action: ParsedAction): Unit['role'] {
  if (action.failed) return 'filler';
  switch (action.kind) {
    case 'openDoor':
    case 'go':
      return 'nav';
    case 'look':
    case 'lookIn':
    case 'examine':
    case 'inventory':
    case 'open':
    case 'close':
    case 'closeDoor':
      return 'filler';
    case 'other':
      return /^(?:task|score|\d+)$/.test(action.verb) ? 'filler' : 'core';
    default:
      return 'core';
  }
}

/** The subtask kind a core unit starts. */
export function kindOf(action: ParsedAction): GroupKind {
  switch (action.kind) {
    case 'openDoor':
    case 'go':
      return 'navigate';
    case 'pickUp':
      return 'collect';
    case 'drop':
      return 'drop';
    case 'put':
      if (isWaterSource(action.target)) return 'water';
      if (isThermalDevice(action.target)) return 'heat';
      return /\bseed$/.test(action.object ?? '') && /\bpot\b/.test(action.target ?? '') ? 'plant' : 'place';
    case 'pour':
      return isFlowerPot(action.target) ? 'water' : 'mixing';
    case 'mix':
      return 'mixing';
    case 'focus':
      return 'focus';
    case 'connect':
    case 'disconnect':
      return 'circuit';
    case 'activate':
    case 'deactivate':
      if (isWaterSource(action.object)) return 'water';
      return isThermalDevice(action.object) ? 'heat' : 'device';
    case 'wait':
      return 'monitor';
    case 'use':
      return THERMOMETER.test(action.object ?? '') ? 'monitor' : 'use';
    case 'read':
      return 'read';
    default:
      return 'other';
  }
}

/**
 * True when two names denote the same thing: equal, one contained in the other as whole words ("dove" and
 * "dove egg"), or the same head noun for the engine's generic references ("cup" and "tin cup").
 */
export function sameThing(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = withoutArticle(a.toLowerCase());
  const y = withoutArticle(b.toLowerCase());
  if (x === y || findWord(x, y) >= 0 || findWord(y, x) >= 0) return true;
  const generic = /^(?:cup|pot|container|substance|bowl|jar)$/;
  return (generic.test(x) && y.endsWith(` ${x}`)) || (generic.test(y) && x.endsWith(` ${y}`));
}

/** Every name a unit's action touches, for deciding which neighbour a pick-up serves. */
export function namesIn(action: ParsedAction): string[] {
  return [action.object, action.target, action.substance].filter((name): name is string => !!name);
}

/** True when the unit's action touches `name` (its arguments, or its raw words). */
export function touches(action: ParsedAction, name: string): boolean {
  if (!name) return false;
  return namesIn(action).some((other) => sameThing(other, name)) || findWord(action.text.toLowerCase(), name.toLowerCase()) >= 0;
}
