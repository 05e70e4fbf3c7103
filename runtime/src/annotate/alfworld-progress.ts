/**
 * Local progress for ALFWorld subtasks: a memory of what the agent saw and did inside the current subtask, rewritten
 * after every step. Only facts from the subtask's own steps (and its name) appear, so the progress module could
 * write the same text from (subtask, previous progress, action, observation).
 */
import { type AlfworldEvent, type TransformVerb, typeOf } from './alfworld-events';
import type { PlannedSegment } from './alfworld-phases';
import { MAX_PROGRESS_CHARS } from './types';

interface SegmentMemory {
  /** Where the agent stands, and whether that receptacle is closed (null: not known). */
  at: string | null;
  atClosed: boolean | null;
  /** What the agent saw at its current place. */
  atContents: string[];
  route: string[];
  /** Places whose contents the agent saw, in order; true when it had to open them. */
  checked: Map<string, boolean>;
  /** Instances of the subtask's object seen (and not taken), with where. */
  seen: Map<string, string>;
  held: string | null;
  heldFrom: string | null;
  /** The sentence for the subtask's accomplishment once it happened. */
  accomplished: string | null;
  /** The latest thing worth saying in an interaction subtask. */
  lastFact: string | null;
}

function emptyMemory(): SegmentMemory {
  return {
    at: null,
    atClosed: null,
    atContents: [],
    route: [],
    checked: new Map(),
    seen: new Map(),
    held: null,
    heldFrom: null,
    accomplished: null,
    lastFact: null,
  };
}

const TRANSFORM_PAST: Record<TransformVerb, { past: string; state: string }> = {
  clean: { past: 'Cleaned', state: 'clean' },
  heat: { past: 'Heated', state: 'hot' },
  cool: { past: 'Cooled', state: 'cool' },
};

/** Joins names as a person would: "a", "a and b", "a, b and c". */
function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function contentsPhrase(contents: readonly string[]): string {
  return contents.length === 0 ? 'it is empty' : `it holds ${joinNames(contents)}`;
}

function noteContents(memory: SegmentMemory, segment: PlannedSegment, place: string, contents: readonly string[], opened: boolean): void {
  memory.checked.set(place, opened || (memory.checked.get(place) ?? false));
  for (const [object, where] of memory.seen) if (where === place && !contents.includes(object)) memory.seen.delete(object);
  for (const object of contents) if (segment.noted.includes(typeOf(object)) && object !== memory.held) memory.seen.set(object, place);
  if (memory.at === place) memory.atContents = [...contents];
}

function arrive(memory: SegmentMemory, place: string): void {
  memory.at = place;
  memory.atClosed = null;
  memory.atContents = [];
  memory.route.push(place);
}

/** Folds one step into the memory. */
function remember(memory: SegmentMemory, event: AlfworldEvent, segment: PlannedSegment): void {
  switch (event.kind) {
    case 'arrive':
      arrive(memory, event.place);
      if (event.view?.closed) memory.atClosed = true;
      else if (event.view) noteContents(memory, segment, event.place, event.view.contents, false);
      memory.lastFact = event.view?.closed
        ? `At the ${event.place}; it is closed.`
        : `At the ${event.place}${event.view ? `; ${contentsPhrase(event.view.contents)}` : ''}.`;
      return;
    case 'open':
      if (memory.at === null) arrive(memory, event.place);
      if (memory.at === event.place) memory.atClosed = false;
      noteContents(memory, segment, event.place, event.contents, true);
      memory.lastFact = `Opened the ${event.place}; ${contentsPhrase(event.contents)}.`;
      return;
    case 'close':
      if (memory.at === event.place) memory.atClosed = true;
      memory.lastFact = `Closed the ${event.place}.`;
      return;
    case 'examine':
      if (event.view && !event.view.closed) noteContents(memory, segment, event.place, event.view.contents, false);
      return;
    case 'take':
      memory.held = event.object;
      memory.heldFrom = event.place;
      memory.seen.delete(event.object);
      memory.lastFact = `Took the ${event.object} from the ${event.place}.`;
      return;
    case 'put': {
      if (memory.held === event.object) memory.held = null;
      if (segment.noted.includes(typeOf(event.object))) memory.seen.set(event.object, event.place);
      const sentence = `Put the ${event.object} in/on the ${event.place}.`;
      if (segment.kind === 'put' && typeOf(event.object) === segment.object && typeOf(event.place) === segment.target) memory.accomplished = sentence;
      else memory.lastFact = sentence;
      return;
    }
    case 'transform': {
      const { past, state } = TRANSFORM_PAST[event.verb];
      const sentence = `${past} the ${event.object} with the ${event.appliance}; it is ${state} now.`;
      if (segment.kind === 'transform') memory.accomplished = sentence;
      else memory.lastFact = sentence;
      return;
    }
    case 'toggle': {
      const sentence = `Turned on the ${event.device}${memory.held ? ` while holding the ${memory.held}` : ''}.`;
      if (segment.kind === 'toggle') memory.accomplished = sentence;
      else memory.lastFact = sentence;
      return;
    }
    case 'inventory':
      memory.held = event.carrying[0] ?? null;
      memory.lastFact = memory.held ? `Holding the ${memory.held}.` : 'Holding nothing.';
      return;
    case 'look':
    case 'nothing':
      return;
  }
}

function checkedEntries(memory: SegmentMemory): string[] {
  return [...memory.checked].map(([place, opened]) => (opened ? `${place} (opened)` : place));
}

/** "cabinet 1, cabinet 2, cabinet 4, drawer 1" → "cabinet 1-2, 4; drawer 1": for lists too long to spell out. */
function compactPlaces(places: readonly string[]): string {
  const numbersByType = new Map<string, number[]>();
  for (const place of places) {
    const number = Number(place.match(/\s(\d+)$/)?.[1] ?? NaN);
    const numbers = numbersByType.get(typeOf(place)) ?? [];
    if (!Number.isNaN(number)) numbers.push(number);
    numbersByType.set(typeOf(place), numbers);
  }
  return [...numbersByType].map(([type, numbers]) => (numbers.length === 0 ? type : `${type} ${numberRanges(numbers)}`)).join('; ');
}

function numberRanges(numbers: readonly number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return ranges.join(', ');
}

/** Past this length a search text lists its checked places by type with number ranges (about 100 tokens). */
const SPELLED_OUT_CHECKED_LIST_CHARS = 400;

function withCheckedList(head: string, memory: SegmentMemory): string {
  const spelledOut = `${head} || [Checked: ${checkedEntries(memory).join(', ') || 'none yet'}]`;
  if (spelledOut.length <= SPELLED_OUT_CHECKED_LIST_CHARS) return spelledOut;
  return `${head} || [Checked: ${compactPlaces([...memory.checked.keys()])}]`;
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? 'an' : 'a';
}

function seenPhrase(memory: SegmentMemory): string {
  const byPlace = new Map<string, string[]>();
  for (const [object, place] of memory.seen) byPlace.set(place, [...(byPlace.get(place) ?? []), object]);
  return [...byPlace].map(([place, objects]) => `${joinNames(objects)} at the ${place}`).join('; ');
}

function renderSearch(segment: PlannedSegment, memory: SegmentMemory): string {
  const sentences: string[] = [];
  const holdsTarget = memory.held !== null && typeOf(memory.held) === segment.object;
  const seen = seenPhrase(memory);
  if (holdsTarget) {
    sentences.push(memory.heldFrom ? `Took the ${memory.held} from the ${memory.heldFrom}; now holding it.` : `Holding the ${memory.held}.`);
    if (seen) sentences.push(`Also seen: ${seen}.`);
  } else {
    sentences.push(`Looking for ${segment.ordinal === 'second' ? 'a second' : article(segment.object)} ${segment.object}.`);
    if (seen) sentences.push(`Seen: ${seen}.`);
    if (memory.held) sentences.push(`Holding the ${memory.held}.`);
    if (memory.at && memory.atClosed) sentences.push(`Now at the ${memory.at}, which is closed.`);
  }
  return withCheckedList(sentences.join(' '), memory);
}

function renderLocate(segment: PlannedSegment, memory: SegmentMemory): string {
  const found = seenPhrase(memory);
  const sentences = [found ? `Found the ${found}.` : `Looking for ${article(segment.object)} ${segment.object}.`];
  if (memory.held) sentences.push(`Holding the ${memory.held}.`);
  if (!found && memory.at && memory.atClosed) sentences.push(`Now at the ${memory.at}, which is closed.`);
  return withCheckedList(sentences.join(' '), memory);
}

/** A navigation target is reached at a place of that type, or (a lamp) where one stands. */
function reachedTarget(segment: PlannedSegment, memory: SegmentMemory): string | null {
  if (!memory.at) return null;
  if (typeOf(memory.at) === segment.target) return `Arrived at the ${memory.at}`;
  const device = memory.atContents.find((object) => typeOf(object) === segment.target);
  return device ? `Arrived at the ${memory.at}, where the ${device} is` : null;
}

function renderNavigation(segment: PlannedSegment, memory: SegmentMemory): string {
  const route = memory.route.length > 1 ? ` (route: ${memory.route.join(' -> ')})` : '';
  const arrived = reachedTarget(segment, memory);
  const sentences = [
    arrived
      ? `${arrived}${route}.`
      : memory.at
        ? `Heading to the ${segment.target}; now at the ${memory.at}${route}.`
        : `Heading to the ${segment.target}.`,
  ];
  if (memory.at && memory.atClosed !== null && typeOf(memory.at) === segment.target)
    sentences.push(memory.atClosed ? 'It is closed.' : 'It is open.');
  if (memory.held) sentences.push(`Holding the ${memory.held}.`);
  return sentences.join(' ');
}

function renderInteraction(segment: PlannedSegment, memory: SegmentMemory): string {
  return memory.accomplished ?? memory.lastFact ?? `About to ${segment.name}.`;
}

function bounded(text: string): string {
  return text.length <= MAX_PROGRESS_CHARS ? text : `${text.slice(0, MAX_PROGRESS_CHARS - 1)}…`;
}

function render(segment: PlannedSegment, memory: SegmentMemory): string {
  switch (segment.kind) {
    case 'search':
      return renderSearch(segment, memory);
    case 'locate':
      return renderLocate(segment, memory);
    case 'navigate':
      return renderNavigation(segment, memory);
    default:
      return renderInteraction(segment, memory);
  }
}

/** The local progress after each step of one subtask, starting from nothing known. */
export function progressOfSegment(segment: PlannedSegment, events: readonly AlfworldEvent[]): string[] {
  const memory = emptyMemory();
  const texts: string[] = [];
  for (let index = segment.firstStep; index <= segment.lastStep; index++) {
    const event = events[index];
    if (event) remember(memory, event, segment);
    texts.push(bounded(render(segment, memory)));
  }
  return texts;
}
