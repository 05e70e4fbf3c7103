/**
 * Training samples for other trainers (TRL, LLaMA-Factory, axolotl): the dataset's episodes as chat messages.
 * - STEP-HRL and the history-based hierarchical agent decide from one prompt per decision, so each decision is one
 *   sample: the role's fixed instructions as the system turn, the decision's state as the user turn, the target as the
 *   assistant turn. The texts are the agent's own transitions (agent/agent-transitions.ts), so a model trained on
 *   them elsewhere sees at inference exactly what the agent sends.
 * - The flat agent reads the whole history, so each trajectory is one conversation: the task and first observation,
 *   then the expert's actions (assistant) and the observations they produced (user), in turn.
 * Written as JSON lines: ShareGPT (`conversations` of `from`/`value`, system/human/gpt, with an `id`) or OpenAI chat
 * (`messages` of `role`/`content`, the only key OpenAI's fine-tuning files allow besides tools).
 */
import { agentTransitions } from '../agent/agent-transitions';
import { rolePrefix, splitRolePrompt } from '../agent/prompts';
import { observationsBefore } from '../agent/token-replay';
import type { AgentKind, ExportFormat } from '../protocol/vocabulary';
import { transitionProblem, type TransitionEpisode } from '../store/transitions';

export type ChatFormat = Extract<ExportFormat, 'sharegpt' | 'openai-chat'>;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatSample {
  /** `<episode>-<role>-<n>` for a decision, `<episode>` for a trajectory. */
  id: string;
  messages: ChatMessage[];
}

/** Whether the agent's samples need subtasks and local progress (the flat agent's do not). */
export const needsAnnotation = (agent: AgentKind): boolean => agent !== 'react';

/** Why an episode gives this agent no samples, or null. */
export function chatSampleProblem(e: TransitionEpisode, agent: AgentKind): string | null {
  if (e.steps.length === 0) return 'it has no steps';
  return needsAnnotation(agent) ? transitionProblem(e) : null;
}

/** The samples of one episode for the agent: one per decision, or one conversation for the flat agent. */
export function chatSamples(e: TransitionEpisode, agent: AgentKind): ChatSample[] {
  return agent === 'react' ? [trajectorySample(e)] : decisionSamples(e, agent);
}

function decisionSamples(e: TransitionEpisode, agent: AgentKind): ChatSample[] {
  const seen = new Map<string, number>();
  return agentTransitions(agent)(e).map((t) => {
    const n = seen.get(t.role) ?? 0;
    seen.set(t.role, n + 1);
    const { prefix, state } = splitRolePrompt(t.state, e.env);
    return { id: `${e.id}-${t.role}-${n}`, messages: conversation(prefix, [state, t.target]) };
  });
}

/** The flat agent's view of a trajectory: its first prompt, then each action and the observation it led to. */
function trajectorySample(e: TransitionEpisode): ChatSample {
  const before = observationsBefore(e);
  const turns: string[] = [`Task: ${e.taskDescription}\nInitial observation:\n${e.initialObservation.trim()}\nObservation:\n${before(0)}\nAction:`];
  e.steps.forEach((step, t) => {
    turns.push(step.action);
    if (t + 1 < e.steps.length) turns.push(`Observation:\n${before(t + 1)}\nAction:`);
  });
  return { id: String(e.id), messages: conversation(rolePrefix('flat', e.env), turns) };
}

/** System turn (when there is one), then user and assistant turns alternating, user first. */
function conversation(system: string, turns: string[]): ChatMessage[] {
  const messages: ChatMessage[] = system.trim() ? [{ role: 'system', content: system.trim() }] : [];
  turns.forEach((content, i) => messages.push({ role: i % 2 === 0 ? 'user' : 'assistant', content }));
  return messages;
}

const SHAREGPT_FROM: Record<ChatMessage['role'], string> = { system: 'system', user: 'human', assistant: 'gpt' };

/** One JSON line of the file. */
export function chatSampleLine(sample: ChatSample, format: ChatFormat): string {
  if (format === 'openai-chat') return JSON.stringify({ messages: sample.messages });
  return JSON.stringify({ id: sample.id, conversations: sample.messages.map((m) => ({ from: SHAREGPT_FROM[m.role], value: m.content })) });
}
