/**
 * What one ScienceWorld action did. Object names come from the engine's answer where it gives them (it names the
 * object it actually used: "focus on dove" → "You focus on the dove egg."), else from the action's own words.
 */
import { UNKNOWN_ACTION_MESSAGE, firstLine, withoutArticle } from './scienceworld-text';

export type ActionKind =
  | 'openDoor'
  | 'closeDoor'
  | 'go'
  | 'look'
  | 'lookIn'
  | 'examine'
  | 'inventory'
  | 'open'
  | 'close'
  | 'pickUp'
  | 'drop'
  | 'put'
  | 'pour'
  | 'mix'
  | 'focus'
  | 'connect'
  | 'disconnect'
  | 'activate'
  | 'deactivate'
  | 'wait'
  | 'use'
  | 'read'
  | 'other';

export interface ParsedAction {
  kind: ActionKind;
  /** The action text as given (for a numbered choice: the ambiguous action it answers). */
  text: string;
  /** First word of the action, for actions without a dedicated kind ("eat", "flush"). */
  verb: string;
  /** The thing acted on, as the world names it. */
  object?: string;
  /** The second argument (destination, room, thing a tool is used on). */
  target?: string;
  /** The engine's answer, side notes such as "(disconnecting ...)" removed. */
  answer: string;
  /** The engine refused or did not understand the action, or asked which object was meant. */
  failed: boolean;
  /** The engine asked to choose between objects; the next step is the number chosen. */
  ambiguous: boolean;
  /** Time steps a wait covered. */
  ticks?: number;
  /** For a focus on a living thing: "adult" from "apple tree in the adult stage". */
  stage?: string;
  /** For a pour from a cup of something: what was in it ("blue paint"). */
  substance?: string;
}

const ROOMS = ['art studio', 'bathroom', 'bedroom', 'foundry', 'greenhouse', 'hallway', 'kitchen', 'living room', 'outside', 'workshop'];

const REFUSALS = [
  /^Ambiguous request/,
  /^You can't/,
  /^You cannot/,
  /^That (?:can't|is not|isn't)/,
  /^It's not clear/,
  /^Unknown action/,
  /^The .+ is not (?:open|moveable|something)/,
  /^No known action/,
  /appears broken/,
  /^There is nothing/,
  /^You don't/,
];

/** True when the engine refused the action, even though it did not flag it as an unknown command. */
export function isRefusal(observation: string): boolean {
  const text = stripPrefixNotes(observation);
  return text.includes(UNKNOWN_ACTION_MESSAGE) || REFUSALS.some((pattern) => pattern.test(text));
}

/** A numbered answer to the engine's "Ambiguous request" question. */
export function isChoice(action: string): boolean {
  return /^\s*\d+\s*$/.test(action);
}

/** Drops the engine's parenthesised side notes at the start: "(disconnecting aluminum foil)You move ...". */
function stripPrefixNotes(observation: string): string {
  return observation.replace(/^(?:\([^)]*\)\s*)+/, '').trim();
}

/** The action's words with location qualifiers removed: "thermometer in inventory" → "thermometer". */
export function cleanArgument(argument: string): string {
  let text = argument.trim();
  for (;;) {
    const next = text
      .replace(/\s+in (?:the )?(?:inventory|agent)$/i, '')
      .replace(new RegExp(`\\s+(?:in|on) (?:the )?(?:${ROOMS.join('|')})$`, 'i'), '');
    if (next === text) break;
    text = next;
  }
  return withoutArticle(text.replace(/\s+containing .*$/i, ''));
}

type Parser = (match: RegExpMatchArray, answer: string) => Omit<ParsedAction, 'text' | 'answer' | 'failed' | 'ambiguous' | 'verb'>;

const PARSERS: [RegExp, Parser][] = [
  [/^open door to (.+)$/, (m) => ({ kind: 'openDoor', target: cleanRoom(m[1]!) })],
  [/^close door to (.+)$/, (m) => ({ kind: 'closeDoor', target: cleanRoom(m[1]!) })],
  [/^(?:go|teleport) to (.+)$/, (m, a) => ({ kind: 'go', target: a.match(/^You move to the (.+?)\.?$/)?.[1] ?? cleanRoom(m[1]!) })],
  [/^look around$/, () => ({ kind: 'look' })],
  [/^look in (.+)$/, (m) => ({ kind: 'lookIn', object: cleanArgument(m[1]!) })],
  [/^(?:look at|examine) (.+)$/, (m, a) => ({ kind: 'examine', object: examinedName(a) ?? cleanArgument(m[1]!) })],
  [/^inventory$/, () => ({ kind: 'inventory' })],
  [/^open (.+)$/, (m, a) => ({ kind: 'open', object: a.match(/^The (.+?) is (?:now|already) open/)?.[1] ?? cleanArgument(m[1]!) })],
  [/^close (.+)$/, (m, a) => ({ kind: 'close', object: a.match(/^The (.+?) is (?:now|already) closed/)?.[1] ?? cleanArgument(m[1]!) })],
  [/^pick up (.+)$/, (m, a) => ({ kind: 'pickUp', object: movedObject(a) ?? cleanArgument(m[1]!) })],
  [/^(?:drop|put down) (.+)$/, (m, a) => ({ kind: 'drop', object: movedObject(a) ?? cleanArgument(m[1]!), ...movedTarget(a) })],
  [/^(?:move|put) (.+) (?:to|in|into|on) (.+?)$/, parseMove],
  [/^(?:pour|dunk) (.+) (?:into|in) (.+?)$/, parsePour],
  [/^mix (.+)$/, (m) => ({ kind: 'mix', object: cleanArgument(m[1]!) })],
  [/^focus on (.+)$/, parseFocus],
  [/^connect (.+) to (.+)$/, parseConnect],
  [/^disconnect (.+)$/, (m) => ({ kind: 'disconnect', object: cleanArgument(m[1]!) })],
  [/^activate (.+)$/, (m, a) => ({ kind: 'activate', object: a.match(/^The (.+?) is (?:now|already) activated/)?.[1] ?? cleanArgument(m[1]!) })],
  [
    /^deactivate (.+)$/,
    (m, a) => ({ kind: 'deactivate', object: a.match(/^The (.+?) is (?:now|already) deactivated/)?.[1] ?? cleanArgument(m[1]!) }),
  ],
  [/^wait\s*(\d*)$/, parseWait],
  [/^use (.+?) on (.+)$/, (m) => ({ kind: 'use', object: cleanArgument(m[1]!), target: cleanArgument(m[2]!) })],
  [/^use (.+)$/, (m) => ({ kind: 'use', object: cleanArgument(m[1]!) })],
  [/^read (.+)$/, (m) => ({ kind: 'read', object: cleanArgument(m[1]!) })],
];

/**
 * Parses `action` given the engine's `observation`. For a numbered choice pass the ambiguous action it answers as
 * `action` and the choice's observation: the pair then reads like the action done unambiguously.
 */
export function parseAction(action: string, observation: string, invalid = false): ParsedAction {
  const text = action.trim().replace(/\s+/g, ' ');
  const answer = stripPrefixNotes(observation);
  const ambiguous = /^Ambiguous request/.test(answer);
  const failed = invalid || isRefusal(observation);
  const verb = text.split(' ')[0]?.toLowerCase() ?? '';
  for (const [pattern, parse] of PARSERS) {
    const match = text.match(new RegExp(pattern.source, 'i'));
    if (match) return { ...parse(match, answer), text, answer, verb, failed, ambiguous };
  }
  const object = cleanArgument(text.slice(verb.length));
  return { kind: 'other', text, answer, verb, ...(object ? { object } : {}), failed, ambiguous };
}

function cleanRoom(text: string): string {
  return withoutArticle(text.trim().toLowerCase());
}

/** "You move the X to the Y." → X. */
function movedObject(answer: string): string | undefined {
  return answer.match(/^You move the (.+?) to (?:the )?.+?\.?$/)?.[1];
}

function movedTarget(answer: string): { target?: string } {
  const target = answer.match(/^You move the .+? to (?:the )?(.+?)\.?$/)?.[1];
  return target ? { target } : {};
}

/** "a substance called water" → "water"; "a tin cup (containing ...)" → "tin cup"; long descriptions → undefined. */
function examinedName(answer: string): string | undefined {
  const line = firstLine(answer);
  if (!line || line.length > 80 || answer.includes('\n')) return undefined;
  return (
    withoutArticle(
      line
        .replace(/^a substance called /i, '')
        .replace(/\s*\(.*$/, '')
        .replace(/[.]$/, ''),
    ) || undefined
  );
}

function parseMove(match: RegExpMatchArray, answer: string): ReturnType<Parser> {
  const moved = answer.match(/^You move the (.+?) to (?:the )?(.+?)\.?$/);
  if (moved) return { kind: 'put', object: moved[1]!, target: moved[2]! };
  const [object, target] = splitLast(`${match[1]} to ${match[2]}`, ' to ') ?? [match[1]!, match[2]!];
  return { kind: 'put', object: cleanArgument(object), target: cleanArgument(target) };
}

function parsePour(match: RegExpMatchArray, answer: string): ReturnType<Parser> {
  const substance = match[1]!.match(/containing (.+?)(?: in (?:the )?[a-z ]+)?$/)?.[1];
  const poured = answer.match(/^You pour the contents of the (.+?) into the (.+?)\.?$/);
  const base = poured ? { object: poured[1]!, target: poured[2]! } : { object: cleanArgument(match[1]!), target: cleanArgument(match[2]!) };
  return { kind: 'pour', ...base, ...(substance ? { substance: cleanArgument(substance) } : {}) };
}

function parseFocus(match: RegExpMatchArray, answer: string): ReturnType<Parser> {
  const staged = match[1]!.match(/^(.+?) in the ([a-z]+) stage/i);
  const stage = staged && !/\sin\s/.test(staged[1]!) ? staged[2] : undefined;
  const object = answer.match(/^You focus on the (.+?)\.?$/)?.[1] ?? cleanArgument(match[1]!);
  return { kind: 'focus', object, ...(stage ? { stage } : {}) };
}

/** "anode on battery is now connected to terminal 1 on black wire" gives the two parts joined. */
function parseConnect(match: RegExpMatchArray, answer: string): ReturnType<Parser> {
  const joined = answer.match(/^(?:\S+|terminal \d+) on (.+?) is now connected to (?:\S+|terminal \d+) on (.+?)\.?$/);
  if (joined) return { kind: 'connect', object: joined[1]!, target: joined[2]! };
  return { kind: 'connect', object: componentOf(match[1]!), target: componentOf(match[2]!) };
}

/** "battery anode" / "black wire terminal 2" / "cathode in red light bulb" → the component's name. */
function componentOf(terminal: string): string {
  return cleanArgument(terminal.replace(/^(?:anode|cathode|terminal \d+) (?:in|on) /, '').replace(/ (?:anode|cathode|terminal \d+)$/, ''));
}

function parseWait(match: RegExpMatchArray, answer: string): ReturnType<Parser> {
  const told = answer.match(/wait for (\d+) iteration/)?.[1];
  const ticks = Number(told ?? (match[1] || 10));
  return { kind: 'wait', ticks };
}

function splitLast(text: string, separator: string): [string, string] | undefined {
  const at = text.lastIndexOf(separator);
  return at < 0 ? undefined : [text.slice(0, at), text.slice(at + separator.length)];
}

/** A one-line quote of the engine's answer, for progress texts. */
export function answerLine(observation: string): string {
  return firstLine(stripPrefixNotes(observation));
}
