/**
 * Local-progress texts for one ScienceWorld subtask: starting from nothing at the subtask's first step, each step
 * folds its action and the engine's answer (with the free look and inventory texts) into a few persistent facts,
 * rendered as one or two sentences: a route for movement, a checked list while searching, readings while measuring.
 */
import { MAX_PROGRESS_CHARS, type AnnotatableEpisode, type AnnotatableStep } from './types';
import { type ParsedAction, answerLine, isChoice, parseAction } from './scienceworld-actions';
import { type Group, firstStepOf, lastStepOf } from './scienceworld-segments';
import {
  UNKNOWN_ACTION_MESSAGE,
  clip,
  contentsOf,
  describeInLook,
  escapeRegExp,
  inventoryItems,
  joinNames,
  mentions,
  roomOf,
  simplifySubstances,
  organismOf,
  temperatureOf,
  the,
  unique,
} from './scienceworld-text';
import { isFlowerPot, isWire, namesIn, sameThing } from './scienceworld-units';

/** Kinds whose opened containers are listed as searched places. */
const SEARCHING = new Set(['focus', 'collect', 'read', 'place', 'mixing']);
const MAX_READINGS = 8;

interface SegmentState {
  group: Group;
  task: string;
  /** identify-life-stages: the organism whose stages the task asks for. */
  organism?: string;
  /** use-thermometer: the temperature the task compares the reading with. */
  threshold?: string;
  /**
   * The things the subtask is about: what its actions (or the episode's wiring) touch that its name mentions. A
   * look reports on these only, so a progress text never knows more than the subtask name and the steps so far.
   */
  targets: string[];
  route: string[];
  facts: Map<string, string>;
  checked: string[];
  picked: string[];
  dropped: string[];
  /** What was poured into each container. */
  poured: Map<string, string[]>;
  planted: string[];
  closedDoors: string[];
  watered: string[];
  connections: string[];
  readings: number[];
  waited: number;
  firstSubstance?: string;
  substance?: string;
  /** The inventory text last seen, to report what is held when it changes. */
  inventory: string;
  /** Where the subtask put things, and what they hold: object → { where: "in the sink", contents }. */
  placed: Map<string, { where: string; contents?: string }>;
}

/** The progress texts of every step, subtask by subtask (`names[i]` names `groups[i]`). */
export function progressTexts(groups: readonly Group[], names: readonly string[], episode: AnnotatableEpisode): string[] {
  const parts = circuitPartsOf(episode);
  return groups.flatMap((group, index) => progressOfGroup(group, episode, targetsOf(group, names[index] ?? '', parts)));
}

/** The parts the episode wires up (bulbs, batteries, generators): what a wait or a look should report on. */
function circuitPartsOf(episode: AnnotatableEpisode): string[] {
  const parts = episode.steps
    .map((step) => parseAction(step.action, step.observation, step.invalid))
    .filter((a) => a.kind === 'connect' && !a.failed)
    .flatMap((a) => [a.object ?? '', a.target ?? '']);
  return unique(parts.filter((p) => p.length > 0 && !isWire(p)));
}

function progressOfGroup(group: Group, episode: AnnotatableEpisode, targets: string[]): string[] {
  const first = firstStepOf(group);
  const before = first > 0 ? episode.steps[first - 1] : undefined;
  const state: SegmentState = {
    group,
    task: episode.task,
    ...optional('organism', organismOf(episode.taskDescription)),
    ...optional('threshold', episode.taskDescription.match(/temperature is above (-?\d+(?:\.\d+)?) degrees/)?.[1]),
    targets,
    route: [roomOf(before ? before.look : (episode.initialLook ?? episode.initialObservation)) ?? 'start'],
    facts: new Map(),
    checked: [],
    picked: [],
    dropped: [],
    poured: new Map(),
    planted: [],
    closedDoors: [],
    watered: [],
    connections: [],
    readings: [],
    waited: 0,
    inventory: (before ? before.inventory : episode.initialInventory) ?? '',
    placed: new Map(),
  };
  const texts: string[] = [];
  for (let index = first; index <= lastStepOf(group); index++) {
    const step = episode.steps[index]!;
    const action = parseStep(episode.steps, index);
    const note = apply(state, action, step);
    texts.push(render(state, note, action));
  }
  return texts;
}

/** A numbered choice reads as the ambiguous action it answers. */
function parseStep(steps: readonly AnnotatableStep[], index: number): ParsedAction {
  const step = steps[index]!;
  const previous = steps[index - 1];
  const asked = previous && isChoice(step.action) && /^Ambiguous request/.test(previous.observation);
  return parseAction(asked ? previous.action : step.action, step.observation, step.invalid);
}

function targetsOf(group: Group, name: string, parts: readonly string[]): string[] {
  const candidates = [...group.core.flatMap((u) => namesIn(u.action)), ...parts];
  const names = unique(candidates.filter((n) => mentions(name, n) && n !== 'inventory' && !isWire(n) && !/^(?:ground|floor)$/.test(n)));
  // "dove" and "dove egg" are one thing: keep the fuller name.
  return names.filter((n) => !names.some((other) => other !== n && other.includes(n) && sameThing(other, n)));
}

/** Folds one step into the state; returns a one-step note (a refusal) that is not kept. */
function apply(state: SegmentState, action: ParsedAction, step: AnnotatableStep): string | undefined {
  if (action.ambiguous) return `"${action.text}" was ambiguous: the engine asked which object was meant.`;
  if (action.failed) return failureNote(state, action);
  switch (action.kind) {
    case 'openDoor':
      state.facts.set('door', `The door to the ${action.target} is open.`);
      break;
    case 'closeDoor':
      state.closedDoors = unique([...state.closedDoors, action.target ?? 'room']);
      state.facts.set('closed doors', `Closed the door${state.closedDoors.length > 1 ? 's' : ''} to ${joinNames(state.closedDoors.map(the))}.`);
      break;
    case 'go':
      state.facts.delete('door');
      state.facts.delete('look');
      state.route.push(action.target ?? roomOf(step.look) ?? 'somewhere');
      break;
    case 'look':
      noteLook(state, step.look ?? step.observation);
      break;
    case 'open':
    case 'lookIn':
      noteOpened(state, action.object ?? 'container', step.look);
      break;
    case 'close':
      state.facts.set(`open:${action.object}`, `Closed ${the(action.object ?? 'container')}.`);
      break;
    case 'examine':
      noteExamined(state, action);
      break;
    case 'inventory':
      noteHeld(state, step.inventory ?? step.observation);
      break;
    default:
      pruneContext(state);
      applyChange(state, action, step);
  }
  const handled = action.kind === 'pickUp' || action.kind === 'drop';
  const changed = step.inventory !== undefined && sameItems(step.inventory, state.inventory) === false;
  if (step.inventory !== undefined && state.group.kind !== 'navigate' && (handled || changed)) noteHeld(state, step.inventory);
  if (step.inventory !== undefined) state.inventory = step.inventory;
  return undefined;
}

/**
 * Once the subtask acts, what it looked at to prepare is stale: the look and examine notes go, and opened
 * containers too (a search keeps them in its checked list), except while waiting (an opened bee hive matters).
 */
function pruneContext(state: SegmentState): void {
  for (const key of [...state.facts.keys()]) {
    const opened = key === 'opened' || key.startsWith('open:');
    const stale = key === 'look' || key === 'door' || key.startsWith('examine:') || (opened && state.group.kind !== 'monitor');
    if (stale) state.facts.delete(key);
  }
}

/** Actions that change the world. */
function applyChange(state: SegmentState, action: ParsedAction, step: AnnotatableStep): void {
  switch (action.kind) {
    case 'pickUp':
      unplace(state, action.object ?? '');
      if (state.group.kind !== 'collect') break;
      state.picked = unique([...state.picked, action.object ?? 'it']);
      state.facts.set('picked', `Picked up ${joinNames(state.picked.map(the))}.`);
      break;
    case 'drop':
      state.dropped = unique([...state.dropped, action.object ?? 'it']);
      state.facts.set('dropped', `Put down ${joinNames(state.dropped.map(the))} in the ${action.target ?? roomOf(step.look) ?? 'room'}.`);
      break;
    case 'put':
      notePut(state, action, step);
      break;
    case 'pour':
      notePour(state, action, step);
      break;
    case 'mix':
      noteMixed(state, action);
      noteContents(state, state.group.key ?? action.object ?? '', step);
      break;
    case 'focus':
      state.facts.set('focus', `Focused on ${the(action.object ?? 'it')}${action.stage ? ` (${action.stage} stage)` : ''}.`);
      break;
    case 'connect':
      noteConnected(state, action, step);
      break;
    case 'disconnect':
      state.facts.set(`disconnect:${action.object}`, `Disconnected ${the(action.object ?? 'it')}.`);
      break;
    case 'activate':
    case 'deactivate':
      noteSwitched(state, action, step);
      break;
    case 'wait':
      noteWaited(state, action, step);
      break;
    case 'use':
      noteUsed(state, action);
      break;
    case 'read':
      state.facts.set(
        `read:${action.object}`,
        `${capitalize(the(action.object ?? 'note'))} says: ${clip(action.answer.replace(/^.*?reads:\s*/s, '').replace(/\s+/g, ' '), 220)}`,
      );
      break;
    default:
      state.facts.set(`other:${action.text}`, clip(`${capitalize(action.text)}: ${answerLine(action.answer)}`, 200));
  }
}

function failureNote(state: SegmentState, action: ParsedAction): string {
  const reason = answerLine(action.answer);
  if (/appears broken/.test(reason) && action.object) {
    state.facts.set(`status:${action.object}`, `${capitalize(the(action.object))} is broken: it cannot be turned on or off.`);
    return `"${action.text}" failed.`;
  }
  if (reason.includes(UNKNOWN_ACTION_MESSAGE) || !reason) return `The engine rejected "${action.text}" (${UNKNOWN_ACTION_MESSAGE})`;
  return `"${action.text}" failed: ${clip(reason, 120)}`;
}

function noteLook(state: SegmentState, look: string): void {
  const room = roomOf(look) ?? state.route.at(-1) ?? 'room';
  // While waiting (or choosing what to focus on), what the task watches replaces the plain look note.
  if (state.group.kind === 'monitor' || state.group.kind === 'focus') {
    const watched = noteWatched(state, look);
    if (watched && state.group.kind === 'monitor') return;
  }
  const seen = state.group.kind === 'navigate' ? [] : state.targets.filter((t) => mentions(look, t) && t !== room);
  const here = seen.length === 0 ? '' : `: ${joinNames(seen.map(the))} ${seen.length === 1 ? 'is' : 'are'} here`;
  state.facts.set('look', `Looked around the ${room}${here}.`);
  if (state.group.kind === 'circuit') noteBulbs(state, look);
}

function noteOpened(state: SegmentState, container: string, look: string | undefined): void {
  if (SEARCHING.has(state.group.kind)) state.checked = unique([...state.checked, container]);
  const inside = look?.match(new RegExp(`In the ${escapeRegExp(container)} is: (.*?)(?:\\.\\s*\\n|\\n|$)`))?.[1];
  const wanted = inside ? state.targets.filter((t) => mentions(inside, t)) : [];
  const contents =
    wanted.length > 0
      ? `: ${joinNames(wanted.map(the))} ${wanted.length === 1 ? 'is' : 'are'} inside`
      : inside
        ? `: it holds ${clip(simplifySubstances(inside), 100)}`
        : ' now';
  // While searching, the checked list keeps every container opened; the sentence is about the latest one.
  const key = SEARCHING.has(state.group.kind) ? 'opened' : `open:${container}`;
  state.facts.set(key, `${capitalize(the(container))} is open${contents}.`);
}

function noteExamined(state: SegmentState, action: ParsedAction): void {
  const line = answerLine(action.answer);
  if (state.group.kind === 'monitor' && action.object && !/\s(?:in|on)\s/.test(action.object) && line.length < 80) {
    state.firstSubstance ??= action.object;
    state.substance = action.object;
    const changed = state.firstSubstance !== action.object;
    state.facts.set('state', changed ? `The ${state.firstSubstance} has turned into ${action.object}.` : `The substance is ${action.object}.`);
    return;
  }
  state.facts.set(`examine:${action.object}`, clip(`Examined ${the(action.object ?? 'it')}: ${simplifySubstances(line)}.`, 200));
}

/** Inventory texts that list the same things (a thermometer's changing reading does not count). */
function sameItems(a: string, b: string): boolean {
  return inventoryItems(a).join('|') === inventoryItems(b).join('|');
}

function noteHeld(state: SegmentState, inventory: string): void {
  const items = inventoryItems(inventory);
  state.facts.set('held', items.length === 0 ? 'Holding nothing.' : `Holding: ${clip(simplifySubstances(items.join(', ')), 200)}.`);
}

function notePut(state: SegmentState, action: ParsedAction, step: AnnotatableStep): void {
  const object = action.object ?? 'it';
  const target = action.target ?? 'place';
  if (state.group.kind === 'plant' && /\bseed$/.test(object)) return notePlanted(state, object, target);
  const where = `${/\b(?:table|counter|stove|chair|desk|shelf)$/.test(target) ? 'on' : 'in'} ${the(target)}`;
  unplace(state, object);
  state.placed.set(object, { where });
  renderPlaced(state, where);
  const described = noteContents(state, object, step);
  if (!described && !/\bbox$/.test(target)) noteContents(state, target, step, { fromInventory: false });
}

/** Planting keeps one sentence: which seeds went into which pots. */
function notePlanted(state: SegmentState, seed: string, pot: string): void {
  state.planted.push(pot);
  const seeds = state.planted.length > 1 ? `${seed}s` : seed;
  state.facts.set(
    'planted',
    `Planted ${the(seeds).replace(/^the /, state.planted.length > 1 ? '' : 'the ')} in ${joinNames(unique(state.planted))}.`,
  );
}

function notePour(state: SegmentState, action: ParsedAction, step: AnnotatableStep): void {
  if (state.group.kind === 'water' && isFlowerPot(action.target)) {
    state.watered = unique([...state.watered, action.target!]);
    state.facts.set('watered', `Watered ${joinNames(state.watered)}.`);
    return;
  }
  const what = action.substance ?? `the contents of ${the(action.object ?? 'container')}`;
  const target = action.target ?? 'container';
  const poured = unique([...(state.poured.get(target) ?? []), what]);
  state.poured.set(target, poured);
  state.facts.set(`poured:${target}`, clip(`Poured ${joinNames(poured)} into ${the(target)}.`, 220));
  noteContents(state, target, step);
}

/**
 * What a container holds now, from the look text or (unless told otherwise, since "Holding" already shows it) the
 * inventory. False when neither text says.
 */
function noteContents(state: SegmentState, container: string, step: AnnotatableStep, options = { fromInventory: true }): boolean {
  const contents = contentsOf(step.look, container) ?? (options.fromInventory ? contentsOf(step.inventory, container) : undefined);
  if (contents === undefined) return false;
  const placed = state.placed.get(container);
  if (placed) {
    placed.contents = contents;
    renderPlaced(state, placed.where);
  } else state.facts.set(`contents:${container}`, clip(`${capitalize(the(container))} contains ${contents}.`, 200));
  return true;
}

/** One sentence per place: "The metal pot is in the sink, containing water." / "The peanut and the almond are in the tin cup." */
function renderPlaced(state: SegmentState, where: string): void {
  const here = [...state.placed].filter(([, p]) => p.where === where);
  if (here.length === 0) return void state.facts.delete(`at:${where}`);
  const [only, about] = here[0]!;
  const text =
    here.length === 1
      ? `${capitalize(the(only))} is ${where}${about.contents ? `, containing ${about.contents}` : ''}.`
      : `${capitalize(joinNames(here.map(([object]) => the(object))))} are ${where}.`;
  state.facts.set(`at:${where}`, clip(text, 220));
}

/** A thing picked up again is no longer where the subtask put it. */
function unplace(state: SegmentState, object: string): void {
  const placed = state.placed.get(object);
  if (!placed) return;
  state.placed.delete(object);
  renderPlaced(state, placed.where);
}

function noteMixed(state: SegmentState, action: ParsedAction): void {
  const made = action.answer.match(/^(.+?) mix(?:es)? to produce (.+?)\.?$/i);
  const container = the(state.group.key ?? action.object ?? 'container');
  const text = made ? `Mixed ${made[1]!.toLowerCase()} in ${container}: it made ${made[2]}.` : `Mixed ${container}: ${answerLine(action.answer)}`;
  state.facts.set('mixed', text);
}

function noteConnected(state: SegmentState, action: ParsedAction, step: AnnotatableStep): void {
  const link = action.answer.match(/^(.+?) is now connected to (.+?)\.?$/);
  const describe = (end: string): string => end.replace(/^(\S+|terminal \d+) on (.+)$/, '$2 $1').replace(/terminal (\d+)/, 'T$1');
  state.connections.push(link ? `${describe(link[1]!)} to ${describe(link[2]!)}` : action.text.replace(/^connect /i, ''));
  state.facts.set('wires', clip(`Connected: ${state.connections.join('; ')}.`, 380));
  noteBulbs(state, step.look);
}

/** The on/off state of the light bulbs and other parts (by default the subtask's own); true when one was seen. */
function noteBulbs(state: SegmentState, look: string | undefined, parts: readonly string[] = state.targets): boolean {
  let seen = false;
  for (const part of parts) {
    const phrase = describeInLook(look, part);
    const status = phrase?.match(/, which is (on|off|activated|deactivated)/)?.[1];
    if (status) state.facts.set(`status:${part}`, `${capitalize(the(part))} is ${status}.`);
    seen ||= !!status;
  }
  return seen;
}

function noteSwitched(state: SegmentState, action: ParsedAction, step: AnnotatableStep): void {
  const device = action.object ?? 'device';
  state.facts.set(`status:${device}`, `${capitalize(the(device))} is ${action.kind === 'activate' ? 'on' : 'off'}.`);
  for (const [container, placed] of state.placed) if (placed.where.endsWith(the(device))) noteContents(state, container, step);
  if (state.group.kind === 'circuit') noteBulbs(state, step.look);
}

function noteWaited(state: SegmentState, action: ParsedAction, step: AnnotatableStep): void {
  state.waited += action.ticks ?? 1;
  state.facts.set('waited', `Waited ${state.waited} time step${state.waited === 1 ? '' : 's'}.`);
  noteWatched(state, step.look);
}

/** While waiting: what the task cares about that the look text shows (plants' stages, animals, bulbs). */
function noteWatched(state: SegmentState, look: string | undefined): boolean {
  if (!look) return false;
  let noted = noteBulbs(state, look);
  if (state.task.startsWith('grow') || state.task === 'identify-life-stages-2') {
    const pots = plantStages(look);
    if (pots.length > 0) state.facts.set('plants', clip(`Plants: ${pots.join('; ')}.`, 300));
    noted ||= pots.length > 0;
  } else if (state.task === 'identify-life-stages-1' && state.organism) {
    const organism = state.organism;
    const seen = look
      .split('\n')
      .map((l) => l.trim().replace(/^(?:a|an|the) /, ''))
      .filter((l) => l.includes(organism));
    if (seen.length > 0) state.facts.set('animals', clip(`Seen: ${seen.join(', ')}.`, 200));
    noted ||= seen.length > 0;
  }
  return noted;
}

/** "flower pot 1: apple tree (seedling, with a flower)" for every pot with a plant or seed in it. */
function plantStages(look: string): string[] {
  const out: string[] = [];
  const pattern =
    /(?:self watering )?(flower pot \d+) \(containing (?:a |an )?([a-z ]+?)(?: in the ([a-z]+) stage)?(?:\. On the [a-z ]+ you see: ([^.]*)\.)?\s*[,)]/g;
  for (const [, pot, plant, stage, bears] of look.matchAll(pattern)) {
    if (!plant || /^(?:soil|substance called .*|nothing)$/.test(plant)) continue;
    const details = [stage, bears ? `with ${bears.trim()}` : undefined].filter((d) => !!d);
    out.push(`${pot}: ${plant}${details.length > 0 ? ` (${details.join(', ')})` : ''}`);
  }
  return out;
}

function noteUsed(state: SegmentState, action: ParsedAction): void {
  const reading = temperatureOf(action.answer);
  if (reading === undefined) {
    state.facts.set(
      `use:${action.object}`,
      clip(`Used ${the(action.object ?? 'it')}${action.target ? ` on ${the(action.target)}` : ''}: ${answerLine(action.answer)}`, 200),
    );
    return;
  }
  state.readings.push(reading);
  const target = action.target && !/^substance\b/.test(action.target) ? action.target : state.substance;
  const subject = target ? `the ${target}` : 'the substance';
  const shown = state.readings.slice(-MAX_READINGS);
  const older = state.readings.length > shown.length ? '… → ' : '';
  const compared = state.threshold === undefined ? '' : ` (${comparison(reading, Number(state.threshold))} ${state.threshold} °C)`;
  state.facts.set('readings', `Temperature of ${subject}: ${older}${shown.join(' → ')} °C${compared}.`);
}

function comparison(value: number, threshold: number): string {
  if (value > threshold) return 'above';
  return value < threshold ? 'below' : 'equal to';
}

function render(state: SegmentState, note: string | undefined, action: ParsedAction): string {
  const route = state.group.kind === 'navigate' ? [routeText(state)] : [];
  const facts = [...state.facts.values(), ...(note ? [note] : [])];
  const checked = state.checked.length > 0 ? ` || [Checked: ${state.checked.join(', ')}]` : '';
  if (route.length + facts.length === 0) return clip(`Did "${action.text}": ${answerLine(action.answer)}`, 200) + checked;
  return fit(route, facts, checked);
}

function routeText(state: SegmentState): string {
  const route = `Route: ${state.route.join(' → ')}.`;
  return state.route.length > 1 ? `${route} Now in the ${state.route.at(-1)}.` : route;
}

/** Drops the oldest facts (never the route, nor the newest sentence) until the text fits, then clips. */
function fit(route: string[], facts: string[], suffix: string): string {
  let kept = facts;
  const joined = (): string => [...route, ...kept].join(' ') + suffix;
  while (joined().length > MAX_PROGRESS_CHARS && kept.length > 1) kept = kept.slice(1);
  return clip(joined(), MAX_PROGRESS_CHARS);
}

/** `{ key: value }` when the value is there, `{}` otherwise (exactOptionalPropertyTypes-friendly spreading). */
function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
