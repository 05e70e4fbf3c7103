/**
 * The flat baseline (ReAct-style, without thoughts): every prompt carries the task, the initial observation and the
 * whole history of actions and observations, so its length grows with the episode.
 */
import { EpisodeDriver } from './episode-driver';
import { flatPrompt, parseFlatAction, type HistoryEntry } from './prompts';
import type { AgentEpisode, AgentOutcome } from './types';

export async function runReactAgent(episode: AgentEpisode): Promise<AgentOutcome> {
  const driver = new EpisodeDriver(episode);
  const history: HistoryEntry[] = [];
  while (!driver.finished) {
    const decision = await driver.ask(
      flatPrompt({
        env: episode.kind,
        taskDescription: episode.reset.taskDescription,
        initialObservation: episode.reset.observation,
        history,
        observation: driver.observation,
      }),
      { grammar: await driver.actionGrammar(false) },
    );
    const { step } = await driver.act(parseFlatAction(decision.text) ?? decision.text.trim());
    history.push({ action: step.action, observation: step.observation });
    await driver.record({ step });
  }
  return driver.outcome();
}
