/**
 * Training transitions for each agent, from the same annotated demonstrations and the same prompt builders the
 * agents use when they act, so that the baselines can be trained at equal data (the comparison of STEP-HRL.md):
 * - stephrl: STEP-HRL's high, low and progress transitions (stephrl-transitions.ts);
 * - react: one per step, the flat prompt with the whole history -> the expert action (stored under the role "low",
 *   the trainer's acting role);
 * - hrl-history: one planner transition per subtask and one actor transition per step whose prompt holds the raw
 *   history inside the subtask (GLIDER-style), targets as STEP-HRL's.
 * Rewards follow STEP-HRL's conventions where the roles match (offline RL of the baselines is possible, not needed).
 */
import type { Transition, TransitionEpisode } from '../store/transitions';
import { transitionProblem } from '../store/transitions';
import { completionReward, deriveTransitions, subtaskCutOff } from './stephrl-transitions';
import type { AgentKind } from './types';
import { historyHrlCalls, reactCalls, type ReplayCall } from './token-replay';

export function agentTransitions(agent: AgentKind): (e: TransitionEpisode) => Transition[] {
  if (agent === 'stephrl') return deriveTransitions;
  return (e) => (transitionProblem(e) ? [] : agent === 'react' ? reactTransitions(e) : historyHrlTransitions(e));
}

function reactTransitions(e: TransitionEpisode): Transition[] {
  const calls = reactCalls(e);
  return calls.map((call, t) => {
    const step = e.steps[t]!;
    const last = t === calls.length - 1;
    return {
      role: 'low',
      episodeId: e.id,
      subtaskOrdinal: call.subtaskOrdinal,
      stepIdx: t,
      state: call.prompt,
      target: call.completion,
      nextState: last ? call.prompt : calls[t + 1]!.prompt,
      reward: step.invalid ? -1 : step.reward,
      done: last || step.done,
    };
  });
}

function historyHrlTransitions(e: TransitionEpisode): Transition[] {
  const calls = historyHrlCalls(e);
  const planner = calls.filter((c) => c.role === 'high');
  // Calls come in loop order: an actor call's successor inside its subtask is the next call, when that is an actor's.
  return calls.map((call, i) => (call.role === 'high' ? plannerTransition(e, call, planner) : actorTransition(e, call, calls[i + 1])));
}

function plannerTransition(e: TransitionEpisode, call: ReplayCall, planner: ReplayCall[]): Transition {
  const k = call.subtaskOrdinal;
  const { firstStep, lastStep } = e.subtasks[k]!;
  let reward = 0;
  for (let t = firstStep; t <= lastStep; t++) reward += e.steps[t]!.reward;
  return {
    role: 'high',
    episodeId: e.id,
    subtaskOrdinal: k,
    stepIdx: null,
    state: call.prompt,
    target: call.completion,
    nextState: planner[k + 1]?.prompt ?? call.prompt,
    reward,
    done: e.steps[lastStep]!.done || k === e.subtasks.length - 1,
  };
}

function actorTransition(e: TransitionEpisode, call: ReplayCall, following: ReplayCall | undefined): Transition {
  const t = call.stepIdx!;
  const last = t === e.subtasks[call.subtaskOrdinal]!.lastStep;
  const next = !last && following?.role === 'low' ? following : undefined;
  return {
    role: 'low',
    episodeId: e.id,
    subtaskOrdinal: call.subtaskOrdinal,
    stepIdx: t,
    state: call.prompt,
    target: call.completion,
    nextState: next?.prompt ?? call.prompt,
    reward: e.steps[t]!.invalid ? -1 : last && !subtaskCutOff(e, call.subtaskOrdinal) ? completionReward(e, call.subtaskOrdinal) : 0,
    done: last,
  };
}
