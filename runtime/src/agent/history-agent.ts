/**
 * The hierarchical baseline (as GLIDER): the same planner / actor split as STEP-HRL, but the actor sees the raw
 * history of the current subtask instead of a local-progress summary, and there is no progress module.
 */
import type { SubtaskRecord } from '../protocol/dataset';
import { EpisodeDriver } from './episode-driver';
import { historyHighPrompt, historyLowPrompt, parseLowLevelOutput, type HistoryEntry } from './prompts';
import type { AgentEpisode, AgentOutcome } from './types';

export async function runHistoryAgent(episode: AgentEpisode): Promise<AgentOutcome> {
  const driver = new EpisodeDriver(episode);
  const env = episode.kind;
  const subtasks: SubtaskRecord[] = [];

  while (!driver.finished) {
    const plan = await driver.ask(
      historyHighPrompt({
        env,
        taskDescription: episode.reset.taskDescription,
        subtasks: subtasks.map((s) => s.name),
        observation: driver.observation,
      }),
    );
    const subtask = driver.startSubtask(plan.text);
    subtasks.push(subtask);
    const history: HistoryEntry[] = [];

    for (;;) {
      const decision = await driver.ask(historyLowPrompt({ env, subtask: subtask.name, history, observation: driver.observation }), {
        grammar: await driver.actionGrammar(true),
      });
      const parsed = parseLowLevelOutput(decision.text);
      const { step } = await driver.act(parsed?.action ?? decision.text.trim());
      subtask.lastStep = step.idx;
      history.push({ action: step.action, observation: step.observation });
      await driver.record({ step, subtasks: subtasks.map((s) => ({ ...s })) });
      if (driver.finished || parsed?.subtaskDone) break;
    }
  }
  return driver.outcome();
}
