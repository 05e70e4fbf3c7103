/**
 * Reading ScienceWorld's texts: the free `look around` and `inventory` texts, and the engine's fixed answer
 * sentences, which name objects the way the world does ("You move the metal pot to the sink.").
 */

/** The engine's answer when it did not understand the command at all. */
export const UNKNOWN_ACTION_MESSAGE = 'No known action matches that input.';

const ROOM_PATTERN = /This (?:room|outside location) is called the ([^.]+)\./;

/** The room a `look around` text describes. */
export function roomOf(look: string | undefined): string | undefined {
  return look?.match(ROOM_PATTERN)?.[1]?.trim();
}

/** The tab-indented entries of an inventory text, articles kept, thermometer readings dropped. */
export function inventoryItems(inventory: string | undefined): string[] {
  if (!inventory) return [];
  return inventory
    .split('\n')
    .slice(1)
    .map((line) => lowerArticle(withoutWiring(line.trim().replace(/, currently reading .*$/, ''))))
    .filter((line) => line.length > 0);
}

export function withoutArticle(phrase: string): string {
  return phrase.replace(/^(?:a|an|the)\s+/i, '').trim();
}

/** Drops an electrical part's terminal listing: "a black wireits terminal 1 is connected to: nothing. ..." → "a black wire". */
function withoutWiring(entry: string): string {
  return entry.replace(/\.?\s*its (?:anode|cathode|terminal \d+) is connected to: .*$/, '').replace(/\.$/, '');
}

/** Joins names as a person would: "a", "a and b", "a, b and c". */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** "the X", except for names that already have an article and numbered ones ("flower pot 3"). */
export function the(name: string): string {
  return /^(?:the|a|an)\s/i.test(name) || /\d$/.test(name) ? name : `the ${name}`;
}

/** Removes duplicates while keeping the first occurrence's order. */
export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/**
 * The phrase the look text uses for an object, with its state: "a metal pot (containing a substance called water)",
 * "a stove, which is turned on", "a red light bulb, which is off". Undefined when the object is not in view.
 */
export function describeInLook(look: string | undefined, name: string): string | undefined {
  if (!look || !name) return undefined;
  const at = findWord(look, name);
  if (at < 0) return undefined;
  let end = at + name.length;
  if (look[end] === ' ' && look[end + 1] === '(') end = closingParen(look, end + 1) + 1;
  const which = look.slice(end).match(/^, which is [a-z ]+/);
  if (which) end += which[0].length;
  const door = look.slice(end).match(/^\. The [a-z ]+ door is (?:open|closed)/);
  if (door) end += door[0].length;
  return look.slice(at, end).trim();
}

/** Index of `name` as whole words, -1 when absent. */
export function findWord(text: string, name: string): number {
  const pattern = new RegExp(`(?<![a-z])${escapeRegExp(name)}(?![a-z])`, 'i');
  return text.search(pattern);
}

export function mentions(text: string | undefined, name: string): boolean {
  return !!text && !!name && findWord(text, name) >= 0;
}

function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return text.length - 1;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The contents a look or inventory text gives for a container: "a substance called water" etc., or undefined. */
export function contentsOf(text: string | undefined, container: string): string | undefined {
  const phrase = describeInLook(text, container);
  const inside = phrase?.match(/\(containing (.*)\)$/s)?.[1];
  return inside === undefined ? undefined : simplifySubstances(inside);
}

/** "a substance called water, soil" → "water, soil"; "a apple seed, a apple seed" → "a apple seed (×2)". */
export function simplifySubstances(text: string): string {
  const plain = text
    .replace(/\ba substance called /g, '')
    .replace(/\. On the [a-z ]+ you see: ([^.]*)\. ,/g, ' bearing $1,')
    .replace(/\s+/g, ' ')
    .trim();
  const inner = plain.replace(/\(containing ([^()]*)\)/g, (_, list: string) => `(containing ${collapseRepeats(list)})`);
  return collapseRepeats(lowerArticle(inner));
}

/** Splits a list at the commas outside parentheses. */
export function splitList(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      items.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(text.slice(start).trim());
  return items.filter((item) => item.length > 0);
}

/** Runs of the same item read as one with a count. */
function collapseRepeats(list: string): string {
  const out: string[] = [];
  let previous = '';
  let count = 0;
  const flush = (): void => {
    if (count > 0) out.push(count > 1 ? `${previous} (×${count})` : previous);
  };
  for (const item of splitList(list)) {
    if (item === previous) count++;
    else {
      flush();
      previous = item;
      count = 1;
    }
  }
  flush();
  return out.join(', ');
}

/** The engine writes "A aluminum foil" for some objects; lists read better with "a". */
function lowerArticle(text: string): string {
  return text.replace(/(^|, |\()A (?=[a-z])/g, '$1a ');
}

/** The temperature a thermometer reading reports, e.g. 13 from "...a temperature of 13 degrees celsius". */
export function temperatureOf(observation: string): number | undefined {
  const match = observation.match(/temperature of (-?\d+(?:\.\d+)?) degrees/);
  return match ? Number(match[1]) : undefined;
}

/** Shortens a text to `max` characters at a word boundary, marking the cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, '')}…`;
}

/** The first line of an observation, whitespace collapsed: enough to quote a short answer. */
export function firstLine(observation: string): string {
  return (observation.split('\n')[0] ?? '').replace(/\s+/g, ' ').trim();
}

/** identify-life-stages: "the turtle" from "Your task is to focus on the 4 life stages of the turtle, ...". */
export function organismOf(description: string): string | undefined {
  return description.match(/life stages of the ([a-z -]+?)(?:,|\.| starting)/i)?.[1];
}
