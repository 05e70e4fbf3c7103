/**
 * Which environment a conversation was played in, from what was played: the task turn, the commands and what the
 * environment answered. System prompts and instruction turns are not read: they are copied between datasets (one
 * widely shared ScienceWorld file opens with ALFWorld's household instruction), the episode itself is not.
 */
import type { EnvKind } from '../protocol/environment';

export interface ConversationEvidence {
  /** The conversation's id ("alfworld_12", ETO's ScienceWorld "<task number>_<variation>"), or its file's name. */
  id: string;
  /** The record names an ALFWorld game (ETO's `game_file`). */
  gameFile: boolean;
  /** The task turn, without the prompt before it. */
  task: string;
  actions: string[];
  observations: string[];
}

/** ALFWorld's receptacles and objects are numbered ("cabinet 3"); ScienceWorld's rooms and things are not. */
const ALFWORLD_ACTIONS: RegExp[] = [
  /^go to [a-z]+ \d+$/i,
  /^take .+ \d+ from [a-z]+ \d+$/i,
  /^(?:put|move) .+ \d+ (?:in\/on|in|on|to) [a-z]+ \d+$/i,
  /^(?:open|close|examine|use|toggle) [a-z]+ \d+$/i,
  /^(?:heat|cool|clean|slice) .+ \d+ with [a-z]+ \d+$/i,
  /^look$/i,
];

const SCIENCEWORLD_ACTIONS: RegExp[] = [
  /^(?:look around|wait\d*|task)$/i,
  /^(?:teleport to|focus on|pick up|look at|look in|read|pour|mix|activate|deactivate|connect|disconnect|dunk|flush|eat|plant|open door to|close door to) /i,
  /^go to (?:the )?(?:kitchen|bathroom|workshop|art studio|greenhouse|green house|outside|bedroom|living room|foundry|hallway)$/i,
];

const ALFWORLD_OBSERVATIONS: RegExp[] = [
  /^\s*Nothing happens\.?\s*$/,
  /^\s*You arrive at (?:loc \d+|[a-z]+ \d+)/i,
  /^\s*On the [a-z]+ \d+, you see/i,
  /^\s*You (?:pick up|put|open|close|heat|cool|clean|turn on|turn off|slice) the [a-z]+ \d+/i,
  /^\s*The [a-z]+ \d+ is (?:open|closed)/i,
  /^\s*You are facing the [a-z]+ \d+/i,
];

const SCIENCEWORLD_OBSERVATIONS: RegExp[] = [
  /This room is called the /,
  /^\s*You teleport to /,
  /^\s*No known action matches that input\./,
  /^\s*You move to the /,
  /In it, you see: ?\n/,
  /\nYou also see:\n/,
  /^\s*You focus on /,
  /^\s*Ambiguous request/,
];

/** Task turns: ALFWorld's "Your task is to: <goal>" after the room; ScienceWorld's "Your task is to <verb> ...". */
const ALFWORLD_TASK = [/Your task is to:/, /You are in the middle of a room\. Looking quickly around you, you see /];
const SCIENCEWORLD_TASK = [/Your task is to [a-z]/i, /Task Description:/i];

/** The environment with the clearly larger weight of evidence, or null when nothing tells them apart. */
export function environmentOfConversation(evidence: ConversationEvidence): EnvKind | null {
  let alfworld = 0;
  let scienceworld = 0;
  if (evidence.gameFile) alfworld += 5;
  const id = evidence.id.toLowerCase();
  if (id.startsWith('alfworld')) alfworld += 3;
  if (/^sci(?:ence)?world/.test(id)) scienceworld += 3;
  else if (/^\d+_\d+$/.test(id)) scienceworld += 1;
  alfworld += 3 * count(ALFWORLD_TASK, [evidence.task]);
  scienceworld += 3 * count(SCIENCEWORLD_TASK, [evidence.task]);
  const actions = evidence.actions.map((a) => a.trim());
  alfworld += count(ALFWORLD_ACTIONS, actions) + count(ALFWORLD_OBSERVATIONS, evidence.observations);
  scienceworld += count(SCIENCEWORLD_ACTIONS, actions) + count(SCIENCEWORLD_OBSERVATIONS, evidence.observations);
  if (alfworld > scienceworld) return 'alfworld';
  if (scienceworld > alfworld) return 'scienceworld';
  return null;
}

/** How many of the texts match at least one of the patterns. */
function count(patterns: RegExp[], texts: string[]): number {
  return texts.filter((text) => patterns.some((p) => p.test(text))).length;
}
