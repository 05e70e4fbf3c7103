/**
 * Subtask names for ScienceWorld groups: short imperative lines with the objects named as the world names them
 * ("fill the metal pot with water", "measure the temperature of the water until it boils").
 */
import type { AnnotatableEpisode } from './types';
import type { ParsedAction } from './scienceworld-actions';
import { type Group, circuitParts } from './scienceworld-segments';
import { contentsOf, joinNames, organismOf, the, unique } from './scienceworld-text';
import { isCooler, isFlowerPot, isHeater, isWire, sameThing } from './scienceworld-units';

/** What earlier subtasks established that later names depend on. */
interface EpisodeMemory {
  /** The last device something was put into to heat or cool it. */
  thermal?: { device: string; heating: boolean };
  /** The substance last focused on or examined. */
  substance?: string;
  focused?: string;
  plantedSeed?: string;
  plantedPots: number;
  bulb?: string;
}

export function nameGroups(groups: readonly Group[], episode: AnnotatableEpisode): string[] {
  const memory: EpisodeMemory = { plantedPots: 0 };
  return groups.map((group) => {
    const name = nameOf(group, memory, episode);
    remember(group, memory);
    return name;
  });
}

const actionsOf = (group: Group, kind: ParsedAction['kind']): ParsedAction[] =>
  group.units.map((u) => u.action).filter((a) => a.kind === kind && !a.failed);

const objectsOf = (actions: readonly ParsedAction[]): string[] => unique(actions.map((a) => a.object).filter((o): o is string => !!o));

function remember(group: Group, memory: EpisodeMemory): void {
  for (const unit of group.units) {
    const a = unit.action;
    if (a.failed) continue;
    if (a.kind === 'put' && a.target && (isHeater(a.target) || isCooler(a.target)))
      memory.thermal = { device: a.target, heating: isHeater(a.target) };
    if (a.kind === 'focus' && a.object) memory.focused = a.object;
    if ((a.kind === 'focus' || a.kind === 'examine') && a.object && !/\s(?:in|on)\s/.test(a.object)) memory.substance = a.object;
    if (group.kind === 'plant' && a.kind === 'put' && /\bseed$/.test(a.object ?? '')) {
      memory.plantedSeed = a.object;
      memory.plantedPots++;
    }
    if (a.kind === 'connect') memory.bulb = [a.object, a.target].find((p) => !!p && /\bbulb$/.test(p)) ?? memory.bulb;
  }
}

function nameOf(group: Group, memory: EpisodeMemory, episode: AnnotatableEpisode): string {
  switch (group.kind) {
    case 'navigate':
      return navigateName(group);
    case 'collect':
      return `pick up ${listThings(objectsOf(actionsOf(group, 'pickUp')))}`;
    case 'drop':
      return `put down ${listThings(objectsOf(actionsOf(group, 'drop')))}`;
    case 'place':
      return placeName(group, memory);
    case 'plant':
      return plantName(group);
    case 'heat':
      return heatName(group, memory, episode);
    case 'water':
      return waterName(group);
    case 'mixing':
      return mixingName(group);
    case 'focus':
      return focusName(group);
    case 'circuit':
      return circuitName(group);
    case 'monitor':
      return monitorName(group, memory, episode);
    case 'use':
      return useName(group);
    case 'read':
      return readName(group);
    case 'device':
      return deviceName(group);
    case 'other':
      return otherName(group);
    case 'idle':
      return idleName(group);
  }
}

/** "the thermometer, the metal pot and the wires": two or more wires read as "the wires". */
function listThings(names: readonly string[]): string {
  const wires = names.filter(isWire);
  const rest = names.filter((n) => !isWire(n)).map(the);
  const all = wires.length >= 2 ? [...rest, 'the wires'] : [...rest, ...wires.map(the)];
  return joinNames(all);
}

/** "flower pot 2" / "flower pots 3, 2 and 1". */
function listPots(pots: readonly string[]): string {
  const numbers = pots.map((p) => p.match(/^flower pot (\d+)$/)?.[1]);
  if (pots.length > 1 && numbers.every((n) => n !== undefined)) return `flower pots ${joinNames(numbers as string[])}`;
  return joinNames(pots.map(the));
}

function preposition(place: string): string {
  return /\b(?:table|counter|stove|chair|desk|shelf|bench|hot plate|ground|floor)$/.test(place) ? 'on' : 'in';
}

function navigateName(group: Group): string {
  const rooms = group.units.map((u) => u.action).filter((a) => a.kind === 'go' && !a.failed);
  const room = rooms.at(-1)?.target;
  if (room) return `go to the ${room}`;
  const door = group.units.find((u) => u.action.kind === 'openDoor')?.action.target;
  return door ? `open the door to the ${door}` : 'move on';
}

function placeName(group: Group, memory: EpisodeMemory): string {
  const moved = actionsOf(group, 'put');
  const target = moved.at(-1)?.target ?? group.key ?? 'box';
  const things = objectsOf(moved).map((o) => (memory.focused && sameThing(o, memory.focused) ? memory.focused : o));
  return `put ${listThings(unique(things))} ${preposition(target)} ${the(target)}`;
}

function plantName(group: Group): string {
  const planted = actionsOf(group, 'put').filter((a) => /\bseed$/.test(a.object ?? ''));
  const seeds = objectsOf(planted);
  const pots = unique(planted.map((a) => a.target ?? ''));
  const seed = seeds.length === 1 && pots.length > 1 ? `the ${seeds[0]}s` : listThings(seeds);
  return `plant ${seed} in ${listPots(pots)}`;
}

function heatName(group: Group, memory: EpisodeMemory, episode: AnnotatableEpisode): string {
  const device = group.key ?? 'stove';
  const placed = actionsOf(group, 'put')
    .filter((a) => sameThing(a.target, device))
    .at(-1);
  const broken = group.units.some((u) => u.action.failed && u.action.kind === 'activate');
  if (!placed) return `turn on ${the(device)}`;
  const container = placed.object ?? 'pot';
  const added = objectsOf(actionsOf(group, 'put').filter((a) => sameThing(a.target, container)));
  const before = contentsBefore(episode, group.units[0]!.first, container);
  const thing = added.length > 0 ? joinNames(added) : (before ?? memory.substance ?? container);
  const what = thing === 'nothing' ? container : thing;
  const verb = isCooler(device) ? 'cool' : 'heat';
  const line = `${verb} the ${what} ${preposition(device)} the ${device}`;
  return broken ? `try to ${line}` : line;
}

/** What `container` held just before `step`, from the look or the inventory text. */
function contentsBefore(episode: AnnotatableEpisode, step: number, container: string): string | undefined {
  const previous = step > 0 ? episode.steps[step - 1] : undefined;
  const look = previous ? previous.look : episode.initialLook;
  const inventory = previous ? previous.inventory : episode.initialInventory;
  return contentsOf(look, container) ?? contentsOf(inventory, container);
}

function waterName(group: Group): string {
  const watered = unique(
    actionsOf(group, 'pour')
      .map((a) => a.target ?? '')
      .filter(isFlowerPot),
  );
  if (watered.length > 0) return `water ${listPots(watered)}`;
  const source = group.key ?? 'sink';
  const filled = objectsOf(actionsOf(group, 'put').filter((a) => sameThing(a.target, source)));
  const worked = group.units.some((u) => u.action.kind === 'activate' && !u.action.failed);
  if (filled.length === 0) return `turn on ${the(source)}`;
  return worked ? `fill ${listThings(filled)} with water` : `try to fill ${listThings(filled)} with water at the ${source}`;
}

/** The fullest name the group's actions give its container: "tin cup" rather than the action's "cup". */
function containerName(group: Group): string {
  const key = group.key ?? 'container';
  const names = group.units
    .flatMap((u) => [u.action.object, u.action.target])
    .filter((n): n is string => !!n && !/\s(?:in|on)\s/.test(n) && sameThing(n, key));
  return names.reduce((best, n) => (n.length > best.length ? n : best), key);
}

function mixingName(group: Group): string {
  const container = containerName(group);
  const mixed = actionsOf(group, 'mix').at(-1);
  const recipe = mixed ? mixResult(group) : undefined;
  if (recipe) return `mix ${recipe} in the ${container}`;
  const poured = actionsOf(group, 'pour').map((a) => a.substance ?? a.object ?? '');
  const placed = actionsOf(group, 'put').map((a) => a.object ?? '');
  const ingredients = unique([...poured, ...placed].filter((n) => n.length > 0));
  if (mixed) return `mix the contents of the ${container}`;
  return `pour ${listThings(ingredients)} into the ${container}`;
}

/** "Blue and yellow paint mix to produce green paint." → "blue and yellow paint". */
function mixResult(group: Group): string | undefined {
  for (const unit of [...group.units].reverse()) {
    if (unit.action.kind !== 'mix') continue;
    const text = unit.action.answer;
    const match = text?.match(/^(.+?) mix(?:es)? to produce (.+?)\.?$/i);
    if (match) return match[1]!.toLowerCase();
  }
  return undefined;
}

function focusName(group: Group): string {
  const index = group.units.findIndex((u) => u.action.kind === 'focus' && !u.action.failed);
  const focus = group.units[index]?.action;
  if (!focus?.object) return 'focus on the target';
  const stage = focus.stage && !focus.object.includes(focus.stage) ? ` in the ${focus.stage} stage` : '';
  const target = `${the(focus.object)}${stage}`;
  const before = group.units.slice(0, index).map((u) => u.action);
  const after = group.units.slice(index + 1).map((u) => u.action);
  const pickedFirst = before.some((a) => a.kind === 'pickUp' && !a.failed && sameThing(a.object, focus.object));
  const searched = before.filter((a) => a.kind === 'open' || a.kind === 'lookIn').length >= 2;
  const pickedAfter = after.find((a) => a.kind === 'pickUp' && !a.failed);
  if (pickedFirst) return `pick up and focus on ${target}`;
  const head = searched ? `find and focus on ${target}` : `focus on ${target}`;
  if (!pickedAfter?.object) return head;
  return sameThing(pickedAfter.object, focus.object) ? `${head} and pick it up` : `${head} and pick up ${the(pickedAfter.object)}`;
}

function circuitName(group: Group): string {
  const parts = unique(circuitParts(group).filter((p) => !isWire(p)));
  const switched = objectsOf(actionsOf(group, 'activate')).filter((o) => parts.some((p) => sameThing(p, o)));
  const tail = switched.length > 0 ? `, then turn on ${listThings(switched)}` : '';
  if (actionsOf(group, 'connect').length === 0) return `disconnect ${listThings(objectsOf(actionsOf(group, 'disconnect')))}`;
  if (parts.length === 0) return `connect the wires${tail}`;
  if (parts.length === 1) return `connect the wires to ${the(parts[0]!)}${tail}`;
  if (parts.length === 2) return `connect ${the(parts[0]!)} to ${the(parts[1]!)}${tail}`;
  return `build a circuit with ${listThings(parts)}${tail}`;
}

/** What the task expects to happen to a heated or cooled substance, as "until it ..." words. */
function changeExpected(task: string, heating: boolean): { until: string; infinitive: string } | undefined {
  if (task === 'boil' && heating) return { until: 'boils', infinitive: 'boil' };
  if (task === 'melt') return heating ? { until: 'melts', infinitive: 'melt' } : { until: 'freezes', infinitive: 'freeze' };
  if (task === 'freeze' && !heating) return { until: 'freezes', infinitive: 'freeze' };
  if (task.startsWith('change-the-state'))
    return heating ? { until: 'changes state', infinitive: 'change state' } : { until: 'freezes', infinitive: 'freeze' };
  if (task.startsWith('measure-melting-point') && heating) return { until: 'melts', infinitive: 'melt' };
  return undefined;
}

function monitorName(group: Group, memory: EpisodeMemory, episode: AnnotatableEpisode): string {
  const measured = actionsOf(group, 'use');
  const examined = actionsOf(group, 'examine')
    .map((a) => a.object)
    .find((o) => !!o && !/\s(?:in|on)\s/.test(o));
  const change = memory.thermal ? changeExpected(episode.task, memory.thermal.heating) : undefined;
  if (measured.length > 0) {
    const target = measured[0]!.target;
    const generic = !target || /^substance\b/.test(target);
    const substance = examined ?? (generic ? memory.substance : target) ?? 'substance';
    return `measure the temperature of the ${substance}${change ? ` until it ${change.until}` : ''}`;
  }
  return waitName(group, memory, episode, change?.infinitive);
}

function waitName(group: Group, memory: EpisodeMemory, episode: AnnotatableEpisode, change: string | undefined): string {
  const task = episode.task;
  if (group.units.some((u) => u.action.kind === 'open' && /bee hive/.test(u.action.object ?? '')))
    return 'open the bee hive and wait for the bees to pollinate the flowers';
  if (task.startsWith('grow')) {
    const species = memory.plantedSeed?.replace(/\s*seed$/, '');
    return species ? `wait for the ${species} ${memory.plantedPots > 1 ? 'plants' : 'plant'} to grow` : 'wait for the plants to grow';
  }
  if (task.startsWith('identify-life-stages')) {
    const organism = organismOf(episode.taskDescription);
    return `wait for the ${organism ?? 'organism'} to grow`;
  }
  if (change && memory.thermal) return `wait for the ${memory.substance ?? 'substance'} to ${change}`;
  if (memory.bulb) {
    return /conductiv/.test(task) ? `wait and check whether ${the(memory.bulb)} turns on` : `wait for ${the(memory.bulb)} to turn on`;
  }
  return 'wait';
}

function useName(group: Group): string {
  const used = group.core.find((u) => u.action.kind === 'use')?.action ?? group.core[0]!.action;
  if (/shovel/.test(used.object ?? '') && /\bdig\b/i.test(used.answer ?? '')) return 'dig up soil with the shovel';
  return used.target ? `use ${the(used.object ?? 'tool')} on ${the(used.target)}` : `use ${the(used.object ?? 'tool')}`;
}

function readName(group: Group): string {
  const read = actionsOf(group, 'read').at(-1);
  const thing = read?.object ?? 'note';
  const pickedFirst = actionsOf(group, 'pickUp').some((a) => sameThing(a.object, thing));
  return `${pickedFirst ? 'pick up and read' : 'read'} ${the(thing)}`;
}

function deviceName(group: Group): string {
  const switched = group.core.map((u) => u.action).filter((a) => !a.failed);
  const last = switched.at(-1) ?? group.core[0]!.action;
  return `${last.kind === 'deactivate' ? 'turn off' : 'turn on'} ${the(last.object ?? 'device')}`;
}

function otherName(group: Group): string {
  const action = group.core[0]!.action;
  return action.object ? `${action.verb} ${the(action.object)}` : action.text.toLowerCase();
}

function idleName(group: Group): string {
  const action = group.units[0]!.action;
  if (action.kind === 'look') return 'look around';
  if (action.kind === 'examine' && action.object) return `examine ${the(action.object)}`;
  if (action.kind === 'open' && action.object) return `open ${the(action.object)}`;
  return action.text.toLowerCase();
}
