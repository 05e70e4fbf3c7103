/**
 * Reading ALFWorld's (TextWorld) commands and answers: every step becomes one event that says what changed in the
 * world or what the agent learned. The engine names things as "<type> <number>" ("apple 1", "countertop 2").
 */
import type { AnnotatableStep } from './types';

/** What the agent saw of a receptacle: closed (contents unknown) or its contents (open container or surface). */
export type ReceptacleView = { closed: true } | { closed: false; contents: string[] };

export type TransformVerb = 'clean' | 'heat' | 'cool';

export type AlfworldEvent =
  | { kind: 'arrive'; place: string; view: ReceptacleView | null }
  | { kind: 'open'; place: string; contents: string[] }
  | { kind: 'close'; place: string }
  | { kind: 'take'; object: string; place: string }
  | { kind: 'put'; object: string; place: string }
  | { kind: 'transform'; verb: TransformVerb; object: string; appliance: string }
  | { kind: 'toggle'; device: string }
  | { kind: 'examine'; place: string; view: ReceptacleView | null }
  | { kind: 'look'; facing: string[] }
  | { kind: 'inventory'; carrying: string[] }
  /** The engine refused the command ("Nothing happens.") or answered in a way that changes nothing we track. */
  | { kind: 'nothing' };

/** "apple 1" → "apple"; a name without a number is its own type. */
export function typeOf(name: string): string {
  return name.replace(/\s+\d+$/, '');
}

/** "a apple 1, a bread 3, and a cup 1" → ["apple 1", "bread 3", "cup 1"]; "nothing" → []. */
export function parseList(text: string): string[] {
  const trimmed = text.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed === 'nothing') return [];
  return trimmed
    .split(/,\s*(?:and\s+)?|\s+and\s+/)
    .map((item) => item.trim().replace(/^(?:a|an|the)\s+/, ''))
    .filter((item) => item.length > 0);
}

const ESCAPE = /[.*+?^${}()|[\]\\]/g;
function literal(text: string): string {
  return text.replace(ESCAPE, '\\$&');
}

/** The view of `place` in an answer: "On the X, you see ...", "The X is closed.", "The X is open. In it, you see ...". */
export function parseView(observation: string, place: string): ReceptacleView | null {
  const name = literal(place);
  if (new RegExp(`The ${name} is closed`).test(observation)) return { closed: true };
  const inside = observation.match(new RegExp(`(?:On|In) (?:the ${name}|it), you see ([^\\n]*?)\\.?\\s*$`, 'm'));
  if (inside) return { closed: false, contents: parseList(inside[1] ?? '') };
  return null;
}

const COMMANDS: { pattern: RegExp; read: (m: RegExpMatchArray, observation: string) => AlfworldEvent | null }[] = [
  {
    pattern: /^go to (.+)$/,
    read: (m, o) => (/^You arrive at /.test(o) ? { kind: 'arrive', place: m[1]!, view: parseView(o, m[1]!) } : null),
  },
  {
    pattern: /^open (.+)$/,
    read: (m, o) => {
      if (!o.startsWith(`You open the ${m[1]!}`)) return null;
      const view = parseView(o, m[1]!);
      return { kind: 'open', place: m[1]!, contents: view && !view.closed ? view.contents : [] };
    },
  },
  { pattern: /^close (.+)$/, read: (m, o) => (o.startsWith(`You close the ${m[1]!}`) ? { kind: 'close', place: m[1]! } : null) },
  {
    pattern: /^take (.+) from (.+)$/,
    read: (m, o) => (/^You pick up /.test(o) ? { kind: 'take', object: m[1]!, place: m[2]! } : null),
  },
  {
    pattern: /^(?:put|move) (.+) (?:in\/on|to) (.+)$/,
    read: (m, o) => (/^You (?:put|move) /.test(o) ? { kind: 'put', object: m[1]!, place: m[2]! } : null),
  },
  {
    pattern: /^(clean|heat|cool) (.+) with (.+)$/,
    read: (m, o) =>
      new RegExp(`^You ${m[1]!} `).test(o) ? { kind: 'transform', verb: m[1] as TransformVerb, object: m[2]!, appliance: m[3]! } : null,
  },
  { pattern: /^use (.+)$/, read: (m, o) => (/^You turn on /.test(o) ? { kind: 'toggle', device: m[1]! } : null) },
  { pattern: /^examine (.+)$/, read: (m, o) => ({ kind: 'examine', place: m[1]!, view: parseView(o, m[1]!) }) },
  {
    pattern: /^look$/,
    read: (_m, o) => ({ kind: 'look', facing: parseList(o.match(/You are facing (.*?)\. Next to it/)?.[1] ?? '') }),
  },
  {
    pattern: /^inventory$/,
    read: (_m, o) => ({ kind: 'inventory', carrying: parseList(o.match(/You are carrying:?\s*(.*)$/m)?.[1] ?? '') }),
  },
];

/** One step as an event; refused or unrecognised commands are `nothing`. */
export function readStep(step: Pick<AnnotatableStep, 'action' | 'observation' | 'invalid'>): AlfworldEvent {
  if (step.invalid) return { kind: 'nothing' };
  const action = step.action.trim();
  const observation = step.observation.trim();
  for (const command of COMMANDS) {
    const match = action.match(command.pattern);
    if (match) return command.read(match, observation) ?? { kind: 'nothing' };
  }
  return { kind: 'nothing' };
}

/** What the agent holds after each step (ALFWorld lets it hold one object at a time). */
export function heldAfterEachStep(events: readonly AlfworldEvent[]): (string | null)[] {
  let held: string | null = null;
  return events.map((event) => {
    if (event.kind === 'take') held = event.object;
    else if (event.kind === 'put' && event.object === held) held = null;
    else if (event.kind === 'inventory') held = event.carrying[0] ?? null;
    return held;
  });
}
