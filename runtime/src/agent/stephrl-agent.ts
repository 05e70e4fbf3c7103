/**
 * The STEP-HRL agent (STEP-HRL.md, "Episode loop"): the high level writes a subtask; inside it the low level writes
 * `action; done-flag`, the environment steps, and the local-progress module folds the action and its observation
 * into the progress text. When the flag says the subtask is finished, its final progress goes to the next high-level
 * call. Every prompt holds one augmented step, never the history, so a greedy episode that comes back to a state it
 * has been in is in a cycle: it ends there (repeat-stop.ts).
 */
import type { ProgressRecord, SubtaskRecord } from '../protocol/dataset';
import { EpisodeDriver } from './episode-driver';
import { RepeatWatch, repeatStopApplies } from './repeat-stop';
import { NONE, highLevelPrompt, lowLevelPrompt, parseLowLevelOutput, parseProgress, progressPrompt } from './prompts';
import type { AgentEpisode, AgentOutcome } from './types';

export async function runStephrlAgent(episode: AgentEpisode): Promise<AgentOutcome> {
  const driver = new EpisodeDriver(episode);
  const env = episode.kind;
  const task = episode.reset.taskDescription;
  const subtasks: SubtaskRecord[] = [];
  let lastProgress = NONE;
  const watch = new RepeatWatch(repeatStopApplies(episode.decoding, episode.reset.stateKey));

  while (!driver.finished) {
    const plan = await driver.ask(
      highLevelPrompt({ env, taskDescription: task, subtasks: subtasks.map((s) => s.name), lastProgress, observation: driver.observation }),
    );
    const subtask = driver.startSubtask(plan.text);
    subtasks.push(subtask);
    let progress = NONE;
    watch.startSubtask();

    for (;;) {
      const repeatFrom = watch.repeatOf(driver.steps.length, { progress, observation: driver.observation, stateKey: driver.stateKey });
      if (repeatFrom !== null) return driver.outcome(repeatFrom);
      const decision = await driver.ask(lowLevelPrompt({ env, subtask: subtask.name, progress, observation: driver.observation }), {
        grammar: await driver.actionGrammar(true),
      });
      const parsed = parseLowLevelOutput(decision.text);
      const { step } = await driver.act(parsed?.action ?? decision.text.trim());
      subtask.lastStep = step.idx;

      const update = await driver.ask(
        progressPrompt({ env, subtask: subtask.name, previousProgress: progress, action: step.action, observation: driver.actionResult }),
      );
      progress = parseProgress(update.text, progress);
      const record: ProgressRecord = { step: step.idx, text: progress, provenance: 'policy', reviewed: false };
      await driver.record({ step, progress: record, subtasks: subtasks.map((s) => ({ ...s })) });

      if (driver.finished) break;
      if (parsed?.subtaskDone) {
        lastProgress = progress;
        break;
      }
    }
  }
  return driver.outcome();
}
