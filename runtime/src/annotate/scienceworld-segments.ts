/**
 * Cutting a ScienceWorld gold path into subtasks: units are grouped by what they do (movement, filling at a sink,
 * heating, mixing, wiring, waiting ...), context actions (look, examine, opening containers) go with the subtask
 * they prepare, and a few merges follow the way a person would group the steps.
 */
import type { AnnotatableStep } from './types';
import { type GroupKind, type Unit, buildUnits, isThermalDevice, isWaterSource, kindOf, sameThing, touches } from './scienceworld-units';
import { describeInLook, mentions } from './scienceworld-text';

export interface Group {
  kind: GroupKind;
  /** Every unit of the subtask in order, context actions included. */
  units: Unit[];
  /** The units that made the group what it is. */
  core: Unit[];
  /** What the group is about: the room, device, container or water source it keeps to. */
  key?: string;
  /** No unit may join any more (a sink was turned off, a mixture was mixed). */
  closed: boolean;
}

export const firstStepOf = (group: Group): number => group.units[0]!.first;
export const lastStepOf = (group: Group): number => group.units.at(-1)!.last;

/** Groups the steps; every step lands in exactly one group and groups keep the steps' order. */
export function groupSteps(steps: readonly AnnotatableStep[]): Group[] {
  const units = buildUnits(steps);
  let groups = scan(units);
  groups = mergeFocusFollowUps(groups, steps);
  groups = movePickUpsToTheirUse(groups);
  groups = mergeStrayPickUps(groups, steps);
  groups = dissolveLoneWaits(groups);
  groups = coalesce(groups);
  return groups;
}

function keyOf(unit: Unit): string | undefined {
  const a = unit.action;
  switch (kindOf(a)) {
    case 'place':
    case 'mixing':
      return a.kind === 'mix' ? a.object : a.target;
    case 'heat':
    case 'water':
      return a.kind === 'put' ? a.target : a.object;
    case 'device':
      return a.object;
    default:
      return undefined;
  }
}

function startGroup(before: Unit[], unit: Unit): Group {
  const kind = unit.role === 'nav' ? 'navigate' : kindOf(unit.action);
  const group: Group = { kind, units: [...before, unit], core: [unit], closed: false };
  const key = keyOf(unit);
  if (key) group.key = key;
  updateClosed(group, unit);
  return group;
}

function updateClosed(group: Group, unit: Unit): void {
  const a = unit.action;
  if (group.kind === 'water' && a.kind === 'deactivate' && sameThing(a.object, group.key)) group.closed = true;
  if (group.kind === 'mixing' && a.kind === 'mix' && !a.failed) group.closed = true;
}

/** Whether `unit` continues `group` rather than starting a subtask of its own. */
function continues(group: Group, unit: Unit): boolean {
  const a = unit.action;
  const kind = kindOf(a);
  switch (group.kind) {
    case 'navigate':
      return unit.role === 'nav';
    case 'collect':
      return a.kind === 'pickUp';
    case 'drop':
      return a.kind === 'drop';
    case 'place':
      return (kind === 'place' && sameThing(a.target, group.key)) || (a.kind === 'mix' && sameThing(a.object, group.key));
    case 'plant':
      return kind === 'plant';
    case 'heat':
      return (a.kind === 'activate' || a.kind === 'put') && sameThing(a.kind === 'put' ? a.target : a.object, group.key);
    case 'water':
      return kind === 'water' || (a.kind === 'pour' && isWaterSource(group.key));
    case 'mixing':
      return (a.kind === 'pour' || a.kind === 'put' || a.kind === 'mix') && sameThing(a.kind === 'mix' ? a.object : a.target, group.key);
    case 'circuit':
      return kind === 'circuit' || ((a.kind === 'activate' || a.kind === 'deactivate') && circuitParts(group).some((p) => sameThing(p, a.object)));
    case 'monitor':
      return kind === 'monitor';
    case 'device':
      return kind === 'device' && sameThing(a.object, group.key);
    default:
      return false;
  }
}

function join(group: Group, before: Unit[], unit: Unit): void {
  group.units.push(...before, unit);
  group.core.push(unit);
  if (group.kind === 'place' && unit.action.kind === 'mix') group.kind = 'mixing';
  updateClosed(group, unit);
}

/** Context actions that belong to the subtask just done rather than to the next one. */
function belongsBack(group: Group, unit: Unit): boolean {
  if (unit.action.failed) return true;
  const waited = group.core.some((u) => u.action.kind === 'wait');
  return unit.action.kind === 'look' && group.kind === 'monitor' && waited;
}

function scan(units: readonly Unit[]): Group[] {
  const groups: Group[] = [];
  let pending: Unit[] = [];
  for (const unit of units) {
    const current = groups.at(-1);
    if (unit.role === 'filler') {
      if (current && pending.length === 0 && belongsBack(current, unit)) current.units.push(unit);
      else pending.push(unit);
      continue;
    }
    if (current && !current.closed && continues(current, unit)) join(current, pending, unit);
    else groups.push(startGroup(pending, unit));
    pending = [];
  }
  if (pending.length > 0) {
    const last = groups.at(-1);
    if (last) last.units.push(...pending);
    else groups.push({ kind: 'idle', units: pending, core: [], closed: true });
  }
  return groups;
}

export function circuitParts(group: Group): string[] {
  return group.core
    .flatMap((u) => (u.action.kind === 'connect' || u.action.kind === 'disconnect' ? [u.action.object, u.action.target] : []))
    .filter((name): name is string => !!name);
}

function mergeInto(target: Group, source: Group, where: 'before' | 'after'): void {
  target.units = where === 'before' ? [...source.units, ...target.units] : [...target.units, ...source.units];
  target.core = where === 'before' ? [...source.core, ...target.core] : [...target.core, ...source.core];
}

/** The look text as it was just before `step`. */
function lookBefore(steps: readonly AnnotatableStep[], step: number): string | undefined {
  for (let i = step - 1; i >= 0; i--) if (steps[i]?.look) return steps[i]!.look;
  return undefined;
}

/** Picking up (or putting down) the focused thing, or the pot it grows in, right after the focus is part of it. */
function mergeFocusFollowUps(groups: Group[], steps: readonly AnnotatableStep[]): Group[] {
  const out: Group[] = [];
  for (const group of groups) {
    const previous = out.at(-1);
    const focused = previous?.kind === 'focus' ? previous.core.at(-1)?.action.object : undefined;
    const followsUp =
      !!focused &&
      (group.kind === 'collect' || group.kind === 'drop') &&
      group.core.every((u) => relates(u.action.object, focused, lookBefore(steps, u.first)));
    if (followsUp) mergeInto(previous!, group, 'after');
    else out.push(group);
  }
  return out;
}

/** `name` is the focused thing, or holds it ("flower pot 3 (containing a pea plant ...)"). */
function relates(name: string | undefined, focused: string, look: string | undefined): boolean {
  if (!name) return false;
  return sameThing(name, focused) || mentions(describeInLook(look, name), focused);
}

/**
 * A pick-up serves the action that uses the picked thing next: trailing pick-ups of a collecting group move into
 * the next subtask when its first action uses them ("pick up the recipe" + "read the recipe").
 */
function movePickUpsToTheirUse(groups: Group[]): Group[] {
  const out: Group[] = [];
  groups.forEach((group, index) => {
    const next = groups[index + 1];
    const firstUse = next?.core[0]?.action;
    let split = group.core.length;
    if (group.kind === 'collect' && firstUse) {
      while (split > 0 && touches(firstUse, group.core[split - 1]!.action.object ?? '')) split--;
    }
    if (!next || split === group.core.length) {
      out.push(group);
      return;
    }
    // The moved pick-ups take the context actions just before them (opening the cupboard that held the pot).
    const cut = split === 0 ? 0 : group.units.indexOf(group.core[split - 1]!) + 1;
    next.units = [...group.units.slice(cut), ...next.units];
    next.core = [...group.core.slice(split), ...next.core];
    if (split > 0) out.push({ ...group, units: group.units.slice(0, cut), core: group.core.slice(0, split) });
  });
  return out;
}

/** A lone pick-up of something the previous subtask handled or produced goes with that subtask. */
function mergeStrayPickUps(groups: Group[], steps: readonly AnnotatableStep[]): Group[] {
  const out: Group[] = [];
  for (const group of groups) {
    const previous = out.at(-1);
    const picked = group.kind === 'collect' && group.core.length === 1 ? group.core[0]!.action.object : undefined;
    const handled =
      !!previous &&
      !!picked &&
      previous.kind !== 'navigate' &&
      previous.units.some((u) => u.action.kind !== 'look' && (touches(u.action, picked) || mentions(steps[u.last]?.observation, picked)));
    if (handled) mergeInto(previous!, group, 'after');
    else out.push(group);
  }
  return out;
}

/** A single short wait between other subtasks is a pause, not a subtask: it joins the next one (or the last). */
function dissolveLoneWaits(groups: Group[]): Group[] {
  const lone = (g: Group): boolean => g.kind === 'monitor' && g.core.length === 1 && g.core[0]!.action.kind === 'wait';
  const out: Group[] = [];
  let carried: Group | undefined;
  for (const group of groups) {
    if (carried) {
      mergeInto(group, carried, 'before');
      carried = undefined;
    }
    if (lone(group) && group !== groups.at(-1) && out.length > 0) carried = group;
    else if (lone(group) && out.length > 0) mergeInto(out.at(-1)!, group, 'after');
    else out.push(group);
  }
  return out;
}

/**
 * Neighbours that are one subtask to a person: repeated attempts of the same kind at the same place, ingredients
 * put into the container that is then mixed or heated, soil put into the pot that is then planted.
 */
function coalesce(groups: Group[]): Group[] {
  const out: Group[] = [];
  for (const group of groups) {
    const previous = out.at(-1);
    if (previous && belongTogether(previous, group)) {
      mergeInto(previous, group, 'after');
      previous.kind = group.kind;
      previous.closed = group.closed;
      if (group.key) previous.key = group.key;
    } else out.push(group);
  }
  return out;
}

const REPEATABLE: GroupKind[] = ['place', 'plant', 'mixing', 'collect', 'drop', 'circuit', 'water', 'monitor'];

function belongTogether(first: Group, second: Group): boolean {
  if (first.kind === second.kind && REPEATABLE.includes(first.kind)) {
    return first.key === undefined || sameThing(first.key, second.key);
  }
  if (first.kind !== 'place' || !first.key) return false;
  const next = second.core.find((u) => u.role === 'core')?.action;
  if (!next) return false;
  if (second.kind === 'mixing') return sameThing(second.key, first.key);
  if (second.kind === 'heat') return next.kind === 'put' && sameThing(next.object, first.key) && isThermalDevice(next.target);
  if (second.kind === 'plant') return sameThing(next.target, first.key);
  return false;
}
