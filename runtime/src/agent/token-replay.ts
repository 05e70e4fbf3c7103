/**
 * Token replay (pure, no I/O): the prompts each agent would send if it reproduced an annotated expert episode
 * decision for decision, and what they cost in tokens. The same trajectory goes through every agent's prompt
 * builders (agent/prompts.ts), so the agents differ only in what they put in their prompts:
 * - stephrl: one high-level call per subtask, one low-level and one progress call per step (the texts come from
 *   deriveTransitions, so they are exactly what the model is trained on);
 * - react: one flat call per step with the whole history;
 * - hrl-history: one planner call per subtask, one actor call per step with the history inside the subtask.
 * Tokens are counted by a function passed in (the model's own tokenizer in practice).
 */
import type { AnnotatableEpisode, AnnotationDraft } from '../annotate/types';
import { transitionProblem, type TransitionEpisode } from '../store/transitions';
import { deriveTransitions, subtaskCutOff } from './stephrl-transitions';
import {
  flatPrompt,
  historyHighPrompt,
  historyLowPrompt,
  lowLevelTarget,
  observationText,
  promptText,
  type HistoryEntry,
  type Role,
} from './prompts';
import { AGENT_KINDS } from '../protocol/vocabulary';

export const TOKEN_AGENTS = AGENT_KINDS;
export type TokenAgent = (typeof TOKEN_AGENTS)[number];

/** One model call of a replayed episode: the prompt the agent sends and the completion it should produce. */
export interface ReplayCall {
  role: Role;
  subtaskOrdinal: number;
  /** The step the call decides or summarises; null for a planner call. */
  stepIdx: number | null;
  prompt: string;
  completion: string;
}

/** Counts the tokens of a text as the model sees it (a prompt's BOS token included where the model adds one). */
export type TokenCounter = (text: string) => number;

/** An annotated trajectory (not stored) as the transition builder reads it; `id` only labels the transitions. */
export function transitionEpisode(episode: AnnotatableEpisode, draft: AnnotationDraft, id = 0): TransitionEpisode {
  return {
    id,
    env: episode.env,
    taskDescription: episode.taskDescription,
    initialObservation: episode.initialObservation,
    // null where absent, as the dataset stores them, so the texts match the stored episode's exactly.
    initialLook: episode.initialLook ?? null,
    initialInventory: episode.initialInventory ?? null,
    steps: episode.steps.map((s) => ({
      action: s.action,
      observation: s.observation,
      look: s.look ?? null,
      inventory: s.inventory ?? null,
      reward: s.reward,
      done: s.done,
      invalid: s.invalid,
    })),
    subtasks: draft.subtasks.map((s) => ({ name: s.name, firstStep: s.firstStep, lastStep: s.lastStep })),
    progress: [...draft.progress],
  };
}

/** The observation text a decision before step t sees, built the same way as in deriveTransitions. */
export function observationsBefore(e: TransitionEpisode): (t: number) => string {
  const source = { initialObservation: e.initialObservation };
  const initial = observationText(e.env, { observation: e.initialObservation, look: e.initialLook, inventory: e.initialInventory }, source);
  const after = e.steps.map((s) => observationText(e.env, s, source));
  return (t) => (t === 0 ? initial : after[t - 1]!);
}

/** The baselines' history shows each step's own observation, without the look and inventory extras. */
const historyEntries = (e: TransitionEpisode, from: number, to: number): HistoryEntry[] =>
  e.steps.slice(from, to).map((s) => ({ action: s.action, observation: s.observation }));

function stephrlCalls(e: TransitionEpisode): ReplayCall[] {
  // deriveTransitions emits, per subtask, the high-level transition then a low and a progress one per step: the
  // order in which the agent makes those calls.
  return deriveTransitions(e).map((t) => ({
    role: t.role,
    subtaskOrdinal: t.subtaskOrdinal,
    stepIdx: t.stepIdx,
    prompt: t.state,
    completion: t.target,
  }));
}

export function reactCalls(e: TransitionEpisode): ReplayCall[] {
  const before = observationsBefore(e);
  const subtaskOf = subtaskIndex(e);
  return e.steps.map((step, t) => ({
    role: 'flat',
    subtaskOrdinal: subtaskOf[t]!,
    stepIdx: t,
    prompt: promptText(
      flatPrompt({
        env: e.env,
        taskDescription: e.taskDescription,
        initialObservation: e.initialObservation,
        history: historyEntries(e, 0, t),
        observation: before(t),
      }),
    ),
    completion: step.action,
  }));
}

export function historyHrlCalls(e: TransitionEpisode): ReplayCall[] {
  const before = observationsBefore(e);
  const names = e.subtasks.map((s) => s.name);
  const calls: ReplayCall[] = [];
  e.subtasks.forEach(({ name, firstStep, lastStep }, k) => {
    calls.push({
      role: 'high',
      subtaskOrdinal: k,
      stepIdx: null,
      prompt: promptText(
        historyHighPrompt({ env: e.env, taskDescription: e.taskDescription, subtasks: names.slice(0, k), observation: before(firstStep) }),
      ),
      completion: name,
    });
    for (let t = firstStep; t <= lastStep; t++) {
      calls.push({
        role: 'low',
        subtaskOrdinal: k,
        stepIdx: t,
        prompt: promptText(historyLowPrompt({ env: e.env, subtask: name, history: historyEntries(e, firstStep, t), observation: before(t) })),
        completion: lowLevelTarget(e.steps[t]!.action, t === lastStep && !subtaskCutOff(e, k)),
      });
    }
  });
  return calls;
}

function subtaskIndex(e: TransitionEpisode): number[] {
  const out: number[] = [];
  e.subtasks.forEach((s, k) => {
    for (let t = s.firstStep; t <= s.lastStep; t++) out[t] = k;
  });
  return out;
}

/** Every agent's calls for one episode, in the order the agent makes them. Throws when the annotation is unusable. */
export function replayCalls(e: TransitionEpisode): Record<TokenAgent, ReplayCall[]> {
  const problem = transitionProblem(e);
  if (problem) throw new Error(`the episode cannot be replayed: ${problem}`);
  return { stephrl: stephrlCalls(e), react: reactCalls(e), 'hrl-history': historyHrlCalls(e) };
}

/**
 * The call that picks each step's action, whose size the within-episode flatness is about: STEP-HRL's and the
 * hierarchical baseline's low level, the flat agent's one call.
 */
const STEP_ROLE: Record<TokenAgent, Role> = { stephrl: 'low', react: 'flat', 'hrl-history': 'low' };

export interface RoleTokens {
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

export interface AgentEpisodeTokens {
  /** Model calls (decisions) in the episode. */
  decisions: number;
  /** Prompt tokens of every call, in call order. */
  promptTokens: number[];
  promptTotal: number;
  completionTokens: number;
  byRole: Partial<Record<Role, RoleTokens>>;
  /** Prompt tokens of the per-step action call (see STEP_ROLE), step by step. */
  stepPromptTokens: number[];
  /** p95 / median of stepPromptTokens: 1 for a flat prompt, large for one that grows with the history. */
  p95OverMedian: number;
}

export interface EpisodeTokens {
  steps: number;
  subtasks: number;
  agents: Record<TokenAgent, AgentEpisodeTokens>;
}

export function countCalls(calls: readonly ReplayCall[], stepRole: Role, count: TokenCounter): AgentEpisodeTokens {
  // A completion is the target's own tokens: no BOS (it continues the prompt), and no end token, which the embedded
  // backend does not count either.
  const empty = count('');
  const byRole: AgentEpisodeTokens['byRole'] = {};
  const promptTokens: number[] = [];
  const stepPromptTokens: number[] = [];
  let completionTokens = 0;
  for (const call of calls) {
    const prompt = count(call.prompt);
    const completion = count(call.completion) - empty;
    promptTokens.push(prompt);
    completionTokens += completion;
    if (call.role === stepRole) stepPromptTokens.push(prompt);
    const role = (byRole[call.role] ??= { calls: 0, promptTokens: 0, completionTokens: 0 });
    role.calls++;
    role.promptTokens += prompt;
    role.completionTokens += completion;
  }
  return {
    decisions: calls.length,
    promptTokens,
    promptTotal: sum(promptTokens),
    completionTokens,
    byRole,
    stepPromptTokens,
    p95OverMedian: stepPromptTokens.length ? quantile(stepPromptTokens, 0.95) / quantile(stepPromptTokens, 0.5) : 1,
  };
}

/** Replays one annotated episode through every agent and counts its tokens. */
export function episodeTokens(e: TransitionEpisode, count: TokenCounter): EpisodeTokens {
  const calls = replayCalls(e);
  const agents = {} as Record<TokenAgent, AgentEpisodeTokens>;
  for (const agent of TOKEN_AGENTS) agents[agent] = countCalls(calls[agent], STEP_ROLE[agent], count);
  return { steps: e.steps.length, subtasks: e.subtasks.length, agents };
}

// ---- Aggregates over episodes ----

export interface AgentSummary {
  decisionsPerEpisode: number;
  /** Over every call of every episode. */
  promptTokensPerDecision: { mean: number; p95: number; max: number };
  promptTokensPerEpisode: { mean: number; p95: number };
  completionTokensPerEpisode: number;
  /** p95 / median of the per-step prompt size within an episode: the worst episode and the mean over episodes. */
  withinEpisodeP95OverMedian: { worst: number; mean: number };
  /** Per-episode prompt tokens over react's: of the means, the mean of per-episode ratios, and the worst episode. */
  promptTokensOverReact: { ofMeans: number; meanPerEpisode: number; worstEpisode: number };
  byRole: Partial<Record<Role, { callsPerEpisode: number; promptTokensPerCall: number; completionTokensPerCall: number }>>;
}

export interface TokenTarget {
  value: number;
  target: number;
  met: boolean;
}

export interface TokenTargets {
  /** STEP-HRL's mean prompt tokens per episode over react's (at most 1/3). */
  stephrlOverReactPerEpisode: TokenTarget;
  /** STEP-HRL's per-step (low-level) prompt p95 / median in the worst episode (at most 2). */
  withinEpisodeP95OverMedian: TokenTarget;
}

export const TARGETS = { stephrlOverReactPerEpisode: 0.3333, withinEpisodeP95OverMedian: 2 } as const;

export function summarizeTokens(episodes: readonly EpisodeTokens[]): Record<TokenAgent, AgentSummary> {
  const react = episodes.map((e) => e.agents.react.promptTotal);
  const out = {} as Record<TokenAgent, AgentSummary>;
  for (const agent of TOKEN_AGENTS) {
    const rows = episodes.map((e) => e.agents[agent]);
    const perEpisode = rows.map((r) => r.promptTotal);
    const perDecision = rows.flatMap((r) => r.promptTokens);
    const ratios = perEpisode.map((p, i) => p / react[i]!);
    const flatness = rows.map((r) => r.p95OverMedian);
    const roles = new Map<Role, RoleTokens>();
    for (const r of rows) {
      for (const [role, t] of Object.entries(r.byRole) as Array<[Role, RoleTokens]>) {
        const acc = roles.get(role) ?? { calls: 0, promptTokens: 0, completionTokens: 0 };
        roles.set(role, {
          calls: acc.calls + t.calls,
          promptTokens: acc.promptTokens + t.promptTokens,
          completionTokens: acc.completionTokens + t.completionTokens,
        });
      }
    }
    out[agent] = {
      decisionsPerEpisode: mean(rows.map((r) => r.decisions)),
      promptTokensPerDecision: { mean: mean(perDecision), p95: quantile(perDecision, 0.95), max: max(perDecision) },
      promptTokensPerEpisode: { mean: mean(perEpisode), p95: quantile(perEpisode, 0.95) },
      completionTokensPerEpisode: mean(rows.map((r) => r.completionTokens)),
      withinEpisodeP95OverMedian: { worst: max(flatness), mean: mean(flatness) },
      promptTokensOverReact: { ofMeans: mean(perEpisode) / mean(react), meanPerEpisode: mean(ratios), worstEpisode: max(ratios) },
      byRole: Object.fromEntries(
        [...roles].map(([role, t]) => [
          role,
          {
            callsPerEpisode: t.calls / episodes.length,
            promptTokensPerCall: t.promptTokens / t.calls,
            completionTokensPerCall: t.completionTokens / t.calls,
          },
        ]),
      ),
    };
  }
  return out;
}

export function tokenTargets(summary: Record<TokenAgent, AgentSummary>): TokenTargets {
  const ratio = summary.stephrl.promptTokensOverReact.ofMeans;
  // The worst episode, not the mean: the claim is that no episode's per-step prompt grows.
  const flatness = summary.stephrl.withinEpisodeP95OverMedian.worst;
  return {
    stephrlOverReactPerEpisode: { value: ratio, target: TARGETS.stephrlOverReactPerEpisode, met: ratio <= TARGETS.stephrlOverReactPerEpisode },
    withinEpisodeP95OverMedian: { value: flatness, target: TARGETS.withinEpisodeP95OverMedian, met: flatness <= TARGETS.withinEpisodeP95OverMedian },
  };
}

// ---- Small statistics (NaN for no data, so an empty run never passes a target) ----

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]): number => (xs.length ? sum(xs) / xs.length : NaN);
const max = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => (b > a ? b : a), -Infinity) : NaN);

/** Linear interpolation between the closest ranks (numpy's default). */
export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
