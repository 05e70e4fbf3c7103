/**
 * STEP-HRL's step-level transitions (STEP-HRL.md, "Data"), derived from an annotated episode with the agent's own
 * prompt builders:
 * - high: one per subtask; state = task, completed subtasks, last subtask's final progress, observation at the
 *   subtask's start; target = the subtask; reward = the environment rewards inside it; done = environment done at
 *   its last step.
 * - low: one per step; state = subtask, progress before the step, observation before it; target = "action; flag";
 *   reward = -1 when the engine rejected the action, else +1 on the subtask's last step (except where the engine's
 *   answers show the subtask's goal not reached: `completionReward`), else 0; done at that step.
 * - progress: one per step; state = subtask, previous progress, action, resulting observation; target = the new
 *   progress; reward and done copy the low level's.
 * Where done is 1 the next state is never bootstrapped from; low and progress then use the subtask's final state.
 * A subtask the step cap cut off (the last of an episode the environment did not end, as a sampled rollout's can be)
 * did not complete: its last step gets no completion reward and the flag False, and its high-level transition is
 * done (nothing follows it). Otherwise a rollout that wanders to the cap would read as a finished subtask.
 */
import { NONE, highLevelPrompt, lowLevelPrompt, lowLevelTarget, observationText, actionResultText, progressPrompt, promptText } from './prompts';
import { transitionProblem, type Transition, type TransitionEpisode } from '../store/transitions';
import { alfworldSubtaskReached } from '../annotate/alfworld-subtask-check';
import { scienceworldSubtaskReached } from '../annotate/scienceworld-subtask-check';

/** Whether subtask k ran into the end of an episode the environment did not end: cut off, not completed. */
export function subtaskCutOff(e: TransitionEpisode, k: number): boolean {
  return k === e.subtasks.length - 1 && !e.steps[e.steps.length - 1]!.done;
}

/**
 * The low level's completion reward for ending subtask k: 1 where the environment's answers show the subtask's goal
 * reached or no check can read its name, 0 where they show it was not. A policy ends a subtask by its own flag; paid
 * for every ending, its critic learns that ending is always worth more than going on (a sampled rollout then churns
 * through one-step subtasks, each declared done), so an ending is paid for only where it finished something.
 */
export function completionReward(e: TransitionEpisode, k: number): number {
  const { name, firstStep, lastStep } = e.subtasks[k]!;
  const reached = e.env === 'alfworld' ? alfworldSubtaskReached : scienceworldSubtaskReached;
  return reached(name, e.steps, firstStep, lastStep) === false ? 0 : 1;
}

export function deriveTransitions(e: TransitionEpisode): Transition[] {
  if (transitionProblem(e)) return [];
  const source = { initialObservation: e.initialObservation };
  const before = (t: number) =>
    t === 0
      ? observationText(e.env, { observation: e.initialObservation, look: e.initialLook, inventory: e.initialInventory }, source)
      : after(t - 1);
  const afterCache: string[] = [];
  const after = (t: number) => (afterCache[t] ??= observationText(e.env, e.steps[t]!, source));
  const progressAfter = (t: number) => e.progress[t]!;
  // What step u's action produced, as the progress module sees it (changes to the room and inventory only).
  const result = (u: number) =>
    actionResultText(e.env, e.steps[u]!, u === 0 ? { look: e.initialLook, inventory: e.initialInventory } : e.steps[u - 1]!);
  const out: Transition[] = [];
  const names = e.subtasks.map((s) => s.name);
  const base = { episodeId: e.id };

  e.subtasks.forEach((subtask, k) => {
    const { firstStep, lastStep, name } = subtask;
    const cutOff = subtaskCutOff(e, k);
    const endReward = cutOff ? 0 : completionReward(e, k);
    let reward = 0;
    for (let t = firstStep; t <= lastStep; t++) reward += e.steps[t]!.reward;
    out.push({
      ...base,
      role: 'high',
      subtaskOrdinal: k,
      stepIdx: null,
      state: promptText(
        highLevelPrompt({
          env: e.env,
          taskDescription: e.taskDescription,
          subtasks: names.slice(0, k),
          lastProgress: k === 0 ? NONE : progressAfter(e.subtasks[k - 1]!.lastStep),
          observation: before(firstStep),
        }),
      ),
      target: name,
      nextState: promptText(
        highLevelPrompt({
          env: e.env,
          taskDescription: e.taskDescription,
          subtasks: names.slice(0, k + 1),
          lastProgress: progressAfter(lastStep),
          observation: after(lastStep),
        }),
      ),
      reward,
      done: e.steps[lastStep]!.done || cutOff,
    });

    for (let t = firstStep; t <= lastStep; t++) {
      const step = e.steps[t]!;
      const last = t === lastStep;
      const completes = last && !cutOff;
      const progressBefore = t === firstStep ? NONE : progressAfter(t - 1);
      const lowReward = step.invalid ? -1 : completes ? endReward : 0;
      out.push({
        ...base,
        role: 'low',
        subtaskOrdinal: k,
        stepIdx: t,
        state: promptText(lowLevelPrompt({ env: e.env, subtask: name, progress: progressBefore, observation: before(t) })),
        target: lowLevelTarget(step.action, completes),
        nextState: promptText(lowLevelPrompt({ env: e.env, subtask: name, progress: progressAfter(t), observation: after(t) })),
        reward: lowReward,
        done: last,
      });
      const progressState = (u: number, previous: string) =>
        promptText(progressPrompt({ env: e.env, subtask: name, previousProgress: previous, action: e.steps[u]!.action, observation: result(u) }));
      const state = progressState(t, progressBefore);
      out.push({
        ...base,
        role: 'progress',
        subtaskOrdinal: k,
        stepIdx: t,
        state,
        target: progressAfter(t),
        nextState: last ? state : progressState(t + 1, progressAfter(t)),
        reward: lowReward,
        done: last,
      });
    }
  });
  return out;
}
