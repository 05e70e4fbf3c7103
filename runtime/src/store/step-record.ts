/** A step as the store keeps it, from what the environment answered. */
import type { StepRecord } from '../protocol/dataset';
import type { StepResult } from '../protocol/environment';

/** The idx-th action and what the environment answered to it. */
export function stepRecord(idx: number, action: string, result: StepResult): StepRecord {
  return {
    idx,
    action,
    observation: result.observation,
    look: result.look ?? null,
    inventory: result.inventory ?? null,
    reward: result.reward,
    score: result.score,
    done: result.done,
    won: result.won,
    truncated: result.truncated,
    invalid: result.invalid,
  };
}
