/**
 * The flat baseline (ReAct-style, without thoughts): every prompt carries the task, the initial observation and the
 * whole history of actions and observations, so its length grows with the episode. When it outgrows the model's
 * context, the oldest steps are left out (a window that only slides forward), as any flat agent with a finite context
 * must; the prompt says how many.
 */
import { EpisodeDriver } from './episode-driver';
import { flatPrompt, parseFlatAction, type HistoryEntry } from './prompts';
import { ContextOverflowError } from '../llm/types';
import type { Generation } from '../llm/types';
import type { AgentEpisode, AgentOutcome } from './types';

export async function runReactAgent(episode: AgentEpisode): Promise<AgentOutcome> {
  const driver = new EpisodeDriver(episode);
  const history: HistoryEntry[] = [];
  let omitted = 0;
  const ask = async (): Promise<Generation> => {
    for (;;) {
      try {
        return await driver.ask(
          flatPrompt({
            env: episode.kind,
            taskDescription: episode.reset.taskDescription,
            initialObservation: episode.reset.observation,
            history: history.slice(omitted),
            omittedSteps: omitted,
            observation: driver.observation,
          }),
          { grammar: await driver.actionGrammar(false) },
        );
      } catch (error) {
        if (!(error instanceof ContextOverflowError) || omitted >= history.length) throw error;
        // A quarter of what is still shown at a time: few retries, and the window moves rarely (prefix reuse).
        omitted += Math.max(1, Math.ceil((history.length - omitted) / 4));
      }
    }
  };
  while (!driver.finished) {
    const decision = await ask();
    const { step } = await driver.act(parseFlatAction(decision.text) ?? decision.text.trim());
    history.push({ action: step.action, observation: step.observation });
    await driver.record({ step });
  }
  return driver.outcome();
}
